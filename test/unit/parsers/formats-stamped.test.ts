// The dated-stamp formats beyond syslog: log4j/logback, ISO with and without "T", Go, zap, logfmt, java.util.logging.
import { describe, expect, test } from "vitest";
import { Buffer } from "node:buffer";
import { createParseContext, frameLines, joinMultiline, parseLine, parseLines } from "../../../src/parsers/index.js";
import type { LogFormat } from "../../../src/parsers/index.js";
import { asChunks, collect } from "./helpers.js";

const parseText = (lines: readonly string[], timeZone: string) =>
  joinMultiline(parseLines(frameLines(asChunks(Buffer.from(lines.join("\n") + "\n"), [])), { file: "f", timeZone, referenceMs: Date.parse("2025-12-27T00:00:00Z") }));

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
const ctx = createParseContext({ timeZone: "America/New_York", referenceMs: Date.parse("2025-12-27T00:00:00Z") });
const parse = (line: string, format: LogFormat = "plain") => parseLine(line, format, ctx);

describe("lines that open with a dated stamp", () => {
  test.each([
    ["logback, comma millis", "stamped", "2015-10-18 18:01:47,978 INFO [main] org.apache.hadoop.mapreduce.v2.app.MRAppMaster: Created MRAppMaster", "2015-10-18T22:01:47.978Z", "info"],
    ["log4j2, dot millis", "stamped", "2025-11-20 15:00:00.123 ERROR [http-nio-8080-exec-1] c.e.Api: boom", "2025-11-20T20:00:00.123Z", "error"],
    ["ISO with T, no offset: the zone", "stamped", "2025-11-20T15:00:00 WARN low disk", "2025-11-20T20:00:00.000Z", "warn"],
    ["ISO with T and Z: the offset wins", "docker", "2025-11-20T15:00:00.5Z ERROR failed", "2025-11-20T15:00:00.500Z", "error"],
    ["zap console (tabs)", "docker", "2025-11-20T15:00:00.000Z\tERROR\tserver/main.go:42\tlisten tcp :8080: bind: address already in use", "2025-11-20T15:00:00.000Z", "error"],
    ["Go's log package", "stamped", "2025/11/20 15:00:00 listen tcp :8080: bind: address already in use", "2025-11-20T20:00:00.000Z", undefined],
    ["Go's log package with microseconds", "stamped", "2025/11/20 15:00:00.123456 dial tcp 10.0.0.5:5432: connect: connection refused", "2025-11-20T20:00:00.123Z", undefined],
    ["Spark (log4j yy/MM/dd)", "stamped", "17/06/09 20:10:40 INFO executor.CoarseGrainedExecutorBackend: Registered signal handlers", "2017-06-10T00:10:40.000Z", "info"],
    ["OpenStack (oslo.log with pid)", "stamped", "2017-05-16 00:00:00.008 25746 INFO nova.osapi_compute.wsgi.server [req-1] GET", "2017-05-16T04:00:00.008Z", "info"],
    ["Windows CBS", "stamped", "2016-09-28 04:30:31, Error                 CSI    00000001 failed", "2016-09-28T08:30:31.000Z", "error"],
  ])("%s", (_name, format, line, time, level) => {
    const p = parse(line);
    expect(p.format).toBe(format); // a "Z" stamp is docker logs -t's shape: that parser reads it first
    expect(iso(p.time)).toBe(time);
    expect(p.level).toBe(level);
  });

  test("a Java logger is kept as fields.logger, never taken for the service", () => {
    const p = parse("2015-10-18 18:01:47,978 INFO [main] org.apache.hadoop.mapreduce.v2.app.MRAppMaster: Created MRAppMaster");
    expect(p).toMatchObject({ service: undefined, pid: undefined, message: "Created MRAppMaster", fields: { logger: "org.apache.hadoop.mapreduce.v2.app.MRAppMaster", thread: "main" } });
  });

  test("two-digit dates need a level word after them: a number at the start of a line is not a date", () => {
    expect(parse("081109 203615 processed").format).toBe("plain");
    expect(parse("17/06/09 20:10:40 done").format).toBe("plain");
    expect(parse("2025-13-40 10:00:00 not a date").format).toBe("plain");
  });
});

describe("logfmt (logrus text formatter, go-kit)", () => {
  test("pairs become fields, quoted values unescaped, the time and level read", () => {
    const p = parse('time="2025-11-20T15:00:00-05:00" level=error msg="listen failed" error="listen tcp :8080: bind: address already in use" port=8080');
    expect(p).toMatchObject({
      format: "logfmt", level: "error", message: "listen failed",
      fields: { error: "listen tcp :8080: bind: address already in use", port: "8080" },
    });
    expect(iso(p.time)).toBe("2025-11-20T20:00:00.000Z");
    expect(parse('level=warn msg="say \\"hi\\""').message).toBe('say "hi"');
  });

  test("a sentence with an equals sign is not logfmt", () => {
    expect(parse("retry=3 exhausted for job 7").format).toBe("plain");
    expect(parse('msg="unterminated').format).toBe("plain");
  });
});

describe("java.util.logging", () => {
  test("the header has the time; the SEVERE line after it joins it into one record", async () => {
    const rs = await collect(parseText([
      "Dec 07, 2025 2:45:12 PM org.example.Server start",
      "SEVERE: Failed to bind to port 8080",
      "java.net.BindException: Address already in use",
      "\tat java.base/sun.nio.ch.Net.bind0(Native Method)",
      "Dec 07, 2025 2:45:13 PM org.example.Server stop",
      "INFO: stopped",
    ], "UTC"));
    expect(rs.map((r) => [r.format, iso(r.time), r.ref.line, r.ref.endLine])).toEqual([
      ["jul", "2025-12-07T14:45:12.000Z", 1, 4],
      ["jul", "2025-12-07T14:45:13.000Z", 5, 6],
    ]);
    expect(rs[0]?.text).toContain("SEVERE: Failed to bind to port 8080");
    expect(rs[0]?.fields.logger).toBe("org.example.Server");
  });
});

describe("glog / klog (Kubernetes, Go daemons)", () => {
  test("level letter, MMDD and microseconds; the year inferred like syslog's", () => {
    const p = parse("E1107 12:34:56.789012    1234 server.go:42] listen tcp :8080: bind: address already in use");
    expect(p).toMatchObject({ format: "klog", level: "error", pid: 1234, message: "listen tcp :8080: bind: address already in use", fields: { source: "server.go:42" } });
    expect(iso(p.time)).toBe("2025-11-07T17:34:56.789Z");
  });
});

describe("Android logcat", () => {
  test("threadtime: level letter, pid, tag; the year inferred like syslog's", () => {
    const p = parse("03-17 16:13:38.811  1702  2395 E AndroidRuntime: FATAL EXCEPTION: main");
    expect(p).toMatchObject({ format: "logcat", level: "error", pid: 1702, message: "FATAL EXCEPTION: main", fields: { tag: "AndroidRuntime" } });
    expect(iso(p.time)).toBe("2025-03-17T20:13:38.811Z");
  });
});
