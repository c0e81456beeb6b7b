import { Buffer } from "node:buffer";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { createMultilineJoiner, createParseContext, frameLines, parseLine, parseLines } from "../../../src/parsers/index.js";
import type { LogFormat } from "../../../src/parsers/index.js";
import { asChunks, collect } from "./helpers.js";

const FORMATS: LogFormat[] = ["plain", "syslog", "syslog-iso", "syslog-precise", "journal-json", "docker", "compose", "json", "python", "dmesg"];
// One context for all runs: building an Intl formatter per run would dominate the test's time.
const shared = createParseContext({ timeZone: "America/New_York", referenceMs: Date.parse("2025-12-27T00:00:00Z"), bootTimeMs: 0 });
const ctx = () => shared;

// Lines that start like a known format and then go wrong are the interesting inputs.
const prefixes = fc.constantFrom(
  "", "Dec 26 17:57:01 ", "2025-12-26T17:57:01-0500 ", "<34>1 ", "<999>", "2025-11-08T01:04:15.802345678Z ", "web_1  | ",
  "2025-11-08 01:04:15,802 - ", "[ 1234.5678] ", "[Thu Nov  6 03:12:09 2025] ", "{", '{"MESSAGE":', "Traceback (most recent call last):",
);

describe("parsers never throw", () => {
  test("on any text, in any format, and keep the line's text", () => {
    fc.assert(
      fc.property(prefixes, fc.string({ unit: "binary", maxLength: 80 }), fc.constantFrom(...FORMATS), (prefix, rest, format) => {
        const line = prefix + rest;
        const p = parseLine(line, format, ctx());
        expect(typeof p.message).toBe("string");
        if (p.time !== undefined) expect(Number.isFinite(p.time)).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  test("on any JSON object, journal-shaped or not", () => {
    const journalish = fc.record({
      MESSAGE: fc.oneof(fc.string(), fc.array(fc.integer({ min: -5, max: 300 })), fc.jsonValue()),
      __REALTIME_TIMESTAMP: fc.oneof(fc.string(), fc.bigInt({ min: 0n, max: 10n ** 20n }).map(String), fc.jsonValue()),
      _PID: fc.jsonValue(), PRIORITY: fc.jsonValue(), UNIT: fc.jsonValue(), SYSLOG_IDENTIFIER: fc.jsonValue(),
    }, { requiredKeys: [] });
    const appish = fc.record({ level: fc.jsonValue(), time: fc.oneof(fc.double(), fc.jsonValue()), msg: fc.jsonValue(), pid: fc.jsonValue(), name: fc.jsonValue() }, { requiredKeys: [] });
    fc.assert(
      fc.property(fc.oneof(journalish, appish, fc.dictionary(fc.string(), fc.jsonValue())), (o) => {
        const p = parseLine(JSON.stringify(o), "json", ctx());
        expect(["json", "journal-json", "plain"]).toContain(p.format);
        expect(typeof p.message).toBe("string");
      }),
      { numRuns: 2000 },
    );
  });

  test("records never carry a time Date cannot hold", async () => {
    const bytes = Buffer.from('{"level":30,"time":1e300,"msg":"far future"}\n{"level":30,"time":1766789821000,"msg":"ok"}\n');
    const rs = await collect(parseLines(frameLines(asChunks(bytes, [])), { file: "f", timeZone: "UTC", referenceMs: 0 }));
    expect(rs.map((r) => r.time)).toEqual([undefined, 1766789821000]);
  });
});

describe("no line stalls the parsers (64 KiB hostile lines)", () => {
  // Each of these was, or could be, quadratic: "((((" in a syslog tag (16 s before the fix), "((((" in a Go panic
  // line (~5 s). A linear parse of 64 KiB takes well under a millisecond; 250 ms leaves room for a loaded machine.
  const N = 65536;
  const fill = (s: string) => s.repeat(Math.ceil(N / s.length)).slice(0, N);
  const BOUND_MS = 250;
  const timed = (f: () => unknown) => {
    const t0 = performance.now();
    f();
    return performance.now() - t0;
  };

  test("line parsers, every format, format-shaped prefixes", () => {
    const prefixes = ["", "Dec 26 17:57:01 ", "2025-12-26T17:57:01-0500 h ", "<34>1 2025-12-26T17:57:01Z h a 1 m ", "2025-11-08T01:04:15.802345678Z container ", "web_1", "2025-11-08 01:04:15,802 - ", "[ 1.5] ", "{\"a\":", "ERROR:"];
    const bodies = ["(", " (a", "a - ", ": ", "::", "\u001b[1m", "level=a ", "a.service"];
    let worst = 0;
    for (const p of prefixes) for (const b of bodies) for (const tail of ["!", ")"]) {
      const line = p + fill(b) + tail;
      for (const f of FORMATS) worst = Math.max(worst, timed(() => parseLine(line, f, ctx())));
    }
    expect(worst).toBeLessThan(BOUND_MS);
  });

  test("multi-line joining in every mode", () => {
    const rec = (text: string, line: number) => ({
      text, message: text, format: "plain" as const, ref: { file: "f", line, endLine: line }, truncatedBytes: 0,
      time: undefined, host: undefined, service: undefined, pid: undefined, level: "error" as const, fields: {},
    });
    const heads = [["Error: x", "    at f (x.js:1:2)"], ["Error: x", "    at f (x.js:1:2) {"], ["ERROR x", "Traceback (most recent call last):"], ["[FATAL PANIC OCCURRED]"], ["thread 'a' panicked at x:", "msg"], ["panic: x"]];
    let worst = 0;
    for (const h of heads) for (const pre of ["", "    at ", "goroutine 1 ["]) for (const b of ["(", ":", " at", "x("]) for (const tail of ["!", ")", "]:"]) {
      const joiner = createMultilineJoiner();
      h.forEach((t, i) => joiner.push(rec(t, i + 1)));
      const line = pre + fill(b) + tail;
      worst = Math.max(worst, timed(() => joiner.push(rec(line, 99))));
    }
    expect(worst).toBeLessThan(BOUND_MS);
  });
});
