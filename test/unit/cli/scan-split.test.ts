// A split scan (issue 18): the file is cut at a line start and its halves counted apart; their counts must add up to
// the counts of one pass, wherever the middle of the file falls.
import { Buffer } from "node:buffer";
import { mkdtemp, open, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { countRange, splitPoint } from "../../../src/cli/scan-parts.js";
import { compileRules, createLineCounter, parsePatterns } from "../../../src/rules/index.js";

const PATTERNS = "eaddr\t(?:EADDRINUSE|Is port \\d+ in use)\nend\tend of line$\numlaut\tgrün über\nlong\tX{3}Y\nslow\tqq";
const rules = compileRules(parsePatterns(PATTERNS, "sigs.tsv"));

async function counted(path: string, start: number, end: number) {
  const counter = createLineCounter(rules, { countLines: true, maxLineBytes: 200_000 });
  const fh = await open(path, "r");
  try {
    await countRange(fh, counter, start, end);
  } finally {
    await fh.close();
  }
  return { counts: Array.from(counter.counts), lines: counter.stats.lines, bytes: counter.stats.bytes };
}

/** Writes the bytes, splits at splitPoint, and checks both halves add up to one pass; returns the cut. */
async function splitAgrees(bytes: Buffer): Promise<number | undefined> {
  const path = join(await mkdtemp(join(tmpdir(), "fw-split-")), "x.log");
  await writeFile(path, bytes);
  const fh = await open(path, "r");
  const cut = await splitPoint(fh, bytes.length).finally(() => fh.close());
  // One pass, fed straight to the counter: the reference the halves must add up to.
  const one = createLineCounter(rules, { countLines: true, maxLineBytes: 200_000 });
  one.write(bytes);
  one.endInput();
  const whole = { counts: Array.from(one.counts), lines: one.stats.lines };
  expect((await counted(path, 0, bytes.length)).counts).toEqual(whole.counts);
  if (cut === undefined) return undefined;
  expect(cut).toBeGreaterThan(0);
  expect(cut).toBeLessThan(bytes.length);
  expect(bytes[cut - 1]).toBe(0x0a);
  const [a, b] = await Promise.all([counted(path, 0, cut), counted(path, cut, bytes.length)]);
  expect(a.counts.map((n, i) => n + (b.counts[i] ?? 0))).toEqual(whole.counts);
  expect(a.lines + b.lines).toBe(whole.lines);
  expect(a.bytes + b.bytes).toBe(bytes.length);
  return cut;
}

const lines = (...ls: string[]) => Buffer.from(ls.join(""));

describe("a scan split in two halves", () => {
  test("the middle inside a long line (longer than one probe read): the cut is after it, in the same counts", async () => {
    const long = `XXXY ${"a".repeat(150_000)} Is port 80 in use\n`;
    const bytes = lines("EADDRINUSE 1\n", long, "tail end of line\n", "Is port 9 in use\r\n", "XXXY again\n");
    const cut = await splitAgrees(bytes);
    expect(cut).toBe(13 + long.length);
  });

  test("the middle on a line's end, on a line's start, between CR and LF", async () => {
    // 26 + 24 bytes: the middle, byte 25, is the first line's "\n".
    const onEnd = await splitAgrees(lines("EADDRINUSE a end of line\r\n", "EADDRINUSE end of line\r\n"));
    expect(onEnd).toBe(26);
    // The middle byte is a line's first: the cut is the end of that line, not before it.
    const onStart = await splitAgrees(lines("end of line\n", "end of line\n", "Is port 1 in use\n"));
    expect(onStart).toBeGreaterThan(12);
    const crlf = await splitAgrees(lines("Is port 2 in use end of line\r\n".repeat(7)));
    expect(crlf).toBeDefined();
  });

  test("a file of one line, with or without its final newline, is not split", async () => {
    expect(await splitAgrees(lines("EADDRINUSE grün über end of line\n"))).toBeUndefined();
    expect(await splitAgrees(lines("EADDRINUSE grün über end of line"))).toBeUndefined();
    expect(await splitAgrees(lines("short\n", "EADDRINUSE and a second half with no newline at all"))).toBeUndefined();
  });

  test("no final newline, invalid UTF-8 and multi-byte text across the middle", async () => {
    const bad = Buffer.from([0xff, 0xfe, 0xc3, 0x0a]);
    const bytes = Buffer.concat([lines("grün über 1\n", "qq slow\n"), bad, lines("grün über 2\n", "Is port 3 in use end of line\n"), bad, lines("grün über zzz end of line")]);
    expect(await splitAgrees(bytes)).toBeDefined();
    const eachByte = Buffer.concat(Array.from({ length: 40 }, (_, i) => lines(`${"ü".repeat(i % 5)}grün über ${i} end of line${i % 3 === 0 ? "\r" : ""}\n`)));
    for (let n = 1; n <= eachByte.length; n += 7) await splitAgrees(eachByte.subarray(0, n));
  });
});
