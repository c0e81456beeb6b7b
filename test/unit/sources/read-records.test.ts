import { Buffer } from "node:buffer";
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import v8 from "node:v8";
import vm from "node:vm";
import { gzipSync } from "node:zlib";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { frameLines, joinMultiline, parseLines } from "../../../src/parsers/index.js";
import { createReadStats, expandInputs, latestLineTime, readLogRecords } from "../../../src/sources/index.js";
import { asChunks, collect } from "../parsers/helpers.js";

const LOGHUB = fileURLToPath(new URL("../../../fixtures/loghub", import.meta.url));
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "fw-read-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("readLogRecords", () => {
  test("reads a directory of mixed formats (gzip included) with ref.file and joined tracebacks", async () => {
    const d = join(dir, "mixed");
    await mkdir(d, { recursive: true });
    await writeFile(join(d, "journal.log"), "2025-12-26T17:57:01-0500 mithrandir systemd[1722]: transcription-palantir.service: Scheduled restart job, restart counter is at 485.\r\n");
    await writeFile(join(d, "segmenter.log.1.gz"), gzipSync([
      "2025-11-08 01:04:15,802 - ERROR - Error rotating segment for stream 348: ",
      "Traceback (most recent call last):",
      '  File "uvloop/handles/process.pyx", line 401, in uvloop.loop.UVProcessTransport._check_proc',
      "ProcessLookupError",
    ].join("\n") + "\n"));
    const stats = createReadStats();
    const rs = await collect(readLogRecords(await expandInputs([d]), { timeZone: "UTC", stats }));
    expect(rs.map((r) => [r.ref.file, r.format, r.ref.line, r.ref.endLine, r.service ?? null])).toEqual([
      [join(d, "journal.log"), "syslog-iso", 1, 1, "transcription-palantir"],
      [join(d, "segmenter.log.1.gz"), "python", 1, 4, "segmenter"], // a Python line names no service: the file name does
    ]);
    expect(rs[0]?.text.endsWith("485.")).toBe(true); // CR stripped
    expect(stats).toMatchObject({ files: 2, lines: 5, records: 2 });
  });

  test("stdin from a stream: syslog years come from the clock, issues are counted with a sample", async () => {
    const input = Buffer.concat([
      Buffer.from("Dec 31 23:59:59 h app[1]: last of the year\n"),
      Buffer.from("Jan  1 00:00:01 h app[1]: bin\0ary "), Buffer.from([0xff, 0xfe]), Buffer.from("\n"),
      Buffer.from('{"msg": "cut\n'),
      Buffer.from("Jan  1 00:00:02 h app[1]: " + "y".repeat(100) + "\n"),
    ]);
    const stats = createReadStats();
    const rs = await collect(readLogRecords([{ path: "-", kind: "stdin" }], {
      stdin: Readable.from([input]), timeZone: "UTC", now: () => Date.parse("2026-01-02T00:00:00Z"), maxLineBytes: 80, stats,
    }));
    expect(rs.map((r) => (r.time === undefined ? null : new Date(r.time).toISOString()))).toEqual(["2025-12-31T23:59:59.000Z", "2026-01-01T00:00:01.000Z", null, "2026-01-01T00:00:02.000Z"]);
    expect(rs.map((r) => r.ref.file)).toEqual(["-", "-", "-", "-"]);
    expect(rs[1]?.message).toBe("bin\0ary \uFFFD\uFFFD");
    expect(rs[3]?.truncatedBytes).toBe(126 - 80);
    expect(stats.issues).toEqual({ too_long: 1, invalid_utf8: 1, binary: 1, bad_json: 1 });
    expect(stats.samples).toEqual({ binary: "-:2", invalid_utf8: "-:2", bad_json: "-:3", too_long: "-:4" });
  });

  test("a forced format skips detection; an aborted read rejects", async () => {
    // One compose-looking line in three is not enough to detect compose; forcing it reads that line as compose.
    const lines = "web_1  | hello\nplain text\nmore plain text\n";
    const read = (format?: "compose") => collect(readLogRecords([{ path: "-", kind: "stdin" }], { stdin: Readable.from([Buffer.from(lines)]), now: () => 0, ...(format ? { format } : {}) }));
    expect((await read()).map((r) => [r.format, r.service ?? null])).toEqual([["plain", null], ["plain", null], ["plain", null]]);
    expect((await read("compose")).map((r) => [r.format, r.service ?? null])).toEqual([["compose", "web"], ["plain", null], ["plain", null]]);
    const ac = new AbortController();
    ac.abort();
    await expect(collect(readLogRecords([{ path: "-", kind: "stdin" }], { stdin: Readable.from([Buffer.from(lines)]), signal: ac.signal }))).rejects.toMatchObject({ name: "AbortError" });
  });

  test("a UTF-8 byte-order mark does not hide the first line's format", async () => {
    const input = Buffer.from('\uFEFF{"level":50,"time":1766789821000,"msg":"first"}\n{"level":30,"time":1766789822000,"msg":"second"}\n');
    const rs = await collect(readLogRecords([{ path: "-", kind: "stdin" }], { stdin: Readable.from([input]), now: () => 0 }));
    expect(rs.map((r) => [r.format, r.level, r.message])).toEqual([["json", "error", "first"], ["json", "info", "second"]]);
  });

  test("a syslog file's year comes from its mtime (a December log read in January)", async () => {
    const p = join(dir, "old-syslog");
    await writeFile(p, "Dec 26 17:57:01 mithrandir bun[1]: x\n");
    await utimes(p, new Date("2026-01-03T00:00:00Z"), new Date("2026-01-03T00:00:00Z"));
    const [r] = await collect(readLogRecords(await expandInputs([p]), { timeZone: "America/New_York" }));
    expect(r?.time).toBe(Date.parse("2025-12-26T22:57:01Z"));
    // A fixed reference overrides the mtime (reproducible golden tests).
    const [g] = await collect(readLogRecords(await expandInputs([p]), { timeZone: "America/New_York", referenceMs: Date.parse("2024-12-31T00:00:00Z") }));
    expect(g?.time).toBe(Date.parse("2024-12-26T22:57:01Z"));
  });

  test("a broken gzip yields the records before the damage, then input_invalid", async () => {
    const p = join(dir, "broken.log.gz");
    const body = Array.from({ length: 5000 }, (_, i) => `INFO line ${i} ${"z".repeat(i % 40)}`).join("\n") + "\n";
    const gz = gzipSync(body);
    await writeFile(p, gz.subarray(0, gz.length - 200));
    const seen: number[] = [];
    await expect((async () => { for await (const r of readLogRecords(await expandInputs([p]))) seen.push(r.ref.line); })()).rejects.toMatchObject({ code: "input_invalid" });
    expect(seen.length).toBeGreaterThan(1000);
    expect(seen.slice(0, 3)).toEqual([1, 2, 3]);
  });

  test("memory stays bounded: a 64 MB line without newline, then 32 MB of ordinary lines", async () => {
    // Measure what is retained, not garbage awaiting collection: expose V8's gc for this test.
    v8.setFlagsFromString("--expose-gc");
    const gc = vm.runInNewContext("gc") as () => void;
    const big = Buffer.alloc(1 << 20, 0x61);
    const lines = Buffer.from(Array.from({ length: 600 }, (_, i) => `Dec 26 17:57:01 mithrandir bun[7]: Error: Failed to start server. Is port 9003 in use? #${i}`).join("\n") + "\n");
    let fed = 0;
    async function* source() {
      for (let i = 0; i < 64; i++) { fed += big.length; yield big; }
      yield Buffer.from("\n");
      while (fed < 96 * (1 << 20)) { fed += lines.length; yield lines; }
    }
    const retained = () => { gc(); const m = process.memoryUsage(); return m.heapUsed + m.arrayBuffers; };
    const before = retained();
    let peak = 0;
    let records = 0;
    const stats = createReadStats();
    for await (const r of readLogRecords([{ path: "-", kind: "stdin" }], { stdin: source(), now: () => 0, timeZone: "UTC", stats })) {
      if (records === 0) {
        expect(r.truncatedBytes).toBe(64 * (1 << 20) - 65536);
        peak = Math.max(peak, retained() - before);
      }
      if ((++records & 0xffff) === 0) peak = Math.max(peak, retained() - before);
    }
    expect(stats.bytes).toBeGreaterThan(96 * (1 << 20));
    expect(records).toBe(stats.lines);
    // 96 MB went through; what stays alive is a capped line and one chunk's records.
    expect(peak).toBeLessThan(8 * (1 << 20));
  });

  test("a gzip cut in its trailer still yields every record before failing (sniffed and joined ones too)", async () => {
    const p = join(dir, "short.log.gz");
    const gz = gzipSync("2025-11-08 01:04:15,802 - INFO - one\n2025-11-08 01:04:15,802 - ERROR - two: \nTraceback (most recent call last):\n  File \"a.py\", line 1\nProcessLookupError\n");
    await writeFile(p, gz.subarray(0, gz.length - 4));
    const seen: [number, number][] = [];
    await expect((async () => { for await (const r of readLogRecords(await expandInputs([p]), { timeZone: "UTC" })) seen.push([r.ref.line, r.ref.endLine]); })())
      .rejects.toMatchObject({ code: "input_invalid" });
    expect(seen).toEqual([[1, 1], [2, 5]]);
  });

  test("every Loghub file reads without crashing, one record per non-empty line unless joined", async () => {
    const files = (await readdir(LOGHUB)).filter((f) => f.endsWith(".log")).sort();
    expect(files.length).toBeGreaterThanOrEqual(16);
    const stats = createReadStats();
    const byFile = new Map<string, Map<string, number>>();
    for await (const r of readLogRecords(await expandInputs(files.map((f) => join(LOGHUB, f))), { timeZone: "UTC", stats })) {
      const name = r.ref.file.split("/").pop() ?? "";
      const m = byFile.get(name) ?? new Map<string, number>();
      m.set(r.format, (m.get(r.format) ?? 0) + 1);
      byFile.set(name, m);
    }
    const formatOf = (f: string) => [...(byFile.get(f) ?? new Map<string, number>()).entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
    expect(formatOf("Linux_2k.log")).toBe("syslog");
    expect(formatOf("OpenSSH_2k.log")).toBe("syslog");
    expect(formatOf("Mac_2k.log")).toBe("syslog");
    expect(formatOf("HDFS_2k.log")).toBe("stamped");
    expect(formatOf("Zookeeper_2k.log")).toBe("python");
    expect(stats.files).toBe(files.length);
    expect(stats.lines).toBe(files.length * 2000);
    expect(stats.records).toBeLessThanOrEqual(stats.lines);
    expect(stats.records).toBeGreaterThan(stats.lines * 0.98);
  });
});

describe("chunking does not change the records", () => {
  const LINES = [
    "2025-11-08 01:04:15,802 - INFO - Rotating segment for stream 348",
    "2025-11-08 01:04:15,802 - ERROR - Error rotating segment for stream 348: ",
    "Traceback (most recent call last):",
    '  File "uvloop/handles/process.pyx", line 401, in uvloop.loop.UVProcessTransport._check_proc',
    "ProcessLookupError",
    "Error: listen EADDRINUSE: address already in use :::9003",
    "    at Server.setupListenHandle [as _listen2] (node:net:1817:16)",
    "Dec 26 17:57:01 mithrandir systemd[1722]: transcription-palantir.service: Scheduled restart job, restart counter is at 485.",
    '{"level":50,"time":1766789821000,"msg":"Job 8 failed: Input file not accessible"}',
    '{"level":50,"msg":"cut',
    "héllo wörld €",
    "",
    "thread 'main' panicked at src/main.rs:12:5:",
    "boom",
  ];
  const pipeline = (bytes: Buffer, cuts: number[], maxLineBytes: number) =>
    collect(joinMultiline(parseLines(frameLines(asChunks(bytes, cuts), { maxLineBytes }), { file: "f", timeZone: "UTC", referenceMs: Date.parse("2025-12-27T00:00:00Z") })));

  test("any split of the input into chunks gives the same records after parsing and joining", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom(...LINES), { maxLength: 40 }), fc.array(fc.nat(4000)), fc.boolean(), fc.constantFrom(16, 64, 65536),
        async (lines, cuts, crlf, cap) => {
          const bytes = Buffer.from(lines.join(crlf ? "\r\n" : "\n"));
          const whole = await pipeline(bytes, [], cap);
          expect(await pipeline(bytes, cuts, cap)).toEqual(whole);
          // readLogRecords runs the same stages synchronously per chunk: same records again.
          const viaRead = await collect(readLogRecords([{ path: "f", kind: "stdin" }], {
            stdin: asChunks(bytes, cuts), maxLineBytes: cap, timeZone: "UTC", now: () => Date.parse("2025-12-27T00:00:00Z"),
          }));
          expect(viaRead).toEqual(whole);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("latestLineTime", () => {
  test("is the newest time of any line, wherever it stands, across files, a joined event's head included", async () => {
    const a = join(dir, "latest-a.log");
    const b = join(dir, "latest-b.log");
    // Out of order: the newest line of a is in its middle; b is older than all of a but for its traceback's head.
    await writeFile(a, ["2025-03-01T10:00:00Z web1 app[7]: one", "2025-03-09T10:00:00Z web1 app[7]: newest", "2025-03-02T10:00:00Z web1 app[7]: three"].join("\n") + "\n");
    await writeFile(b, ["2025-01-01 10:00:00,000 - INFO - old", "2025-04-01 10:00:00,000 - ERROR - failed: ", "Traceback (most recent call last):", "ValueError: x"].join("\n") + "\n");
    expect(await latestLineTime(await expandInputs([a]), { timeZone: "UTC" })).toBe(Date.parse("2025-03-09T10:00:00Z"));
    expect(await latestLineTime(await expandInputs([a, b]), { timeZone: "UTC" })).toBe(Date.parse("2025-04-01T10:00:00Z"));
  });
});
