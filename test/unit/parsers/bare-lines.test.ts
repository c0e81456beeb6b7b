// The byte lane (LineSplitter's onBare + RecordParser.pushBare) against the RawLine path it short-cuts: whatever the
// lines, chunk cuts and format, the same records, the same skipped lines and the same counts come out.
import { Buffer } from "node:buffer";
import fc from "fast-check";
import { beforeAll, expect, test } from "vitest";
import { createFrameStats, createLineSplitter, createMultilineJoiner, createRecordParser, type LogFormat, type LogRecord, type SkimmedLine } from "../../../src/parsers/index.js";
import { REGEX_SPACES } from "../../../src/parsers/byte-lane.js";
import { SNIFF_LINES } from "../../../src/parsers/detect-format.js";
import { compileRules, createMatchGate, loadRules, type MatchGate } from "../../../src/rules/index.js";

let gate: MatchGate;
beforeAll(async () => {
  const g = createMatchGate(compileRules(await loadRules({ dirs: [] })));
  if (g?.bytes === undefined || g.literals === undefined) throw new Error("the built-in rules have no byte gate");
  gate = g;
});

// Pieces of real lines and of every shape the skimming reader treats apart: yearless stamps of each kind (months that
// keep and that move the year), java.util.logging's header, key=value, the texts of NEEDS_PARSE_RE and MAY_JOIN_RE
// (and near misses), rule literals, whitespace of every kind, CR, BOM, non-ASCII and escapes.
/** Marks where bytesOf puts a byte that is not UTF-8. */
const BAD = "\u0001BAD\u0001";
/** The UTF-8 of `text`, with each BAD as the byte 0xff. */
const bytesOf = (text: string): Buffer => Buffer.concat(text.split(BAD).flatMap((part, i) => (i === 0 ? [Buffer.from(part)] : [Buffer.from([0xff]), Buffer.from(part)])));

const PIECES = [
  "Dec 26 17:57:01 mithrandir systemd[1]: ", "Jan  2 00:00:01 web1 app[7]: ", "Mar  3 10:00:00 web1 app[7]: ",
  "Mar 3, 2025 1:02:03 PM org.x.Y run", "Mar 13, 2025 1:02:03 PM org.x.Y run",
  "12-31 ", "01-02 ", "I1231 ", "E0102 ", "[12.31 ", "[01.02 ", "2025-10-08T22:07:22Z ", "2025-10-08 22:07:22,123 INFO ",
  "081110 070334 7327 INFO dfs.DataNode: ", "[Sun Dec 04 19:36:07 2005] [error] ", "- 1131566725 2005.11.09 tbird ",
  "key=value ", "a=b", "=", "{\"msg\":\"x\"}", "{", "|", "20171223-22:15:29:606|Step_LSC|30002312|", "\\n", "\\",
  "web_1  | ", "api-1  |   ", "api-1  | Dec 31 23:59:59 ", "api-1  | Jan  1 00:00:01 ",
  "Error", "error", "Error:", "error: ", "ERROR", "terror", "rror", " at ", "\tat x", "\u00a0at y", "that ", "at ",
  " at Object.<anonymous> (/app/x.js:1:2)", " at fn (x.js:10)", " at native", " at <anonymous>", " at x.y(Z.java:42)", ":12", ")", "]", "native",
  "Traceback (most recent call last):", "panic: ", "' panicked at ", "fatal error: ", "[FATAL PANIC OCCURRED]",
  "Error: listen EADDRINUSE: address already in use :::9003", "bind: Address already in use", "Out of memory: Killed process 42",
  "Main process exited, code=exited, status=1/FAILURE", "MAC check failed", "ProcessLookupError", "No space left on device",
  "  ", "\t", "\r", "<13>", "\uFEFF", "é", "日本", "\u3000", "words ", "x", "0", "Z",
  // Bytes no clean chunk holds: a NUL, and BAD, which stands for a byte that is not UTF-8 (0xff, see bytesOf).
  "\u0000", BAD,
];
/** Lines held for format detection before the first is judged (parsers/detect-format.ts SNIFF_LINES). */
const SNIFFED = SNIFF_LINES;
const FORMATS: readonly (LogFormat | undefined)[] = [undefined, undefined, "plain", "syslog", "logfmt", "docker", "compose", "python", "stamped"];

type Event = { kind: "record"; r: LogRecord } | { kind: "skipped"; line: SkimmedLine };

/** Reads `bytes` cut at `cuts` as read-records.ts does, with the byte lane or without it. */
function read(bytes: Buffer, cuts: readonly number[], format: LogFormat | undefined, bare: boolean) {
  const stats = createFrameStats();
  const splitter = createLineSplitter({ stats, maxLineBytes: 200 });
  const joiner = createMultilineJoiner();
  const events: Event[] = [];
  const parser = createRecordParser(
    { file: "f.log", referenceMs: Date.parse("2026-06-01T00:00:00Z"), timeZone: "UTC", stats, ...(format === undefined ? {} : { format }) },
    {
      wanted: gate,
      ...(gate.bytes === undefined ? {} : { wantedBytes: gate.bytes }),
      ...(bare && gate.literals !== undefined ? { wantedLiterals: gate.literals } : {}),
      open: () => joiner.open(),
      skipped: (line) => {
        const last = joiner.flush();
        if (last !== undefined) events.push({ kind: "record", r: last });
        events.push({ kind: "skipped", line: { ...line } }); // the reader reuses it
      },
    },
  );
  const onRecord = (r: LogRecord) => {
    for (const done of joiner.push(r)) events.push({ kind: "record", r: done });
  };
  const onLine = (l: Parameters<Parameters<typeof splitter.push>[1]>[0]) => parser.push(l, onRecord);
  const onBare = bare ? (c: Buffer, s: number, e: number, n: number) => parser.pushBare(c, s, e, n, onRecord) : undefined;
  let pos = 0;
  for (const cut of [...cuts, bytes.length]) {
    if (cut <= pos) continue;
    splitter.push(Buffer.from(bytes.subarray(pos, cut)), onLine, onBare);
    pos = cut;
  }
  splitter.end(onLine);
  parser.end(onRecord);
  const last = joiner.flush();
  if (last !== undefined) events.push({ kind: "record", r: last });
  return { events, stats };
}

const line = fc.array(fc.constantFrom(...PIECES), { minLength: 0, maxLength: 6 }).map((p) => p.join(""));

test("the byte lane gives the records, skipped lines and counts of the RawLine path", () => {
  let lanes = 0;
  let damaged = 0;
  fc.assert(
    fc.property(
      fc.array(line, { minLength: 1, maxLength: 60 }),
      fc.array(fc.nat(), { maxLength: 6 }),
      fc.constantFrom(...FORMATS),
      fc.boolean(),
      (lines, cutSeeds, format, crlf) => {
        const bytes = bytesOf(lines.join(crlf ? "\r\n" : "\n") + "\n");
        const cuts = cutSeeds.map((c) => c % (bytes.length + 1)).sort((a, b) => a - b);
        const slow = read(bytes, cuts, format, false);
        const fast = read(bytes, cuts, format, true);
        expect(fast.events).toEqual(slow.events);
        expect(fast.stats).toEqual(slow.stats);
        lanes += fast.events.filter((e) => e.kind === "skipped" && e.line.unparsed === true).length;
        damaged += fast.stats.issues.binary + fast.stats.issues.invalid_utf8;
      },
    ),
    { numRuns: 400 },
  );
  // The lane was taken: lines were judged on their bytes, not all sent the RawLine way.
  expect(lanes).toBeGreaterThan(100);
  // And lines with a NUL or a byte that is not UTF-8 were among them, counted alike by both.
  expect(damaged).toBeGreaterThan(0);
});

test("a quiet line held by the lane becomes a record when the next line continues it", () => {
  // Thirty quiet lines (the first ones settle the format), then a stack frame: the last quiet line starts the joined
  // event, its text decoded from the chunk it was held in; the chunk is cut inside the frame.
  const ticks = Array.from({ length: 30 }, (_, k) => `2025-10-08 22:07:${String(k).padStart(2, "0")},123 INFO worker tick ${k}`);
  const text = `${ticks.join("\n")}\n    at Object.<anonymous> (/app/x.js:1:1)\n`;
  const bytes = Buffer.from(text);
  const cut = text.indexOf("Object");
  const fast = read(bytes, [cut], undefined, true);
  expect(fast.events).toEqual(read(bytes, [cut], undefined, false).events);
  // The sniffed lines are records of their own (detection parses them); after them, the lane holds each line.
  const records = fast.events.flatMap((e) => (e.kind === "record" && e.r.ref.line > SNIFFED ? [e.r] : []));
  expect(records.map((r) => [r.ref.line, r.ref.endLine, r.text])).toEqual([[30, 31, `${ticks[29]}\n    at Object.<anonymous> (/app/x.js:1:1)`]]);
  expect(fast.events.filter((e) => e.kind === "skipped" && e.line.unparsed === true)).toHaveLength(29 - SNIFFED);
});

test.each([
  ["java.util.logging's header in a month the syslog lines keep", "syslog", "Mar  3 10:00:00 web1 app[7]: tick", "Mar 3, 2025 1:02:03 PM org.x.Y run"],
  ["a stamp of a month that moves the year", "syslog", "Dec 31 23:59:59 web1 app[7]: tick", "Jan  1 00:00:01 web1 app[7]: new year"],
  ["key=value after an ISO stamp", "plain", "2025-10-08 22:07:22 tick", "2025-10-08T22:07:22Z level=info msg=started"],
  ["key=value on a lower-case line", "plain", "2025-10-08 22:07:22 tick", "level=info msg=started"],
  ["a line ending in Error", "plain", "2025-10-08 22:07:22 tick", "2025-10-08 22:07:23 worker Error  "],
  ["a < start", "plain", "2025-10-08 22:07:22 tick", "<13>Oct  8 22:07:22 web1 app: x"],
  ["a frame after a prefix", "syslog", "Mar  3 10:00:00 web1 app[7]: tick", "Mar  3 10:00:01 web1 app[7]:     at Object.<anonymous> (/app/x.js:1:2)  "],
  ["\"at\" in a sentence", "syslog", "Mar  3 10:00:00 web1 app[7]: tick", "Mar  3 10:00:01 web1 ftpd[7]: connection from 1.2.3.4 () at Sat Jul  9 11:35:59 2005"],
] as const)("%s: as the RawLine path reads it", (_what, format, quiet, odd) => {
  // Twenty-five quiet lines (past format detection), the odd one, then more quiet ones.
  const text = `${[...Array.from({ length: 25 }, () => quiet), odd, quiet, quiet].join("\n")}\n`;
  const bytes = Buffer.from(text);
  const fast = read(bytes, [], format, true);
  expect(fast.events).toEqual(read(bytes, [], format, false).events);
  expect(fast.events.some((e) => e.kind === "skipped" && e.line.unparsed === true)).toBe(true);
});

test("the lane's list of whitespace is what the regex engine's \\s matches, over every UTF-16 code unit", () => {
  const spaces: string[] = [];
  for (let c = 0; c <= 0xffff; c++) if (/\s/.test(String.fromCharCode(c))) spaces.push(String.fromCharCode(c));
  expect([...REGEX_SPACES].sort()).toEqual(spaces.sort());
});

test("a stack frame in a prefixed line's message joins the line before it, as the record path joins it", () => {
  // The frames start mid-line (after the syslog prefix): only their ending and "at " show they may continue the line.
  const lines = [
    ...Array.from({ length: 25 }, (_, k) => `Mar  3 10:00:${String(k).padStart(2, "0")} web1 app[7]: tick ${k} at noon`),
    "Mar  3 10:01:00 web1 app[7]: Unhandled rejection in worker 3",
    "Mar  3 10:01:00 web1 app[7]:     at Object.<anonymous> (/app/worker.js:12:5)",
    "Mar  3 10:01:00 web1 app[7]:     at Module._compile (node:internal/modules/cjs/loader:1105:14)",
    "Mar  3 10:01:01 web1 app[7]: tick 26 at noon",
  ];
  const bytes = Buffer.from(`${lines.join("\n")}\n`);
  const joined = (events: readonly Event[]) => events.flatMap((e) => (e.kind === "record" && e.r.ref.endLine > e.r.ref.line ? [[e.r.ref.line, e.r.ref.endLine, e.r.text]] : []));
  // The record path: every line a record, joined.
  const stats = createFrameStats();
  const splitter = createLineSplitter({ stats });
  const joiner = createMultilineJoiner();
  const all: Event[] = [];
  const parser = createRecordParser({ file: "f.log", referenceMs: Date.parse("2026-06-01T00:00:00Z"), timeZone: "UTC", stats });
  const onRecord = (r: LogRecord) => { for (const done of joiner.push(r)) all.push({ kind: "record", r: done }); };
  splitter.push(bytes, (l) => parser.push(l, onRecord));
  splitter.end((l) => parser.push(l, onRecord));
  parser.end(onRecord);
  const last = joiner.flush();
  if (last !== undefined) all.push({ kind: "record", r: last });
  expect(joined(all)).toEqual([[26, 28, lines.slice(25, 28).join("\n")]]);
  expect(joined(read(bytes, [], undefined, true).events)).toEqual(joined(all));
  expect(joined(read(bytes, [], undefined, false).events)).toEqual(joined(all));
});

test("a \"{\", \"\\\\\" or \"|\" after a line's start sends it to its parse only in a docker or compose stream", () => {
  // HealthApp's "stamp|component|pid|message" and logcat's "Intent { ... }" (Loghub): slices of the line the gate read.
  const health = Array.from({ length: 30 }, (_, k) => `20171223-22:15:${k}:606|Step_LSC|30002312|onStandStepChanged ${3579 + k}`);
  const logcat = Array.from({ length: 30 }, (_, k) => `03-17 16:15:${String(k).padStart(2, "0")}.530  1702  2639 D ActivityManager: Skipping, tr.intent:Intent { flg=0x10804000 cmp=com.android.systemui/.recents.R }`);
  // A compose prefix moves the message; a docker message may be JSON with escapes: each of those lines is parsed.
  const compose = Array.from({ length: 30 }, (_, k) => `api-1  | worker tick ${k}`);
  const docker = Array.from({ length: 30 }, (_, k) => `2025-10-08T22:07:${String(k).padStart(2, "0")}.123456789Z {"msg":"tick \\"${k}\\""}`);
  const unparsed = (events: readonly Event[]) => events.filter((e) => e.kind === "skipped" && e.line.unparsed === true).length;
  for (const [lines, format, quiet] of [[health, undefined, true], [logcat, undefined, true], [compose, "compose", false], [docker, "docker", false]] as const) {
    const bytes = Buffer.from(`${lines.join("\n")}\n`);
    const fast = read(bytes, [], format, true);
    expect(fast.events).toEqual(read(bytes, [], format, false).events);
    // Detection makes records of the sniffed lines; a given format skims every line.
    expect(fast.events.filter((e) => e.kind === "skipped")).toHaveLength(format === undefined ? 30 - SNIFFED : 30);
    // After them, a quiet line is judged on its bytes (the last one too, held until the end).
    expect(unparsed(fast.events)).toBe(quiet ? 30 - SNIFFED : 0);
  }
});
