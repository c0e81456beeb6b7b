// Rules match a structured record's error fields as well as its message: the real JSON shapes of pino, bunyan,
// winston, zap, logrus, python-json-logger, a web app's nested cause and journald carrying an app's JSON line.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createParseContext, parseLine, type LogRecord } from "../../../src/parsers/index.js";
import { compileRules, createMatcher, loadBuiltinRules } from "../../../src/rules/index.js";
import { runAnalyze } from "../../../src/cli/analyze.js";

const ctx = createParseContext({ timeZone: "UTC", referenceMs: Date.parse("2025-12-01T00:00:00Z") });
let match: (r: LogRecord) => { ruleId: string; fields: Readonly<Record<string, string>> }[];
beforeAll(async () => {
  const m = createMatcher(compileRules(await loadBuiltinRules()));
  match = (r) => m(r).map((s) => ({ ruleId: s.ruleId, fields: s.fields }));
});

/** A record as the JSON parser makes it from one line. */
function record(line: string): LogRecord {
  const p = parseLine(line, "json", ctx);
  return {
    text: p.text ?? line, raw: line, message: p.message, time: p.time, host: p.host, service: p.service, pid: p.pid, level: p.level,
    fields: p.fields, format: p.format, ref: { file: "app.log", line: 1, endLine: 1 }, truncatedBytes: 0,
    ...(p.errors === undefined ? {} : { errors: p.errors }),
  };
}

const SHAPES: readonly [name: string, line: string, rule: string, fields: Record<string, string>][] = [
  [
    "pino: err.message and err.stack under a plain msg",
    '{"level":50,"time":1763650800000,"pid":42,"hostname":"web1","msg":"Job 7f3a failed","err":{"type":"Error","message":"MAC check failed","stack":"Error: MAC check failed\\n    at decrypt (/app/src/crypto.js:10:5)"}}',
    "mac_check_failed", {},
  ],
  [
    "bunyan: err object with code, msg says only that the server failed",
    '{"name":"api","hostname":"web1","pid":42,"level":50,"err":{"message":"listen EADDRINUSE: address already in use :::9003","name":"Error","stack":"Error: listen EADDRINUSE: address already in use :::9003\\n    at Server.setupListenHandle [as _listen2] (node:net:1817:16)","code":"EADDRINUSE"},"msg":"server failed to start","time":"2025-11-20T15:00:00.000Z","v":0}',
    "eaddrinuse_loop", { port: "9003" },
  ],
  [
    "zap: error string and stacktrace",
    '{"level":"error","ts":1763650800.123,"caller":"server/main.go:42","msg":"server failed","error":"listen tcp :8080: bind: address already in use","stacktrace":"main.main\\n\\t/app/main.go:42\\nruntime.main\\n\\t/usr/local/go/src/runtime/proc.go:250"}',
    "eaddrinuse_loop", { port: "8080" },
  ],
  [
    "winston: the stack at the top level",
    '{"level":"error","message":"uncaughtException","stack":"Error: listen EADDRINUSE: address already in use 0.0.0.0:3000\\n    at Server.setupListenHandle [as _listen2] (node:net:1817:16)","timestamp":"2025-11-20T15:00:00.000Z"}',
    "eaddrinuse_loop", { port: "3000" },
  ],
  [
    "python-json-logger: exc_info holds the traceback",
    '{"asctime": "2025-11-20 15:00:00,123", "levelname": "ERROR", "name": "decision_data.backend.services.audio_processor", "message": "Decryption failed for job 7f3a", "exc_info": "Traceback (most recent call last):\\n  File \\"/app/crypto.py\\", line 12, in decrypt\\n    cipher.decrypt_and_verify(data, tag)\\nValueError: MAC check failed"}',
    "mac_check_failed", {},
  ],
  [
    ".NET Serilog compact JSON: the exception in @x",
    '{"@t":"2025-11-20T15:00:00.000Z","@mt":"Hosting failed to start","@l":"Fatal","@x":"System.IO.IOException: Failed to bind to address http://127.0.0.1:5000: address already in use.\\n ---> System.Net.Sockets.SocketException (98): Address already in use"}',
    "eaddrinuse_loop", {},
  ],
  [
    ".NET JSON console shape: capitalized and camelCase keys (Exception, Message, stackTrace)",
    '{"Timestamp":"2025-11-20T15:00:00Z","EventId":0,"LogLevel":"Error","Category":"Worker","Message":"Worker stopped","Exception":{"Message":"MAC check failed","stackTrace":"at Decrypt()"}}',
    "mac_check_failed", {},
  ],
  [
    "a web app's JSON: the cause two levels down",
    '{"timestamp":"2025-11-20T15:00:00Z","level":"ERROR","message":"Request failed","context":{"error":{"type":"SequelizeConnectionError","cause":{"message":"listen EADDRINUSE: address already in use :::9003"}}}}',
    "eaddrinuse_loop", { port: "9003" },
  ],
];

describe("rules match error fields", () => {
  test.each(SHAPES)("%s", (_name, line, rule, fields) => {
    const r = record(line);
    expect(r.text).not.toMatch(/EADDRINUSE|address already in use|MAC check/); // the message alone says nothing
    const hits = match(r).filter((s) => s.ruleId === rule);
    expect(hits).toHaveLength(1);
    expect(hits[0]?.fields).toMatchObject(fields);
  });

  test("error fields that say nothing known, empty or null, match nothing", () => {
    expect(match(record('{"level":50,"msg":"Job failed","err":{"message":"bad input","stack":"Error: bad input"}}'))).toEqual([]);
    expect(match(record('{"level":50,"msg":"ok","error":null,"err":""}'))).toEqual([]);
    // A type name is not an error's text: "err.type" is not searched.
    expect(record('{"msg":"x","err":{"type":"EADDRINUSE"}}').errors).toBeUndefined();
  });

  test("a journal entry whose MESSAGE is an app's JSON line: its err fields are matched, the unit stays the service", () => {
    const app = '{"level":50,"msg":"Job failed","err":{"message":"MAC check failed"}}';
    const line = JSON.stringify({ __REALTIME_TIMESTAMP: "1763650800000000", _HOSTNAME: "web1", _SYSTEMD_UNIT: "worker.service", SYSLOG_IDENTIFIER: "node", MESSAGE: app });
    const p = parseLine(line, "journal-json", ctx);
    expect(p).toMatchObject({ service: "worker", text: "Job failed", level: "error", errors: ["MAC check failed"] });
  });

  test("logfmt (logrus text): the error pair is matched", () => {
    const p = parseLine('time="2025-11-20T15:00:00Z" level=error msg="server failed" error="listen tcp :8080: bind: address already in use"', "plain", ctx);
    expect(p.errors).toEqual(["listen tcp :8080: bind: address already in use"]);
  });
});

describe("in a report", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), "fw-errfields-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("three zap lines make the crash loop; the evidence is the line as logged", async () => {
    const lines = [0, 10, 20].map((s) => `{"level":"error","ts":${1763650800 + s},"msg":"server failed","error":"listen tcp :8080: bind: address already in use"}`);
    writeFileSync(path.join(dir, "api.log"), lines.join("\n") + "\n");
    const { incidents } = await runAnalyze([dir], { rules: [], timeZone: "UTC" }, { now: () => Date.now() });
    const f = incidents[0]?.findings.find((x) => x.rule === "eaddrinuse_loop");
    expect(f).toMatchObject({ state: "firing", count: 3, fields: { port: "8080" } });
    expect(f?.evidence[0]?.text).toBe(lines[0]);
  });
});
