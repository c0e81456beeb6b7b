import { describe, expect, test } from "vitest";
import { createFrameStats, createParseContext, detectFormat, parseLine } from "../../../src/parsers/index.js";
import type { LogFormat, ParseContext } from "../../../src/parsers/index.js";

const NY = "America/New_York";
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
const ctxAt = (ref: string, timeZone = NY): ParseContext => createParseContext({ timeZone, referenceMs: Date.parse(ref) });
const parse = (line: string, format: LogFormat, ctx = ctxAt("2025-12-27T00:00:00Z")) => parseLine(line, format, ctx);

describe("syslog family", () => {
  test("journalctl short: systemd's line about a unit is that unit's, in the configured zone", () => {
    const p = parse("Dec 26 17:57:01 mithrandir systemd[1722]: transcription-palantir.service: Scheduled restart job, restart counter is at 485.", "syslog");
    expect(p).toMatchObject({
      format: "syslog", host: "mithrandir", service: "transcription-palantir", pid: 1722,
      message: "transcription-palantir.service: Scheduled restart job, restart counter is at 485.",
      fields: { unit: "transcription-palantir.service", program: "systemd" },
    });
    expect(iso(p.time)).toBe("2025-12-26T22:57:01.000Z");
  });

  test("systemd's job lines name the unit too; other systemd lines stay systemd's", () => {
    expect(parse("2025-12-26T16:41:53-0500 mithrandir systemd[1722]: Started transcription-palantir.service - Transcription Palantir (Whisper batch API and worker).", "syslog-iso"))
      .toMatchObject({ service: "transcription-palantir", fields: { unit: "transcription-palantir.service" } });
    expect(parse("Dec 26 17:57:01 mithrandir systemd[1]: Started Session 3 of User nbost.", "syslog")).toMatchObject({ service: "systemd", fields: { program: "systemd" } });
    expect(parse("Dec 26 17:57:01 mithrandir systemd[1]: Started Session 3 of User nbost.", "syslog").fields.unit).toBeUndefined();
  });

  test("the same stamp read as UTC", () => {
    const p = parse("Dec 26 17:57:01 mithrandir bun[1573680]: Error: Failed to start server. Is port 9003 in use?", "syslog", ctxAt("2025-12-27T00:00:00Z", "UTC"));
    expect(iso(p.time)).toBe("2025-12-26T17:57:01.000Z");
    expect(p).toMatchObject({ service: "bun", pid: 1573680, message: "Error: Failed to start server. Is port 9003 in use?", level: "error" });
  });

  test("short-precise keeps milliseconds and says so", () => {
    const p = parse("Dec 26 17:57:01.123456 mithrandir bun[1573680]: listening", "syslog");
    expect(p.format).toBe("syslog-precise");
    expect(iso(p.time)).toBe("2025-12-26T22:57:01.123Z");
  });

  test("short-iso with -0500, +00:00 and fractions; the offset wins over the zone", () => {
    const a = parse("2025-12-26T17:57:01-0500 mithrandir systemd[1722]: transcription-palantir.service: Main process exited, code=exited, status=1/FAILURE", "syslog-iso");
    expect(a).toMatchObject({ format: "syslog-iso", service: "transcription-palantir", fields: { unit: "transcription-palantir.service" } });
    expect(iso(a.time)).toBe("2025-12-26T22:57:01.000Z");
    const b = parse("2025-12-26T22:57:01.250000+00:00 mithrandir bun[1573680]: error: EADDRINUSE", "syslog-iso");
    expect(iso(b.time)).toBe("2025-12-26T22:57:01.250Z");
    expect(b).toMatchObject({ service: "bun", pid: 1573680, message: "error: EADDRINUSE" });
  });

  test("RFC 5424 with structured data, priority as level, msgid in fields", () => {
    const p = parse('<11>1 2025-12-26T22:57:01.003Z mithrandir palantir 1573680 ID47 [origin ip="10.0.0.2"][meta x="a\\]b"] Error: Failed to start server. Is port 9003 in use?', "syslog-iso");
    expect(p).toMatchObject({
      format: "syslog-iso", host: "mithrandir", service: "palantir", pid: 1573680, level: "error",
      message: "Error: Failed to start server. Is port 9003 in use?", fields: { msgid: "ID47" },
    });
    expect(iso(p.time)).toBe("2025-12-26T22:57:01.003Z");
    expect(parse("<165>1 2025-12-26T22:57:01Z - - - - - plain", "syslog-iso")).toMatchObject({ host: undefined, service: undefined, level: "info", message: "plain" });
  });

  test('syslog "kernel: [ 123.456] msg" moves the monotonic stamp into fields', () => {
    const p = parse("Nov  6 03:12:09 rsky kernel: [1234567.123456] Out of memory: Killed process 4242 (ingester) total-vm:812345kB", "syslog");
    expect(p).toMatchObject({ service: "kernel", message: "Out of memory: Killed process 4242 (ingester) total-vm:812345kB", fields: { monotonic: "1234567.123456" } });
  });

  test("Linux_2k / OpenSSH_2k lines (Loghub) parse with their odd program names", () => {
    expect(parse("Jun 14 15:16:01 combo sshd(pam_unix)[19939]: check pass; user unknown", "syslog")).toMatchObject({ host: "combo", service: "sshd(pam_unix)", pid: 19939, message: "check pass; user unknown" });
    expect(parse("Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186", "syslog")).toMatchObject({ host: "LabSZ", service: "sshd", pid: 24200 });
    expect(parse("Jul  1 09:00:55 calvisitor-10-105-160-95 --- last message repeated 1 time ---", "syslog")).toMatchObject({ service: undefined, message: "--- last message repeated 1 time ---" });
  });
});

describe("syslog year inference", () => {
  test("the reference's year, minus one when the first stamp would be after the reference; Dec → Jan rolls forward", () => {
    const ctx = ctxAt("2026-01-05T12:00:00Z", "UTC");
    const years = ["Dec 31 23:59:58 h a: x", "Jan  1 00:00:01 h a: y", "Dec 31 23:59:59 h a: late line", "Jan  4 10:00:00 h a: z"].map((l) => iso(parseLine(l, "syslog", ctx).time));
    expect(years).toEqual(["2025-12-31T23:59:58.000Z", "2026-01-01T00:00:01.000Z", "2025-12-31T23:59:59.000Z", "2026-01-04T10:00:00.000Z"]);
  });

  test("no stamp lands after the reference's day: a later day of the reference's month is last year's (Loghub's OpenSSH \"Dec 10\")", () => {
    const ctx = ctxAt("2026-12-07T02:45:00Z", "UTC");
    expect(iso(parseLine("Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186", "syslog", ctx).time)).toBe("2025-12-10T06:55:46.000Z");
    // The reference's own day keeps its year, even hours after the reference (clocks and zones differ by hours).
    expect(iso(parseLine("Dec  7 23:00:00 h a: x", "syslog", ctxAt("2026-12-07T02:45:00Z", "UTC")).time)).toBe("2026-12-07T23:00:00.000Z");
    // Rolling forward past the reference (a file whose lines outrun it) is clamped line by line, never into the future.
    const rolled = ctxAt("2026-01-05T12:00:00Z", "UTC");
    const times = ["Dec 31 23:59:58 h a: x", "Jan  1 00:00:01 h a: y", "Feb  3 10:00:00 h a: z"].map((l) => parseLine(l, "syslog", rolled).time ?? Infinity);
    for (const t of times) expect(t).toBeLessThanOrEqual(Date.parse("2026-01-06T00:00:00Z"));
  });

  test("a year hint (a dated stamp of the same run) picks the year nearest it, still never after the reference", () => {
    const hinted = (hint: string, ref = "2026-12-07T02:45:00Z") => createParseContext({ timeZone: "UTC", referenceMs: Date.parse(ref), yearHintMs: Date.parse(hint) });
    expect(iso(parseLine("Nov 20 15:00:05 h a: x", "syslog", hinted("2025-11-20T15:00:00Z")).time)).toBe("2025-11-20T15:00:05.000Z");
    expect(iso(parseLine("Dec 30 15:00:05 h a: x", "syslog", hinted("2026-01-02T00:00:00Z")).time)).toBe("2025-12-30T15:00:05.000Z");
    expect(iso(parseLine("Jan  2 15:00:05 h a: x", "syslog", hinted("2025-12-30T00:00:00Z")).time)).toBe("2026-01-02T15:00:05.000Z");
    // The hint cannot pull a stamp past the reference: a hint in the future of the reference loses.
    expect(iso(parseLine("Nov 20 15:00:05 h a: x", "syslog", hinted("2027-11-20T00:00:00Z")).time)).toBe("2026-11-20T15:00:05.000Z");
  });

  test("a stamp in the reference's month keeps its year and is never 1970", () => {
    const p = parseLine("Jun 14 15:16:01 combo su: x", "syslog", ctxAt("2026-06-20T00:00:00Z", "UTC"));
    expect(iso(p.time)).toBe("2026-06-14T15:16:01.000Z");
  });

  test("an unknown time zone is a usage error naming it", () => {
    expect(() => createParseContext({ timeZone: "Mars/Olympus_Mons", referenceMs: 0 })).toThrow(expect.objectContaining({ code: "usage", message: expect.stringContaining("Mars/Olympus_Mons") }));
  });

  test("daylight saving time: EDT in summer, EST in winter", () => {
    const ctx = ctxAt("2025-12-31T00:00:00Z");
    expect(iso(parseLine("Jul  4 12:00:00 h a: x", "syslog", ctx).time)).toBe("2025-07-04T16:00:00.000Z");
    expect(iso(parseLine("Dec  4 12:00:00 h a: x", "syslog", ctx).time)).toBe("2025-12-04T17:00:00.000Z");
  });
});

describe("journalctl -o json", () => {
  const entry = (o: Record<string, unknown>) => JSON.stringify(o);
  test("systemd's message about a user unit: service, unit, cursor, level, restart count", () => {
    const p = parse(entry({
      __CURSOR: "s=abc;i=1f2", __REALTIME_TIMESTAMP: "1766789821123456", _HOSTNAME: "mithrandir", SYSLOG_IDENTIFIER: "systemd", _PID: "1722",
      _SYSTEMD_UNIT: "user@1000.service", USER_UNIT: "transcription-palantir.service", PRIORITY: "6", MESSAGE_ID: "5eb03494b6584870a536b337290809b3",
      N_RESTARTS: "485", MESSAGE: "transcription-palantir.service: Scheduled restart job, restart counter is at 485.",
    }), "journal-json");
    expect(p).toMatchObject({
      format: "journal-json", host: "mithrandir", service: "transcription-palantir", pid: 1722, level: "info", cursor: "s=abc;i=1f2",
      text: "transcription-palantir.service: Scheduled restart job, restart counter is at 485.",
      fields: { unit: "transcription-palantir.service", N_RESTARTS: "485", MESSAGE_ID: "5eb03494b6584870a536b337290809b3" },
    });
    expect(p.time).toBe(1766789821123);
  });

  test("MESSAGE as a byte array (binary-safe journald) is decoded; the service is the process's own unit", () => {
    const bytes = [...Buffer.from("Error: listen EADDRINUSE: address already in use :::9003\u0000")];
    const p = parse(entry({ MESSAGE: bytes, _HOSTNAME: "mithrandir", _SYSTEMD_USER_UNIT: "transcription-palantir.service", _SYSTEMD_UNIT: "user@1000.service", SYSLOG_IDENTIFIER: "bun", _PID: "1573680", PRIORITY: "3", __REALTIME_TIMESTAMP: "1766789821000000" }), "journal-json");
    expect(p).toMatchObject({ message: "Error: listen EADDRINUSE: address already in use :::9003\u0000", service: "transcription-palantir", level: "error", pid: 1573680 });
  });

  test("the time is when the program logged it (_SOURCE_REALTIME_TIMESTAMP) when journald knows it", () => {
    const p = parse(entry({ MESSAGE: "x", _HOSTNAME: "h", __REALTIME_TIMESTAMP: "1766789821999000", _SOURCE_REALTIME_TIMESTAMP: "1766789821000500" }), "journal-json");
    expect(p.time).toBe(1766789821000);
  });

  test("PRIORITY maps 0-7 onto levels", () => {
    const lv = ["0", "3", "4", "5", "7"].map((p) => parse(entry({ MESSAGE: "x", PRIORITY: p, _HOSTNAME: "h" }), "journal-json").level);
    expect(lv).toEqual(["fatal", "error", "warn", "info", "debug"]);
  });
});

describe("docker and compose", () => {
  test("docker logs --timestamps: nanosecond stamp, text is the whole line", () => {
    const line = "2025-11-08T01:04:15.802345678Z [EXIT-TRACE] tokio::select! triggered on labeler_handle - EXIT PATH F";
    const p = parse(line, "docker");
    expect(p).toMatchObject({ format: "docker", message: "[EXIT-TRACE] tokio::select! triggered on labeler_handle - EXIT PATH F", fields: { timestamp: "2025-11-08T01:04:15.802345678Z" } });
    expect(p.text).toBeUndefined(); // the caller uses the physical line
    expect(iso(p.time)).toBe("2025-11-08T01:04:15.802Z");
  });

  test("Rust tracing and Python logging inside docker logs give level, target and the bare message", () => {
    const t = parse("2025-11-14T10:31:06.346182210Z 2025-11-14T10:31:06.346100Z ERROR rsky_ingester::labeler: labeler task for mod.bsky.app exited: WebSocket protocol error", "docker");
    expect(t).toMatchObject({ level: "error", fields: { target: "rsky_ingester::labeler" }, message: "labeler task for mod.bsky.app exited: WebSocket protocol error" });
    expect(iso(t.time)).toBe("2025-11-14T10:31:06.346Z");
    const p = parse("2025-11-08T01:04:15.802345678Z 2025-11-08 01:04:15,802 - ERROR - Error rotating segment for stream 348: ", "docker");
    expect(p).toMatchObject({ level: "error", message: "Error rotating segment for stream 348: " });
  });

  test("Rust tracing output without docker's stamp is not mistaken for short-iso syslog", () => {
    const p = parse("2025-11-14T10:31:06.346100Z ERROR rsky_ingester::labeler: labeler task exited", "plain");
    expect(p).toMatchObject({ host: undefined, level: "error", fields: { target: "rsky_ingester::labeler" }, message: "labeler task exited" });
    expect(parse("2025-12-26T22:57:01Z INFO app: started", "plain")).toMatchObject({ host: undefined, level: "info", message: "started" });
    expect(parse("Dec 26 17:57:01 h rsky_ingester::labeler: x", "syslog")).toMatchObject({ service: undefined, message: "rsky_ingester::labeler: x" });
  });

  test("docker events lines carry the container name, action and exit code", () => {
    const id = "7f3a9c".padEnd(64, "0");
    const p = parse(`2025-11-08T01:04:15.000000000Z container die ${id} (exitCode=137, image=rsky-ingester:latest, name=rsky-ingester)`, "docker");
    expect(p).toMatchObject({ service: "rsky-ingester", fields: { event_type: "container", action: "die", id, exitCode: "137", image: "rsky-ingester:latest" } });
  });

  test("an app's JSON inside docker logs gives its level and message", () => {
    const p = parse('2025-12-26T22:57:01.000000000Z {"level":50,"time":1766789821000,"msg":"Job 8 failed: Input file not accessible: /mnt/x.m4a"}', "docker");
    expect(p).toMatchObject({ level: "error", message: "Job 8 failed: Input file not accessible: /mnt/x.m4a", text: "Job 8 failed: Input file not accessible: /mnt/x.m4a" });
  });

  test("compose prefixes name the service (replica suffix dropped), with or without timestamps", () => {
    expect(parse("web_1  | Error: listen EADDRINUSE: address already in use :::9003", "compose")).toMatchObject({ format: "compose", service: "web", fields: { container: "web_1" }, message: "Error: listen EADDRINUSE: address already in use :::9003", level: "error" });
    expect(parse("api-1  | INFO started", "compose")).toMatchObject({ service: "api", level: "info" });
    const t = parse("rust-ingester  | 2025-11-08T01:04:15.802345678Z [EXIT-TRACE] Running in 'all' mode", "compose");
    expect(t).toMatchObject({ format: "compose", service: "rust-ingester", message: "[EXIT-TRACE] Running in 'all' mode" });
    expect(iso(t.time)).toBe("2025-11-08T01:04:15.802Z");
    expect(parse("\u001b[36mweb_1  |\u001b[0m hello", "compose")).toMatchObject({ service: "web", message: "hello" });
  });
});

describe("JSON lines", () => {
  test("pino: numeric level, ms time, pid, hostname; text is the message", () => {
    const p = parse('{"level":50,"time":1766789821000,"pid":1573680,"hostname":"mithrandir","jobId":"8","msg":"Job 8 failed: Input file not accessible"}', "json");
    expect(p).toMatchObject({ format: "json", level: "error", time: 1766789821000, pid: 1573680, host: "mithrandir", text: "Job 8 failed: Input file not accessible", fields: { jobId: "8", level: "50" } });
    expect(p.fields.msg).toBeUndefined();
  });

  test("bunyan: name is the service, ISO time", () => {
    const p = parse('{"name":"palantir","hostname":"mithrandir","pid":12,"level":40,"msg":"slow","time":"2025-12-26T22:57:01.500Z","v":0}', "json");
    expect(p).toMatchObject({ service: "palantir", level: "warn", time: Date.parse("2025-12-26T22:57:01.500Z") });
  });

  test("winston: level words, message, timestamp, nested metadata flattened", () => {
    const p = parse('{"level":"error","message":"listen EADDRINUSE","timestamp":"2025-12-26T22:57:01.000Z","service":"api","err":{"code":"EADDRINUSE","port":9003}}', "json");
    expect(p).toMatchObject({ level: "error", message: "listen EADDRINUSE", service: "api", fields: { "err.code": "EADDRINUSE", "err.port": "9003" } });
  });

  test("python-json-logger: levelname, asctime in the zone, logger name", () => {
    const p = parse('{"asctime": "2025-11-08 01:04:15,802", "levelname": "ERROR", "name": "segmenter", "message": "Error rotating segment for stream 348: "}', "json", ctxAt("2025-11-09T00:00:00Z", "UTC"));
    expect(p).toMatchObject({ level: "error", service: "segmenter", message: "Error rotating segment for stream 348: " });
    expect(iso(p.time)).toBe("2025-11-08T01:04:15.802Z");
  });

  test("docker's json-file lines: log is the message (newline dropped), RFC 3339 nano time, level from the text", () => {
    const p = parse('{"log":"ERROR: could not connect to Redis at redis:6379\\n","stream":"stderr","time":"2025-11-08T01:04:15.802345678Z"}', "json");
    expect(p).toMatchObject({ message: "ERROR: could not connect to Redis at redis:6379", level: "error", fields: { stream: "stderr" }, time: Date.parse("2025-11-08T01:04:15.802Z") });
  });

  test("broken JSON falls back to plain and is counted as bad_json", () => {
    const stats = createFrameStats();
    const ctx = ctxAt("2025-12-27T00:00:00Z");
    const line = '{"level":50,"msg":"Job 8 fail';
    const p = parseLine(line, "json", ctx, () => { stats.issues.bad_json += 1; });
    expect(p).toMatchObject({ format: "plain", message: line });
    expect(stats.issues.bad_json).toBe(1);
  });
});

describe("Python logging, dmesg, plain", () => {
  test("seed 004's lines, with and without the logger name", () => {
    const ctx = ctxAt("2025-11-09T00:00:00Z", "UTC");
    const a = parseLine("2025-11-08 01:04:15,802 - ERROR - Error rotating segment for stream 348: ", "python", ctx);
    expect(a).toMatchObject({ format: "python", level: "error", message: "Error rotating segment for stream 348: " });
    expect(iso(a.time)).toBe("2025-11-08T01:04:15.802Z");
    expect(parseLine("2025-11-08 01:04:15,802 - segmenter.rotate - WARNING - Segment duration limit reached: 15 days, 4:23:21", "python", ctx)).toMatchObject({ level: "warn", service: undefined, fields: { logger: "segmenter.rotate" }, message: "Segment duration limit reached: 15 days, 4:23:21" });
  });

  test("a logger's module path is kept in fields.logger, never taken for the service", () => {
    const line = "2025-11-20 15:00:00,123 - decision_data.backend.services.audio_processor - ERROR - Decryption failed for job 7f3a: MAC check failed";
    expect(parse(line, "python")).toMatchObject({ service: undefined, fields: { logger: "decision_data.backend.services.audio_processor" } });
    const json = '{"asctime": "2025-11-20 15:00:00,123", "levelname": "ERROR", "name": "decision_data.backend.services.audio_processor", "message": "x"}';
    expect(parse(json, "json").service).toBeUndefined();
    expect(parse('{"name":"transcription-api","level":50,"msg":"x"}', "json").service).toBe("transcription-api"); // bunyan's app name
    expect(parse('{"service":{"name":"billing"},"logger":"com.acme.billing.Invoice","message":"x"}', "json").service).toBe("billing");
  });

  test("basicConfig's LEVEL:logger:message lines have a level and logger but no time", () => {
    expect(parse("ERROR:streamvault.recorder:Error rotating segment for stream 348: ", "plain")).toMatchObject({
      format: "python", level: "error", service: undefined, fields: { logger: "streamvault.recorder" }, time: undefined, message: "Error rotating segment for stream 348: ",
    });
    expect(parse("INFO:     Started server process [1]", "plain")).toMatchObject({ format: "plain", level: "info" });
  });

  test("Zookeeper's Python-like lines (Loghub) come out as python with a level", () => {
    const p = parse("2015-07-29 17:41:44,747 - INFO  [QuorumPeer[myid=1]/0:0:0:0:0:0:0:0:2181:FastLeaderElection@774] - Notification time out: 3200", "python");
    expect(p).toMatchObject({ format: "python", level: "info" });
  });

  test("dmesg: seconds since boot need a boot time; dmesg -T is read in the zone", () => {
    const line = "[ 1234.567890] Out of memory: Killed process 4242 (rsky-ingester) total-vm:812345kB, anon-rss:8000kB";
    expect(parse(line, "dmesg")).toMatchObject({ format: "dmesg", time: undefined, service: "kernel", message: "Out of memory: Killed process 4242 (rsky-ingester) total-vm:812345kB, anon-rss:8000kB", fields: { monotonic: "1234.567890" } });
    const booted = parseLine(line, "dmesg", createParseContext({ timeZone: "UTC", referenceMs: 0, bootTimeMs: Date.parse("2025-11-06T00:00:00Z") }));
    expect(iso(booted.time)).toBe("2025-11-06T00:20:34.567Z");
    const t = parseLine("[Thu Nov  6 03:12:09 2025] Memory cgroup out of memory: Killed process 4242 (rsky-ingester)", "dmesg", ctxAt("2025-11-07T00:00:00Z", "UTC"));
    expect(iso(t.time)).toBe("2025-11-06T03:12:09.000Z");
  });

  test("Apache's error log shares dmesg -T's stamp but is not the kernel", () => {
    expect(parse("[Sun Dec 04 04:47:44 2005] [error] mod_jk child workerEnv in error state 6", "dmesg")).toMatchObject({ level: "error", service: undefined });
  });

  test("plain text keeps the line and sniffs a leading level word", () => {
    expect(parse("ERROR: could not connect to server", "plain")).toMatchObject({ format: "plain", message: "ERROR: could not connect to server", level: "error", time: undefined });
    expect(parse("Segmentation fault (core dumped)", "plain")).toMatchObject({ format: "plain", level: undefined, time: undefined });
  });

  test("a line that does not fit the file's format falls back to what it is", () => {
    expect(parse("2025-11-08 01:04:15,802 - INFO - Rotating segment for stream 348", "syslog")).toMatchObject({ format: "python" });
    expect(parse("  File \"uvloop/handles/process.pyx\", line 401, in uvloop.loop.UVProcessTransport._check_proc", "python")).toMatchObject({ format: "plain" });
    // A stream detected as plain (a banner, mixed content) still recognises the lines that have a shape.
    expect(parse("Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster", "plain")).toMatchObject({ format: "syslog", service: "sshd" });
  });
});

describe("detectFormat", () => {
  const ctx = ctxAt("2025-12-27T00:00:00Z");
  test.each<[LogFormat, string[]]>([
    ["syslog", ["Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186", "Dec 10 06:55:48 LabSZ sshd[24200]: Failed password"]],
    ["syslog-iso", ["2025-12-26T17:57:01-0500 mithrandir systemd[1722]: x.service: Failed.", "2025-12-26T17:57:02-0500 mithrandir bun[1]: up"]],
    ["docker", ["2025-11-08T01:04:15.802345678Z [EXIT-TRACE] Running in 'all' mode", "2025-11-08T01:04:15.902345678Z INFO server: started"]],
    ["compose", ["web_1  | starting", "web_1  | Error: listen EADDRINUSE", "db_1   | ready"]],
    ["python", ["2025-11-08 01:04:15,802 - INFO - Rotating segment for stream 348", "Traceback (most recent call last):", "  File \"x.py\", line 1", "ProcessLookupError"]],
    ["json", ['{"level":30,"time":1,"msg":"a"}', '{"level":50,"time":2,"msg":"b"}']],
    ["journal-json", ['{"MESSAGE":"a","__REALTIME_TIMESTAMP":"1","_HOSTNAME":"h"}']],
    ["dmesg", ["[    0.000000] Linux version 6.1.0", "[    0.004000] Command line: BOOT_IMAGE=/vmlinuz"]],
    ["stamped", ["081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1", "2015-10-18 18:01:47,978 INFO [main] org.apache.hadoop.mapreduce.v2.app.MRAppMaster: Created MRAppMaster"]],
    ["plain", ["Segmentation fault (core dumped)", "hello | world"]],
  ])("%s", (format, lines) => {
    expect(detectFormat(lines, ctx)).toBe(format);
  });
});
