// Issue 18: a skimming reader that only counts what it skips judges most lines on their bytes and never parses them,
// yet parses every line whose yearless stamp starts a new month, in order, so later stamps get the same year.
import { describe, expect, test } from "vitest";
import { createRecordParser, type LogRecord, type RawLine, type SkimmedLine } from "../../../src/parsers/index.js";

const LITERAL = Buffer.from("No space left on device");
const hasLiteral = (bytes: Uint8Array) => Buffer.from(bytes).includes(LITERAL);

function read(lines: readonly string[], bytesGate: boolean) {
  const records: LogRecord[] = [];
  const skipped: SkimmedLine[] = [];
  const parser = createRecordParser(
    { file: "t.log", referenceMs: Date.UTC(2026, 11, 7), timeZone: "UTC" },
    {
      // As the rules' gate: a literal, or error texts (which only a parse finds).
      wanted: (l) => (l.errors?.length ?? 0) > 0 || l.text.includes("No space left on device"),
      open: () => false,
      skipped: (s) => void skipped.push({ ...s }), // the reader reuses it
      ...(bytesGate ? { wantedBytes: hasLiteral } : {}),
    },
  );
  const push = (r: LogRecord) => void records.push(r);
  lines.forEach((text, i) => parser.push({ bytes: Buffer.from(text), lineNo: i + 1, truncatedBytes: 0 } satisfies RawLine, push));
  parser.end(push);
  return { records: records.map((r) => `${r.ref.line} ${r.time === undefined ? "-" : new Date(r.time).toISOString()}`), skipped };
}

describe("skimming on bytes alone", () => {
  // Sniffing reads the first 20 lines as records; the lines after them are skimmed.
  const head = Array.from({ length: 20 }, (_, i) => `Jan  1 00:00:${String(i).padStart(2, "0")} web1 cron[1]: (root) CMD (true)`);

  test("a yearless stamp's year depends on the lines before it: every stamp of a new month is still parsed, the rest are not", () => {
    const lines = [
      ...head,
      "Jan  5 10:00:00 web1 app[7]: write failed: No space left on device",
      "plain text of no known shape",
      "Apr  5 10:00:00 web1 cron[1]: (root) CMD (true)",
      "2026-07-05 10:00:00,000 INFO worker: all good",
      "Jul  5 10:00:00 web1 cron[1]: (root) CMD (true)",
      // Jan then Sep would be a late line of the year before (a jump of 8 months); after Apr and Jul it is this year's.
      "Sep  5 10:00:00 web1 app[7]: write failed: No space left on device",
      // The month of the last stamp again: parsing it would move nothing.
      "Sep  6 10:00:00 web1 cron[1]: (root) CMD (true)",
      "Oct  1 10:00:00 web1 cron[1]: (root) CMD (true)",
    ];
    const slow = read(lines, false);
    const fast = read(lines, true);
    expect(fast.records).toEqual(slow.records);
    expect(fast.records.slice(-2)).toEqual(["21 2026-01-05T10:00:00.000Z", "26 2026-09-05T10:00:00.000Z"]);
    expect(fast.skipped.map((s) => s.line)).toEqual(slow.skipped.map((s) => s.line));
    // The lines without a yearless stamp, and the one of the last stamp's month, were never parsed (no time); the
    // stamps of a new month were.
    expect(fast.skipped.map((s) => `${s.line}:${s.time === undefined ? "unparsed" : "parsed"}`)).toEqual(["22:unparsed", "23:parsed", "24:unparsed", "25:parsed", "27:unparsed", "28:parsed"]);
    expect(slow.skipped.every((s) => s.time !== undefined || s.line === 22)).toBe(true);
  });

  test("key=value pairs are parsed where they can give fields or error texts (logfmt, docker events), not elsewhere", () => {
    const lines = [
      ...head,
      // logfmt: an error field makes the line a candidate, whatever its words.
      'time="2026-01-05T10:00:00Z" level=error msg="upload aborted" err="boom"',
      // A docker event: its attributes become fields.
      "2026-01-05T10:00:01.000000000Z container die 0123456789ab (exitCode=137, name=api)",
      // Words with "=" in a line no key=value parser reads.
      "Jan  5 10:00:02 web1 app[7]: lock=233570404, flags=0x1",
    ];
    const slow = read(lines, false);
    const fast = read(lines, true);
    expect(fast.records).toEqual(slow.records);
    expect(fast.records).toContain("21 2026-01-05T10:00:00.000Z");
    expect(fast.skipped.map((s) => `${s.line}:${s.time === undefined ? "unparsed" : "parsed"}`)).toEqual(["22:parsed", "23:unparsed"]);
  });

  test("a line held unparsed is parsed when the next one continues it (a Traceback after it)", () => {
    const lines = [...head, "2026-07-05 10:00:00,000 ERROR worker: rotation failed", "Traceback (most recent call last):", '  File "x.py", line 1, in <module>', "ValueError: bad"];
    const slow = read(lines, false);
    const fast = read(lines, true);
    expect(fast.records).toEqual(slow.records);
    expect(fast.records).toContain("21 2026-07-05T10:00:00.000Z");
  });
});
