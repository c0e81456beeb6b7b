// The follower's compact line table must answer exactly as the Map of positions it replaced (issue 18).
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import type { FileCursor } from "../../../src/sources/file-tail-cursor.js";
import { LineSpans, type GenerationId } from "../../../src/sources/file-tail-spans.js";

const GEN_A: GenerationId = { dev: "2049", ino: "11", fpLen: 12, fingerprint: "a".repeat(64) };
const GEN_B: GenerationId = { dev: "2049", ino: "12", fpLen: 256, fingerprint: "b".repeat(64) };

/** The reference: one Map entry per line, insertion-ordered, as file-tail.ts kept them before. */
class MapModel {
  readonly lines = new Map<number, { start: FileCursor; end: FileCursor }>();
  add(n: number, gen: GenerationId, start: number, end: number): void {
    this.lines.set(n, { start: { ...gen, offset: start }, end: { ...gen, offset: end } });
  }
  dropThrough(n: number): void {
    for (const k of this.lines.keys()) {
      if (k > n) break;
      this.lines.delete(k);
    }
  }
}

type Op = { kind: "add"; lines: number; gen: 0 | 1; width: number } | { kind: "drop"; back: number } | { kind: "ask"; back: number };

describe("LineSpans", () => {
  test("answers start, end and first start of each line as the Map did, through growth and wrap-around", () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant("add" as const), lines: fc.integer({ min: 1, max: 700 }), gen: fc.constantFrom(0 as const, 1 as const), width: fc.integer({ min: 1, max: 5000 }) }),
      fc.record({ kind: fc.constant("drop" as const), back: fc.integer({ min: -3, max: 800 }) }),
      fc.record({ kind: fc.constant("ask" as const), back: fc.integer({ min: -3, max: 800 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops: Op[]) => {
        const spans = new LineSpans();
        const model = new MapModel();
        let lineNo = 0;
        let offset = 0;
        // One expect per property run, not per line: the comparison is a string of both answers.
        const answers: string[] = [];
        const want: string[] = [];
        const check = (n: number) => {
          answers.push(JSON.stringify([n, spans.startOf(n), spans.endOf(n)]));
          want.push(JSON.stringify([n, model.lines.get(n)?.start, model.lines.get(n)?.end]));
        };
        for (const o of ops) {
          if (o.kind === "add") {
            const gen = o.gen === 0 ? GEN_A : GEN_B;
            for (let i = 0; i < o.lines; i++) {
              lineNo += 1;
              const width = 1 + ((lineNo * 7919) % o.width);
              spans.add(lineNo, gen, offset, offset + width);
              model.add(lineNo, gen, offset, offset + width);
              offset += width;
            }
          } else if (o.kind === "drop") {
            spans.dropThrough(lineNo - o.back);
            model.dropThrough(lineNo - o.back);
          } else check(lineNo - o.back);
          answers.push(JSON.stringify([spans.length, spans.firstStart()]));
          want.push(JSON.stringify([model.lines.size, model.lines.values().next().value?.start]));
        }
        for (let n = lineNo - 800; n <= lineNo + 1; n++) check(n);
        expect(answers).toEqual(want);
      }),
      { numRuns: 100 },
    );
  });

  test("offsets beyond 4 GiB stay exact (a long-lived log file)", () => {
    const spans = new LineSpans();
    const big = 5 * 2 ** 32 + 17;
    spans.add(1, GEN_A, big, big + 100);
    expect(spans.startOf(1)).toEqual({ ...GEN_A, offset: big });
    expect(spans.endOf(1)).toEqual({ ...GEN_A, offset: big + 100 });
  });

  test("a line number that does not follow the last one starts the table over", () => {
    const spans = new LineSpans();
    spans.add(1, GEN_A, 0, 10);
    spans.add(2, GEN_A, 10, 20);
    spans.add(7, GEN_B, 0, 5);
    expect(spans.length).toBe(1);
    expect(spans.startOf(1)).toBeUndefined();
    expect(spans.firstStart()).toEqual({ ...GEN_B, offset: 0 });
    spans.dropThrough(7);
    expect(spans.length).toBe(0);
    expect(spans.firstStart()).toBeUndefined();
    spans.add(8, GEN_B, 5, 9);
    expect(spans.startOf(8)).toEqual({ ...GEN_B, offset: 5 });
  });
});
