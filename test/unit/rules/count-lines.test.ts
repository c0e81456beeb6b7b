import { Buffer } from "node:buffer";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { decodeLine, frameLines, utf8SafeLength } from "../../../src/parsers/index.js";
import { compileRules, createLineCounter, parsePatterns } from "../../../src/rules/index.js";
import { parseRuleText } from "../../../src/rules/parse-rule-text.js";

const PATTERNS = [
  "eaddr\t(?:EADDRINUSE|[Aa]ddress already in use|Is port \\d+ in use)",
  "java\t(?:[a-z]+\\.)+[A-Z]\\w*(?:Exception|Error)(?:\\W|$)",
  "kernel\t(?:kernel: .*(?:error|Error|ERROR)|KERNEL (?:ERROR|FATAL|SEVERE))",
  "ssh\tFailed password for \\S+ from [0-9.]+",
  "umlaut\tgrün über",
  "tail\tend of line$",
].join("\n");
// "qq" is too short to be a literal: with it every line goes through the regexes (the slow path).
const WITH_SLOW = `${PATTERNS}\nshort\tqq`;

/** The reference: frame.ts's semantics written the obvious way, every regex on every line. */
function reference(bytes: Buffer, regexes: RegExp[], cap: number): number[] {
  const counts = regexes.map(() => 0);
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i === bytes.length ? i > start : bytes[i] === 0x0a) parts.push(bytes.subarray(start, i));
    if (bytes[i] === 0x0a) start = i + 1;
  }
  for (const p of parts) {
    let line = p.length > 0 && p[p.length - 1] === 0x0d ? p.subarray(0, p.length - 1) : p;
    if (line.length > cap) line = line.subarray(0, utf8SafeLength(line, cap));
    const text = line.toString("utf8");
    regexes.forEach((r, k) => { if (r.test(text)) counts[k] = (counts[k] ?? 0) + 1; });
  }
  return counts;
}

function chunked(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of [...points, bytes.length]) { out.push(bytes.subarray(prev, p)); prev = p; }
  return out;
}

function run(patterns: string, chunks: Buffer[], cap: number): number[] {
  const counter = createLineCounter(compileRules(parsePatterns(patterns, "p.tsv")), { maxLineBytes: cap });
  for (const c of chunks) counter.write(c);
  counter.endInput();
  return [...counter.counts];
}

const piece = fc.constantFrom(
  "EADDRINUSE", "Address already in use", "Is port 80 in use", "org.foo.BarException", "java.lang.Error:", "kernel: disk Error",
  "KERNEL FATAL", "Failed password for root from 10.0.0.1", "grün über", "end of line", "qq", "\r", "\n", "\r\n", "\n\n", " ",
  "x".repeat(20), "\xff", "\u00e9", "\u{1F600}", "kernel: ", "Error",
);

describe("createLineCounter", () => {
  test.each([["fast path", PATTERNS], ["slow path", WITH_SLOW]])("counts like grep -c, whatever the chunk cuts, caps, CRLF and bad bytes (%s, property)", (_name, patterns) => {
    const regexes = patterns.split("\n").map((l) => new RegExp(l.slice(l.indexOf("\t") + 1)));
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.array(fc.oneof(piece, piece, fc.uint8Array({ maxLength: 6 }).map((a) => Buffer.from(a).toString("latin1"))), { maxLength: 4 }),
            fc.constantFrom("\n", "\r\n", "\r\r\n", "", "\n"),
          ),
          { maxLength: 30 },
        ),
        fc.array(fc.nat(), { maxLength: 8 }),
        fc.oneof(fc.integer({ min: 4, max: 40 }), fc.constant(1000)),
        fc.boolean(),
        (lines, cuts, cap, latin1) => {
          const pieces = lines.flatMap(([parts, end]) => [...parts, end]);
          const bytes = Buffer.concat(pieces.map((p) => Buffer.from(p, latin1 && p.length <= 6 ? "latin1" : "utf8")));
          expect(run(patterns, chunked(bytes, cuts), cap)).toEqual(reference(bytes, regexes, cap));
        },
      ),
      { numRuns: 400 },
    );
  });

  test("a literal-less pattern runs on every line, empty lines included", () => {
    const bytes = Buffer.from("a\n\n123\nb\n\n");
    expect(run("empty\t^$\ndigits\t\\d", [bytes], 100)).toEqual([2, 1]);
  });

  test("a match after the cap does not count; the unterminated last line does", () => {
    const long = "y".repeat(100) + " EADDRINUSE";
    expect(run("e\tEADDRINUSE", [Buffer.from(`${long}\nEADDRINUSE`)], 64)).toEqual([1]);
  });

  test("a line longer than a chunk is carried with its first cap bytes only", () => {
    const chunks = [Buffer.from("EADDR"), Buffer.from("INUSE" + "z".repeat(5000)), Buffer.from("z".repeat(5000) + "\r"), Buffer.from("\nnext EADDRINUSE\n")];
    expect(run("e\tEADDRINUSE\nz\tz{50}$", chunks, 1000)).toEqual([2, 1]);
  });

  test("inputs do not share a line: endInput ends the carried one", () => {
    const counter = createLineCounter(compileRules(parsePatterns("e\tEADDRINUSE$", "p.tsv")));
    counter.write(Buffer.from("EADDR"));
    counter.endInput();
    counter.write(Buffer.from("INUSE\n"));
    counter.endInput();
    expect([...counter.counts]).toEqual([0]);
  });

  test("several literals of one rule on one line count the line once, and a veto is honoured", () => {
    const yaml = "id: e\nmatch:\n  any: ['EADDRINUSE', 'Is port \\d+ in use']\n  not: ['healthy']\n";
    const counter = createLineCounter(compileRules(parseRuleText(yaml, "r.yaml").map((r) => r.rule)), { countLines: true });
    counter.write(Buffer.from("EADDRINUSE Is port 1 in use EADDRINUSE\nnothing\nIs port 2 in use, healthy\n"));
    counter.endInput();
    expect([...counter.counts]).toEqual([1]);
    expect(counter.stats.lines).toBe(3);
  });
});

describe("createLineCounter on big chunks", () => {
  test("the four interleaved streams lose no line at their cuts (many lines per chunk, every line a hit)", () => {
    const regexes = PATTERNS.split("\n").map((l) => new RegExp(l.slice(l.indexOf("\t") + 1)));
    const samples = ["EADDRINUSE", "kernel: Error", "java.lang.Error", "Failed password for x from 1.2.3.4", "grün über", "qq", "plain", "end of line"];
    let text = "";
    for (let i = 0; i < 20000; i++) text += `${samples[i % samples.length] ?? ""} ${i}${i % 7 === 0 ? "\r" : ""}\n`;
    const bytes = Buffer.from(text);
    for (const size of [bytes.length, 65536, 4099]) {
      const cuts = Array.from({ length: Math.ceil(bytes.length / size) }, (_, k) => k * size);
      expect(run(PATTERNS, chunked(bytes, cuts), 65536)).toEqual(reference(bytes, regexes, 65536));
    }
  });
});

describe("createLineCounter against the parsers' own framing", () => {
  test("counts equal frameLines + decodeLine + every regex, on random bytes and cuts (property)", async () => {
    const regexes = PATTERNS.split("\n").map((l) => new RegExp(l.slice(l.indexOf("\t") + 1)));
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(piece, fc.uint8Array({ maxLength: 8 }).map((a) => Buffer.from(a).toString("latin1"))), { maxLength: 40 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.oneof(fc.integer({ min: 4, max: 40 }), fc.constant(65536)),
        async (pieces, cuts, cap) => {
          const bytes = Buffer.concat(pieces.map((p) => Buffer.from(p, p.length <= 8 ? "latin1" : "utf8")));
          const chunks = chunked(bytes, cuts);
          async function* source() { yield* chunks; }
          const want = regexes.map(() => 0);
          for await (const line of frameLines(source(), { maxLineBytes: cap })) {
            const text = decodeLine(line.bytes);
            regexes.forEach((r, k) => { if (r.test(text)) want[k] = (want[k] ?? 0) + 1; });
          }
          expect(run(PATTERNS, chunks, cap)).toEqual(want);
        },
      ),
      { numRuns: 200 },
    );
  });
});
