import { Buffer } from "node:buffer";
import { describe, expect, test } from "vitest";
import { createMultilineJoiner, frameLines, joinMultiline, parseLines } from "../../../src/parsers/index.js";
import type { JoinOptions, LogRecord } from "../../../src/parsers/index.js";
import { asChunks, collect } from "./helpers.js";

const records = async (lines: string[], join: JoinOptions = {}, file = "app.log"): Promise<LogRecord[]> => {
  const bytes = Buffer.from(lines.join("\n") + "\n");
  const parsed = parseLines(frameLines(asChunks(bytes, [])), { file, timeZone: "UTC", referenceMs: Date.parse("2025-12-27T00:00:00Z") });
  return collect(joinMultiline(parsed, join));
};
const shape = (rs: LogRecord[]) => rs.map((r) => ({ text: r.text, line: r.ref.line, endLine: r.ref.endLine }));

describe("joinMultiline", () => {
  test("seed 004: the ERROR line, the traceback and the exception name are ONE record", async () => {
    const rs = await records([
      "2025-11-08 01:04:15,802 - INFO - Rotating segment for stream 348",
      "2025-11-08 01:04:15,802 - ERROR - Error rotating segment for stream 348: ",
      "Traceback (most recent call last):",
      '  File "uvloop/handles/process.pyx", line 401, in uvloop.loop.UVProcessTransport._check_proc',
      "ProcessLookupError",
      "2025-11-08 01:14:15,803 - INFO - Rotating segment for stream 348",
    ]);
    expect(shape(rs)).toEqual([
      { text: "2025-11-08 01:04:15,802 - INFO - Rotating segment for stream 348", line: 1, endLine: 1 },
      {
        text: [
          "2025-11-08 01:04:15,802 - ERROR - Error rotating segment for stream 348: ",
          "Traceback (most recent call last):",
          '  File "uvloop/handles/process.pyx", line 401, in uvloop.loop.UVProcessTransport._check_proc',
          "ProcessLookupError",
        ].join("\n"),
        line: 2,
        endLine: 5,
      },
      { text: "2025-11-08 01:14:15,803 - INFO - Rotating segment for stream 348", line: 6, endLine: 6 },
    ]);
    expect(rs[1]).toMatchObject({ level: "error", format: "python", message: expect.stringContaining("\nProcessLookupError") });
  });

  test("a chained Python traceback stays together across the blank lines Python prints", async () => {
    const rs = await records([
      "2025-11-08 01:04:15,802 - ERROR - rotate failed",
      "Traceback (most recent call last):",
      '  File "a.py", line 1, in f',
      "KeyError: 'x'",
      "",
      "During handling of the above exception, another exception occurred:",
      "",
      "Traceback (most recent call last):",
      '  File "a.py", line 3, in g',
      "ProcessLookupError",
      "2025-11-08 01:04:16,000 - INFO - next",
    ]);
    expect(rs).toHaveLength(2);
    expect(rs[0]?.ref).toEqual({ file: "app.log", line: 1, endLine: 10 });
  });

  test("a Traceback after an ordinary INFO line starts its own record", async () => {
    const rs = await records(["2025-11-08 01:04:15,802 - INFO - all good", "Traceback (most recent call last):", '  File "a.py", line 1, in f', "ValueError: bad"]);
    expect(shape(rs).map((r) => [r.line, r.endLine])).toEqual([[1, 1], [2, 4]]);
  });

  test("Rust panics: new-style message line, note and numbered backtrace", async () => {
    const rs = await records([
      "thread 'main' panicked at src/main.rs:12:5:",
      "called `Result::unwrap()` on an `Err` value: Os { code: 98, kind: AddrInUse }",
      "note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace",
      "stack backtrace:",
      "   0: rust_begin_unwind",
      "             at /rustc/90b35a6239c3d8bdabc530a6a0816f7ff89a0aaf/library/std/src/panicking.rs:645:5",
      "   1: core::panicking::panic_fmt",
      "starting again",
    ]);
    expect(shape(rs).map((r) => [r.line, r.endLine])).toEqual([[1, 7], [8, 8]]);
  });

  test("seed 001: [FATAL PANIC OCCURRED] with Location and backtrace, in docker logs", async () => {
    const ts = (n: number) => `2025-11-08T01:04:1${n}.802345678Z`;
    const rs = await records([
      `${ts(0)} [EXIT-TRACE] Entering tokio::select! with all three tasks`,
      `${ts(1)} [FATAL PANIC OCCURRED]`,
      `${ts(1)} Location: rsky-ingester/src/labeler.rs:123:45`,
      `${ts(1)} Message: index out of bounds: the len is 0 but the index is 0`,
      `${ts(1)} Backtrace:`,
      `${ts(1)}    0: rsky_ingester::labeler::run_labeler`,
      `${ts(1)}              at ./rsky-ingester/src/labeler.rs:123:45`,
      `${ts(2)} Starting rsky-ingester`,
    ]);
    expect(shape(rs).map((r) => [r.line, r.endLine])).toEqual([[1, 1], [2, 7], [8, 8]]);
    expect(rs[1]?.message.split("\n")[1]).toBe("Location: rsky-ingester/src/labeler.rs:123:45");
  });

  test("Node stacks with the error's properties; old-style Rust panic line", async () => {
    const rs = await records([
      "Error: listen EADDRINUSE: address already in use :::9003",
      "    at Server.setupListenHandle [as _listen2] (node:net:1817:16)",
      "    at listenInCluster (node:net:1865:12)",
      "    at process.processTicksAndRejections (node:internal/process/task_queues:82:21) {",
      "  code: 'EADDRINUSE',",
      "  errno: -98,",
      "  port: 9003",
      "}",
      "thread 'main' panicked at 'boom', src/main.rs:3:5",
      "note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace",
    ]);
    expect(shape(rs).map((r) => [r.line, r.endLine])).toEqual([[1, 8], [9, 10]]);
  });

  test("Go panics: goroutine dump and exit status (blank lines are not records)", async () => {
    const rs = await records([
      "panic: runtime error: invalid memory address or nil pointer dereference",
      "[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x4a5b2c]",
      "",
      "goroutine 1 [running]:",
      "main.(*Server).listen(0x0)",
      "\t/app/server.go:42 +0x2c",
      "main.main()",
      "\t/app/main.go:12 +0x1d",
      "exit status 2",
      "2025/12/26 17:57:02 starting again",
    ]);
    expect(shape(rs).map((r) => [r.line, r.endLine])).toEqual([[1, 9], [10, 10]]);
  });

  test("Bun's error with its properties and frames (blank line between) is one record; a plain indented line is not", async () => {
    const rs = await records([
      "error: Failed to start server. Is port 9003 in use?",
      ' syscall: "listen",',
      "   errno: 0,",
      '    code: "EADDRINUSE"',
      "",
      "      at serve (native:1:1)",
      "      at /home/nbost/transcription-palantir/dist/index.js:4123:18",
      "Server stopped",
      "INFO ready",
      "  code: 1",
    ]);
    expect(shape(rs).map((r) => [r.line, r.endLine])).toEqual([[1, 7], [8, 8], [9, 9], [10, 10]]);
  });

  test("Java: tab frames, Caused by, ... N more", async () => {
    const rs = await records([
      '2025-12-26 17:57:01,000 - ERROR - Exception in thread "main" java.lang.IllegalStateException: pool exhausted',
      "\tat com.zaxxer.hikari.pool.HikariPool.getConnection(HikariPool.java:197)",
      "\tat com.example.App.main(App.java:12)",
      "Caused by: java.sql.SQLTransientConnectionException: Connection is not available",
      "\tat com.zaxxer.hikari.pool.HikariPool.createTimeoutException(HikariPool.java:696)",
      "\t... 12 more",
      "2025-12-26 17:57:02,000 - INFO - retrying",
    ]);
    expect(shape(rs).map((r) => [r.line, r.endLine])).toEqual([[1, 6], [7, 7]]);
  });

  test("prefixed formats join only lines of the same host, service and pid", async () => {
    const rs = await records([
      "Dec 26 17:57:01 mithrandir bun[100]: Error: listen EADDRINUSE: address already in use :::9003",
      "Dec 26 17:57:01 mithrandir bun[100]:     at Server.setupListenHandle [as _listen2] (node:net:1817:16)",
      "Dec 26 17:57:01 mithrandir node[200]:     at listenInCluster (node:net:1865:12)",
      "Dec 26 17:57:01 mithrandir bun[100]: ordinary line",
    ]);
    expect(shape(rs).map((r) => [r.line, r.endLine])).toEqual([[1, 2], [3, 3], [4, 4]]);
    expect(rs[0]?.message).toBe("Error: listen EADDRINUSE: address already in use :::9003\n    at Server.setupListenHandle [as _listen2] (node:net:1817:16)");
    expect(rs[0]?.text.split("\n")).toHaveLength(2);
  });

  test("compose: a replica's stack joins its own record, not another replica's", async () => {
    const rs = await records([
      "web_1  | Error: listen EADDRINUSE: address already in use :::9003",
      "web_2  |     at Server.setupListenHandle [as _listen2] (node:net:1817:16)",
      "web_1  |     at listenInCluster (node:net:1865:12)",
      "web_1  | listening",
    ]);
    expect(shape(rs).map((r) => [r.line, r.endLine])).toEqual([[1, 1], [2, 2], [3, 3], [4, 4]]);
    const same = await records(["web_1  | Error: boom", "web_1  |     at f (x.js:1:2)", "web_2  | ok"]);
    expect(shape(same).map((r) => [r.line, r.endLine])).toEqual([[1, 2], [3, 3]]);
  });

  test("does NOT join an ordinary next log line, an indented line, or a line from another file", async () => {
    const rs = await records(["ERROR something failed", "  indented but not a frame", "INFO next", "    at 5 pm the job ran"]);
    expect(rs).toHaveLength(4);
    const joiner = createMultilineJoiner();
    const a: LogRecord = { text: "Error: x", message: "Error: x", time: undefined, host: undefined, service: undefined, pid: undefined, level: undefined, fields: {}, format: "plain", ref: { file: "a.log", line: 1, endLine: 1 }, truncatedBytes: 0 };
    const b: LogRecord = { ...a, text: "    at f (x.js:1:2)", message: "    at f (x.js:1:2)", ref: { file: "b.log", line: 1, endLine: 1 } };
    expect(joiner.push(a)).toEqual([]);
    expect(joiner.push(b)).toEqual([a]);
    expect(joiner.flush()).toEqual(b);
    expect(joiner.flush()).toBeUndefined();
  });

  test("bounded: a stack longer than maxLines continues in a new record", async () => {
    const frames = Array.from({ length: 9 }, (_, i) => `    at f${i} (x.js:${i}:1)`);
    const rs = await records(["Error: deep", ...frames], { maxLines: 4 });
    expect(rs.map((r) => r.text.split("\n").length)).toEqual([4, 4, 2]);
    expect(rs.map((r) => r.ref.line)).toEqual([1, 5, 9]);
  });

  test("a joined record keeps the truncated bytes of its lines", async () => {
    const bytes = Buffer.from(["Error: " + "x".repeat(30), "    at f (x.js:1:2)"].join("\n") + "\n");
    const rs = await collect(joinMultiline(parseLines(frameLines(asChunks(bytes, []), { maxLineBytes: 25 }), { file: "f", timeZone: "UTC", referenceMs: 0 })));
    expect(rs).toHaveLength(1);
    expect(rs[0]?.truncatedBytes).toBe(37 - 25);
    expect(rs[0]?.ref).toEqual({ file: "f", line: 1, endLine: 2 });
  });
});
