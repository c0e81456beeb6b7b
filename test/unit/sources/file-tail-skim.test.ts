// The daemon's fast path for files (issue 18): a FileFollower given the rules' match gate builds records only for the
// lines the rules may match (and the lines of multi-line events), and must hand the matcher exactly what the record
// path hands it, count every line, and end at the same position, on every fixture, excerpt and Loghub file.
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, test } from "vitest";
import type { LogRecord } from "../../../src/parsers/index.js";
import { compileRules, createMatchGate, createMatcher, loadRules, type MatchGate } from "../../../src/rules/index.js";
import { FileFollower, localFileAccess } from "../../../src/sources/index.js";

const FIXTURES = fileURLToPath(new URL("../../../fixtures/", import.meta.url));
const access = localFileAccess();

let match: (r: LogRecord) => readonly { ruleId: string; fields: Readonly<Record<string, string>> }[];
let gate: MatchGate;
beforeAll(async () => {
  const compiled = compileRules(await loadRules({ dirs: [] }));
  match = createMatcher(compiled);
  const g = createMatchGate(compiled);
  if (g === undefined) throw new Error("the built-in rules have no match gate");
  gate = g;
});

/** Every file under `dir` (depth-first), skipping generators and documentation. */
async function logFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory() && !e.name.startsWith("_")) out.push(...(await logFiles(p)));
    else if (e.isFile() && !/\.(md|mjs|ts|json|yaml)$|LICENSE/.test(e.name)) out.push(p);
  }
  return out.sort();
}

/**
 * Reads `path` to its end as the daemon's catch-up lane does (polls, then a flush) and returns what the correlator
 * would be given: each signal with the line and cursor of its record, and the lines counted and the last position.
 */
async function follow(path: string, wanted: MatchGate | undefined, maxReadBytes: number, opts: { bytes?: boolean } = {}) {
  const bytes = opts.bytes === true ? wanted?.bytes : undefined;
  const f = new FileFollower({ access, path, startAt: "beginning", rotateWaitMs: 0, partialLastLine: "take", maxReadBytes, ...(wanted === undefined ? {} : { wanted }), ...(bytes === undefined ? {} : { wantedBytes: bytes }) });
  const signals: string[] = [];
  let records = 0;
  const take = (rs: readonly LogRecord[]) => {
    for (const r of rs) {
      records += 1;
      // Its time too: yearless stamps are placed by the ones before them, and the fast path parses fewer lines.
      for (const s of match(r)) signals.push(`${r.ref.line}-${r.ref.endLine} ${s.ruleId} ${JSON.stringify(s.fields)} @${r.cursor ?? "-"} t=${r.time ?? "-"} ${r.service ?? "-"} ${r.text}`);
    }
  };
  for (let i = 0; i < 100_000; i++) {
    const before = f.stats.bytes;
    take(await f.poll());
    if (f.stats.bytes === before) break;
  }
  take(f.flush());
  return { signals, lines: records + f.stats.skipped, skipped: f.stats.skipped, checkpoint: f.checkpoint() };
}

describe("a skimming FileFollower hands the matcher what the record path hands it", () => {
  const SLOW = 120_000;

  test("on every fixture, excerpt and Loghub file, in one read and in 4 KiB reads", async () => {
    const files = await logFiles(FIXTURES);
    expect(files.length).toBeGreaterThanOrEqual(60);
    let signals = 0;
    let skipped = 0;
    for (const file of files) {
      const size = (await stat(file)).size;
      // 4 KiB reads cut lines, held lines and multi-line events across polls; one read sees the file whole.
      for (const maxRead of [Math.max(size, 1), 4096]) {
        const records = await follow(file, undefined, maxRead);
        // Skimming after a parse of every line, and (issue 18) with most lines judged on their bytes, unparsed.
        for (const skim of [await follow(file, gate, maxRead), await follow(file, gate, maxRead, { bytes: true })]) {
          expect(skim.signals, `${file} (${maxRead})`).toEqual(records.signals);
          expect(skim.lines, `${file} (${maxRead})`).toBe(records.lines);
          expect(skim.checkpoint, `${file} (${maxRead})`).toBe(records.checkpoint);
          skipped += skim.skipped;
        }
        signals += records.signals.length;
      }
    }
    // Not a comparison of two empty lists, and the fast path was taken.
    expect(gate.bytes).toBeDefined();
    expect(signals).toBeGreaterThan(1000);
    expect(skipped).toBeGreaterThan(10_000);
  }, SLOW);
});
