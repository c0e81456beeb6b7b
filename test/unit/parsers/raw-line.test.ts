// Evidence quotes lines verbatim: a JSON record keeps its physical line beside the message it is matched on.
import { describe, expect, test } from "vitest";
import { createRecordParser, type LogRecord, type RawLine } from "../../../src/parsers/index.js";

function parse(lines: string[]): LogRecord[] {
  const out: LogRecord[] = [];
  const p = createRecordParser({ file: "x.log", referenceMs: Date.parse("2025-12-27T00:00:00Z"), timeZone: "UTC" });
  lines.forEach((l, i) => {
    const raw: RawLine = { bytes: Buffer.from(l), lineNo: i + 1, truncatedBytes: 0 };
    p.push(raw, (r) => out.push(r));
  });
  p.end((r) => out.push(r));
  return out;
}

describe("raw", () => {
  test("a JSON line keeps its physical line as raw while text is the message", () => {
    const line = '{"level":50,"time":1766785322979,"pid":1573680,"msg":"Job 7 failed: Input file not accessible: /x.m4a"}';
    const [r] = parse([line]);
    expect(r?.text).toBe("Job 7 failed: Input file not accessible: /x.m4a");
    expect(r?.raw).toBe(line);
  });
  test("a text line has no raw: its text is the line", () => {
    const line = "2025-12-26T17:57:01-0500 mithrandir systemd[1722]: transcription-palantir.service: Scheduled restart job, restart counter is at 485.";
    const [r] = parse([line]);
    expect(r?.text).toBe(line);
    expect(r?.raw).toBeUndefined();
  });
});
