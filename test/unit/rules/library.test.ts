// The built-in signature library: every rule loads, compiles, keeps its own examples, and recognises real lines of many programs.
import { readdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { beforeAll, describe, expect, test } from "vitest";
import { compileRules, createMatcher, loadBuiltinRules, testExample, type CompiledRule } from "../../../src/rules/index.js";
import type { Rule } from "../../../src/rules/schema.js";
import type { LogRecord } from "../../../src/parsers/record.js";
import type { Signal } from "../../../src/rules/signal.js";
import { createCorrelator, type Finding } from "../../../src/correlate/index.js";

const LIBRARY_DIR = fileURLToPath(new URL("../../../src/rules/library/", import.meta.url));

/** Public ids: other tools and tests rely on them. */
const REQUIRED_IDS = [
  "eaddrinuse_loop", "systemd_restart_loop", "docker_restart_loop", "exit_trace", "oom_kill", "rust_panic",
  "process_lookup_error", "segment_rotation_stuck", "mac_check_failed", "riff_format_error", "transcription_timeout",
  "max_retries_exceeded", "legacy_encryption", "transcription_failed", "stale_job_queue", "inotify_limit", "disk_full",
  "pg_too_many_clients", "pool_exhausted", "redis_unreachable", "rabbitmq_unreachable", "health_check_failed",
];

/** Placeholders every template may use besides the rule's own captured and derived fields. */
const STANDARD_PLACEHOLDERS = new Set(["host", "service", "count", "firstSeen", "lastSeen", "interval", "span"]);
/** Record properties group_by may name besides captured fields. */
const RECORD_KEYS = new Set(["host", "service", "pid"]);
/** Structured fields a source's records carry (src/jobs/job-record.ts for failed jobs): a rule's `fields` may name them. */
const STRUCTURED_FIELDS = new Set(["job_id", "queue", "attempts", "job_name", "data_file", "data_issue"]);

function record(text: string, line = 1, time?: number): LogRecord {
  return {
    text, message: text, time, host: undefined, service: undefined, pid: undefined, level: undefined,
    fields: {}, format: "plain", ref: { file: "test.log", line, endLine: line }, truncatedBytes: 0,
  };
}

let rules: Rule[];
let compiled: CompiledRule[];
let match: (r: LogRecord) => Signal[];
/** Rule ids whose main pattern set matched the line, through the real matcher (prefilter included). */
const matchingRules = (line: string): string[] => match(record(line)).filter((s) => s.role === "match").map((s) => s.ruleId);
const signalOf = (id: string, line: string): Signal | undefined =>
  match(record(line)).find((s) => s.ruleId === id && s.role === "match");

/** Every regex source of a rule, all roles. */
function sources(rule: Rule): string[] {
  const specs = [rule.match, rule.clears];
  if (rule.kind === "sequence") specs.push(rule.then);
  if (rule.kind === "absence") specs.push(rule.expect, rule.until);
  return specs.flatMap((s) => (s ? [...s.any, ...(s.structured ?? []).flatMap((alt) => Object.values(alt))] : []));
}
function capturedNames(rule: Rule): Set<string> {
  const names = new Set<string>();
  for (const src of sources(rule)) for (const m of src.matchAll(/\(\?<([A-Za-z_$][\w$]*)>/g)) if (m[1]) names.add(m[1]);
  // `fields: { job: { capture: [...] } }` finds the field in the matched line.
  for (const [name, spec] of Object.entries(rule.fields)) if (typeof spec !== "string") names.add(name);
  return names;
}
function derivedNames(rule: Rule): Set<string> {
  return new Set(rule.derive.flatMap((d) => Object.keys(d.set)));
}
function strings(v: unknown): string[] {
  if (typeof v === "string") return [v];
  if (Array.isArray(v)) return v.flatMap(strings);
  if (v && typeof v === "object") return Object.values(v).flatMap(strings);
  return [];
}

beforeAll(async () => {
  rules = await loadBuiltinRules();
  compiled = compileRules(rules);
  match = createMatcher(compiled);
});

describe("the built-in library", () => {
  test("holds every required rule, one file per rule named after its id", async () => {
    const files = (await readdir(LIBRARY_DIR)).filter((f) => f.endsWith(".yaml")).sort();
    const ids = rules.map((r) => r.id).sort();
    expect(files).toEqual(ids.map((id) => `${id}.yaml`));
    expect(ids).toEqual(expect.arrayContaining(REQUIRED_IDS));
    expect(new Set(ids).size).toBe(ids.length);
  });

  test("compiles every rule: all regexes valid and accepted as safe", () => {
    expect(compiled.map((c) => c.id)).toEqual(rules.map((r) => r.id));
  });

  test("every rule has at least one positive and one negative example", () => {
    const lacking = rules
      .filter((r) => !r.examples.some((e) => e.matches) || !r.examples.some((e) => !e.matches))
      .map((r) => r.id);
    expect(lacking).toEqual([]);
  });

  test("every example behaves as it says (matched or not, fields a subset of the captured ones)", () => {
    const wrong: string[] = [];
    for (const c of compiled)
      for (const ex of c.rule.examples) {
        const got = testExample(c, ex.line, ex.structured);
        if (got.matched !== ex.matches) wrong.push(`${c.id}: ${ex.matches ? "missed" : "wrongly matched"} ${JSON.stringify(ex.line)}`);
        else if (ex.matches && ex.fields)
          for (const [k, v] of Object.entries(ex.fields))
            if (got.fields[k] !== v) wrong.push(`${c.id}: ${k}=${JSON.stringify(got.fields[k])}, want ${JSON.stringify(v)} in ${JSON.stringify(ex.line)}`);
      }
    expect(wrong).toEqual([]);
  });

  test("every structured alternative of a main set is exercised by a positive example", () => {
    const untested: string[] = [];
    for (const r of rules)
      (r.match.structured ?? []).forEach((alt, i) => {
        const holds = (f: Readonly<Record<string, string>>) => Object.entries(alt).every(([k, re]) => Object.hasOwn(f, k) && new RegExp(re).test(f[k] ?? ""));
        if (!r.examples.some((e) => e.matches && e.structured !== undefined && holds(e.structured))) untested.push(`${r.id}: match.structured[${i}]`);
      });
    expect(untested).toEqual([]);
    expect(rules.filter((r) => r.match.structured).map((r) => r.id).sort()).toEqual(["container_state", "systemd_restart_loop", "systemd_unit_failed", "systemd_unit_state"]);
  });

  test("templates only use placeholders the rule can fill", () => {
    const unknown: string[] = [];
    for (const r of rules) {
      // A field a failed job record carries (queue...) fills a template when the rule summarises it (fields: queue).
      const fromJobs = Object.keys(r.fields).filter((f) => STRUCTURED_FIELDS.has(f));
      const known = new Set([...STANDARD_PLACEHOLDERS, ...capturedNames(r), ...derivedNames(r), ...fromJobs]);
      const texts = [r.title ?? "", r.observed?.title ?? "", ...strings(r.knowledge), ...r.derive.flatMap((d) => Object.values(d.set))];
      for (const t of texts) for (const m of t.matchAll(/\{(\w+)\}/g)) if (m[1] && !known.has(m[1])) unknown.push(`${r.id}: {${m[1]}} in ${JSON.stringify(t)}`);
    }
    expect(unknown).toEqual([]);
  });

  test("group_by, fields, derive conditions and tables refer to fields the rules capture", () => {
    const dangling: string[] = [];
    for (const r of rules) {
      const captured = capturedNames(r);
      const derived = derivedNames(r);
      for (const g of r.group_by) if (!RECORD_KEYS.has(g) && !captured.has(g)) dangling.push(`${r.id}: group_by ${g}`);
      for (const f of Object.keys(r.fields)) if (!captured.has(f) && !derived.has(f) && !STRUCTURED_FIELDS.has(f)) dangling.push(`${r.id}: fields.${f}`);
      for (const d of r.derive) if (d.when && !captured.has(d.when.field)) dangling.push(`${r.id}: derive when ${d.when.field}`);
      if (r.table) {
        if (!captured.has(r.table.key)) dangling.push(`${r.id}: table.key ${r.table.key}`);
        const st = r.table.status;
        const other = st && rules.find((o) => o.id === st.rule);
        if (st && !other) dangling.push(`${r.id}: table.status.rule ${st.rule}`);
        if (st && other && !capturedNames(other).has(st.key)) dangling.push(`${r.id}: table.status.key ${st.key}`);
        if (st && other && other.role !== "context") dangling.push(`${r.id}: ${st.rule} should be a context rule`);
      }
    }
    expect(dangling).toEqual([]);
  });

  test("kinds follow the failures: loops are thresholds, seed 004 recurs, external kills are absences", () => {
    const kind = (id: string) => rules.find((r) => r.id === id)?.kind;
    expect(["eaddrinuse_loop", "systemd_restart_loop", "docker_restart_loop"].map(kind)).toEqual(["threshold", "threshold", "threshold"]);
    expect(kind("segment_rotation_stuck")).toBe("recurrence");
    expect(kind("external_kill")).toBe("absence");
    expect(rules.find((r) => r.id === "job_completed")?.role).toBe("context");
  });
});

/** [rule, line, fields the signal must carry]: wording of many programs beyond the rules' own examples. */
const RECOGNISED: [string, string, Record<string, string>?][] = [
  // EADDRINUSE
  ["eaddrinuse_loop", '{"level":50,"time":1735250221000,"msg":"Error: listen EADDRINUSE: address already in use :::3000"}', { port: "3000" }],
  ["eaddrinuse_loop", "web_1  | Error: listen EADDRINUSE: address already in use 127.0.0.1:8080", { port: "8080" }],
  ["eaddrinuse_loop", "Dec 26 22:54:03 mithrandir bun[1600456]: Failed to start server. Is port 9003 in use?", { port: "9003" }],
  ["eaddrinuse_loop", "INFO:     Started server process [12]\nERROR:    [Errno 98] error while attempting to bind on address ('127.0.0.1', 8001): address already in use", { port: "8001" }],
  ["eaddrinuse_loop", "  File \"/usr/lib/python3.11/socketserver.py\", line 466, in server_bind\nOSError: [Errno 98] Address already in use"],
  ["eaddrinuse_loop", "OSError: [Errno 48] Address already in use"],
  ["eaddrinuse_loop", "level=fatal msg=\"listen tcp 0.0.0.0:9090: bind: address already in use\"", { port: "9090" }],
  ["eaddrinuse_loop", "listen tcp6 [::]:8443: bind: address already in use", { port: "8443" }],
  ["eaddrinuse_loop", "nginx: [emerg] bind() to [::]:80 failed (98: Address already in use)", { port: "80" }],
  ["eaddrinuse_loop", "(98)Address already in use: AH00072: make_sock: could not bind to address [::]:80", { port: "80" }],
  ["eaddrinuse_loop", "2025-01-10 10:00:00.000 UTC [1] LOG:  could not bind IPv4 address \"127.0.0.1\": Address already in use"],
  ["eaddrinuse_loop", "io.netty.channel.unix.Errors$NativeIoException: bind(..) failed: Address already in use"],
  ["eaddrinuse_loop", "Description:\n\nWeb server failed to start. Port 8080 was already in use.", { port: "8080" }],
  // systemd
  ["systemd_restart_loop", "Dec 26 17:55:31 mithrandir systemd[1254]: transcription-palantir.service: Scheduled restart job, restart counter is at 476.", { unit: "transcription-palantir", counter: "476" }],
  ["systemd_restart_loop", "systemd[1]: sshd.service: Start request repeated too quickly.", { unit: "sshd" }],
  ["systemd_unit_failed", "2025-12-26T17:57:00-0500 mithrandir systemd[1254]: transcription-palantir.service: Main process exited, code=exited, status=1/FAILURE", { unit: "transcription-palantir", status: "1/FAILURE" }],
  ["systemd_unit_failed", "systemd[1]: getty@tty1.service: Main process exited, code=exited, status=203/EXEC", { unit: "getty@tty1", status: "203/EXEC" }],
  // Docker
  ["docker_restart_loop", "2025-11-08T01:04:41.000000000Z container die 3f2a9c1b7d4e5f60 (exitCode=137, image=rsky-ingester:debug, name=rust-ingester)", { container: "rust-ingester", exit_code: "137" }],
  ["docker_restart_loop", "2025-11-08T01:04:41.123456789+01:00 container die 0123456789ab (com.docker.compose.service=ingester, exitCode=101, image=x, name=atproto-ingester-1)", { container: "atproto-ingester-1", exit_code: "101" }],
  // seed 001
  ["exit_trace", "rust-ingester  | [EXIT-TRACE] tokio::select! triggered on backfill_handle - EXIT PATH E", { task: "backfill", path: "E" }],
  ["exit_trace", "[EXIT-TRACE] Firehose-only mode exited - EXIT PATH A", { path: "A" }],
  ["rust_panic", "thread 'tokio-runtime-worker' panicked at rsky-ingester/src/firehose.rs:88:14:\ncalled `Result::unwrap()` on an `Err` value", { location: "rsky-ingester/src/firehose.rs:88:14", thread: "tokio-runtime-worker" }],
  ["rust_panic", "thread '<unnamed>' panicked at 'index out of bounds: the len is 3 but the index is 7', src/labeler.rs:210:9", { thread: "<unnamed>", location: "src/labeler.rs:210:9" }],
  ["external_kill", "2025-11-08T01:04:15Z INFO [EXIT-TRACE] Entering tokio::select! with all three tasks"],
  // OOM
  ["oom_kill", "[Thu Nov  6 03:12:09 2025] Out of memory: Killed process 1234 (node) total-vm:2107896kB, anon-rss:1024000kB, file-rss:0kB", { pid: "1234", process: "node" }],
  ["oom_kill", "Nov  6 03:12:09 host kernel: [  123.456] Memory cgroup out of memory: Killed process 8811 (python3) total-vm:500000kB", { pid: "8811", process: "python3" }],
  ["oom_kill", "kernel: oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,task_memcg=/user.slice,task=chrome,pid=4321,uid=1000", { process: "chrome", pid: "4321", constraint: "CONSTRAINT_NONE" }],
  ["oom_kill", "systemd[1]: docker-3f2a.scope: A process of this unit has been killed by the OOM killer.", { unit: "docker-3f2a" }],
  // seed 004
  ["process_lookup_error", "2025-11-07 20:14:15,801 - ERROR - Error rotating segment for stream 345: \nTraceback (most recent call last):\n  File \"uvloop/handles/process.pyx\", line 401, in uvloop.loop.UVProcessTransport._check_proc\nProcessLookupError", { stream: "345" }],
  ["process_lookup_error", "    os.kill(pid, signal.SIGTERM)\nProcessLookupError: [Errno 3] No such process"],
  ["segment_rotation_stuck", "2025-11-05 03:20:00,100 - ERROR - Error rotating segment for stream 413: ", { stream: "413" }],
  // seed 003
  ["legacy_encryption", "2025-10-19 12:00:00 ERROR processor: job 77 failed: Automatic decryption not yet implemented - requires manual trigger"],
  ["max_retries_exceeded", "2025-10-19 12:00:00 ERROR processor: Exceeded maximum retries (5)", { max_retries: "5" }],
  ["transcription_failed", "2025-10-19 12:00:00 ERROR processor: Transcription failed or too short"],
  ["mac_check_failed", "Traceback (most recent call last):\n  File \"crypto.py\", line 40, in decrypt\n    return cipher.decrypt_and_verify(data, tag)\nValueError: MAC check failed"],
  ["riff_format_error", "2025-10-19 12:00:00 ERROR processor: File does not start with RIFF id"],
  ["transcription_timeout", "2025-10-19 12:00:00 ERROR processor: Transcription timed out after 600 seconds", { timeout_s: "600" }],
  // seed 000 queue
  ["stale_job_queue", "2025-12-26T22:55:10.000Z [worker] Job 98 failed: Input file not accessible: /mnt/data/whisper-batch/inbox/Kingdom Life Blueprint/07 Live Coaching 3 - Special Guest Christopher Olson.m4a", { job: "98", file: "07 Live Coaching 3 - Special Guest Christopher Olson.m4a" }],
  ["job_completed", "2025-12-26T14:39:34.463Z Job 07166701-449c-4497-8d5a-a514764e4239 completed: 08 Masterclass QA Session with Leif and Paul.m4a", { file: "08 Masterclass QA Session with Leif and Paul.m4a" }],
  // seed 002 infrastructure
  ["inotify_limit", "[nodemon] Internal watch failed: ENOSPC: System limit for number of file watchers reached, watch '/app/src'", { path: "/app/src" }],
  ["inotify_limit", "Jan 10 10:00:00 web1 kernel: inotify_add_watch: No space left on device"],
  ["inotify_limit", "tail: inotify cannot be used, reverting to polling: inotify resources exhausted"],
  ["disk_full", "Error: ENOSPC: no space left on device, open '/data/uploads/file.part'", { op: "open", path: "/data/uploads/file.part" }],
  ["disk_full", "write /var/lib/docker/tmp/GetImageBlob123: no space left on device"],
  ["disk_full", "2025-01-10T10:00:00.000Z 1:M * Write error saving DB on disk: No space left on device"],
  ["pg_too_many_clients", "error: sorry, too many clients already\n    at Parser.parseErrorMessage (/app/node_modules/pg-protocol/dist/parser.js:287:98)"],
  ["pg_too_many_clients", "org.postgresql.util.PSQLException: FATAL: remaining connection slots are reserved for non-replication superuser connections"],
  ["pool_exhausted", "sqlalchemy.exc.TimeoutError: QueuePool limit of size 20 overflow 30 reached, connection timed out, timeout 30.00", { pool_size: "20", max_overflow: "30" }],
  ["pool_exhausted", "2025-01-10 10:00:00.000 WARN 1 --- [nio-8080-exec-3] o.h.engine.jdbc.spi.SqlExceptionHelper : HikariPool-2 - Connection is not available, request timed out after 30005ms.", { pool: "HikariPool-2", timeout_ms: "30005" }],
  ["postgres_unreachable", "psql: error: connection to server at \"db.internal\" (10.0.0.9), port 5432 failed: Connection timed out", { server: "db.internal", port: "5432" }],
  ["postgres_unreachable", "2025-01-10 10:00:00 UTC [99] FATAL:  the database system is shutting down", { state: "shutting down" }],
  ["eaddrinuse_loop", "docker: Error response from daemon: driver failed programming external connectivity on endpoint web (9c1b): Bind for 0.0.0.0:8001 failed: port is already allocated.", { port: "8001" }],
  ["redis_unreachable", "Error: Redis connection to 127.0.0.1:6379 failed - connect ECONNREFUSED 127.0.0.1:6379", { address: "127.0.0.1:6379" }],
  ["redis_unreachable", "redis.exceptions.ConnectionError: Error -2 connecting to redis:6379. Name or service not known.", { address: "redis:6379" }],
  ["redis_unreachable", "Could not connect to Redis at redis:6379: Name or service not known", { address: "redis:6379" }],
  ["rabbitmq_unreachable", "Error: connect ECONNREFUSED 10.0.0.7:5672\n    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1555:16)", { address: "10.0.0.7:5672" }],
  ["rabbitmq_unreachable", "Failed to connect to RabbitMQ: dial tcp 172.18.0.3:5672: connect: connection refused", { address: "172.18.0.3:5672" }],
  ["rabbitmq_unreachable", "pika.adapters.utils.connection_workflow: AMQPConnectionError: (AMQPConnectorSocketConnectError: ConnectionRefusedError(111, 'Connection refused'),)"],
  ["health_check_failed", "curl: (7) Failed to connect to 127.0.0.1 port 8003 after 2 ms: Couldn't connect to server", { target: "127.0.0.1", port: "8003" }],
  ["health_check_failed", "Warning  Unhealthy  2m (x12 over 5m)  kubelet  Readiness probe failed: Get \"http://10.1.0.5:8001/health\": dial tcp 10.1.0.5:8001: connect: connection refused"],
  ["health_check_failed", "❌ analysis_service: Health check failed"],
];

/** [rule, line]: lines that look alike but are not that failure. */
const NOT_RECOGNISED: [string, string][] = [
  ["eaddrinuse_loop", "Server is listening on port 9003"],
  ["eaddrinuse_loop", "Dec 26 22:56:00 mithrandir bun[1573680]: GET /api/v1/health 200 1ms"],
  ["systemd_restart_loop", "Dec 26 17:57:01 mithrandir systemd[1254]: Starting transcription-palantir.service - Transcription Palantir..."],
  ["systemd_unit_failed", "worker.service: Main process exited, code=exited, status=0/SUCCESS"],
  ["systemd_restart_loop", "worker.service: Main process exited, code=exited, status=1/FAILURE"],
  ["docker_restart_loop", "2025-11-08T01:04:15.000000000Z container kill 3f2a9c1b7d4e (image=rsky-ingester:debug, name=rsky-ingester, signal=9)"],
  ["exit_trace", "[EXIT-TRACE] Spawning firehose and backfill tasks"],
  ["rust_panic", "RAS KERNEL FATAL kernel panic"],
  ["oom_kill", "17/06/09 20:10:41 INFO storage.MemoryStore: MemoryStore started with capacity 17.7 GB"],
  ["oom_kill", "kernel: Out of memory? No: 12 GB free"],
  ["process_lookup_error", "INFO - Process for stream 348 already terminated (returncode: -9)"],
  ["segment_rotation_stuck", "[10:00] 🔄 ROTATION: Process for stream 348 already terminated externally, continuing with rotation"],
  ["max_retries_exceeded", "urllib3.exceptions.MaxRetryError: HTTPConnectionPool(host='localhost', port=8001): Max retries exceeded with url: /health"],
  ["transcription_failed", "  ✅ completed: 9\n  ❌ failed:    49"],
  ["riff_format_error", "RIFF header parsed: WAVE fmt, 16000 Hz"],
  ["transcription_timeout", "Transcription timeout set to 300 seconds"],
  ["disk_full", "[nodemon] Internal watch failed: ENOSPC: System limit for number of file watchers reached, watch '/app/src'"],
  ["pg_too_many_clients", "2025-01-10 10:00:00 UTC LOG:  database system is ready to accept connections"],
  ["pool_exhausted", "HikariPool-1 - Added connection org.postgresql.jdbc.PgConnection@5b6f3b2c"],
  ["redis_unreachable", "Error: connect ECONNREFUSED 127.0.0.1:5432"],
  ["rabbitmq_unreachable", "Error: connect ECONNREFUSED 127.0.0.1:6379"],
  ["postgres_unreachable", "2025-01-10 10:00:00 UTC [1] LOG:  database system is ready to accept connections"],
  ["postgres_unreachable", "localhost:5432 - accepting connections"],
  ["health_check_failed", "2025-01-10T10:00:00.000000000Z container health_status: healthy 3f2a9c1b7d4e (name=web)"],
  ["health_check_failed", "GET /health 200 OK"],
];

describe("recognises failures as many programs log them", () => {
  test.each(RECOGNISED)("%s: %s", (id, line, fields) => {
    const signal = signalOf(id, line);
    expect(signal, `${id} should match`).toBeDefined();
    if (fields) expect(signal?.fields).toMatchObject(fields);
  });

  test.each(NOT_RECOGNISED)("%s stays quiet on: %s", (id, line) => {
    expect(matchingRules(line)).not.toContain(id);
  });

  test("an inotify ENOSPC is an inotify limit, not a full disk, and a full disk is not an inotify limit", () => {
    expect(matchingRules("inotify_add_watch(7, /srv/inbox, IN_CREATE) failed: No space left on device")).toEqual(["inotify_limit"]);
    expect(matchingRules("OSError: [Errno 28] No space left on device: '/srv/out.wav'")).toEqual(["disk_full"]);
  });

  test("ECONNREFUSED names Redis, RabbitMQ or PostgreSQL by port, never two of them", () => {
    expect(matchingRules("Error: connect ECONNREFUSED 127.0.0.1:6379")).toEqual(["redis_unreachable"]);
    expect(matchingRules("Error: connect ECONNREFUSED ::1:6379")).toEqual(["redis_unreachable"]);
    expect(matchingRules("Error: connect ECONNREFUSED 127.0.0.1:5672")).toEqual(["rabbitmq_unreachable"]);
    expect(matchingRules("Error: connect ECONNREFUSED 127.0.0.1:5432")).toEqual(["postgres_unreachable"]);
    expect(matchingRules("Error: connect ECONNREFUSED 127.0.0.1:8080")).toEqual([]);
  });

  test("a full PostgreSQL is too many clients, not unreachable", () => {
    expect(matchingRules("psycopg2.OperationalError: FATAL:  sorry, too many clients already")).toEqual(["pg_too_many_clients"]);
  });

  test("systemd's oom-kill result is an OOM kill, and the result of the unit's failure", () => {
    const signals = match(record("systemd[1]: worker.service: Failed with result 'oom-kill'.")).map((s) => `${s.ruleId}/${s.role}`);
    expect(signals.sort()).toEqual(["oom_kill/match", "systemd_unit_failed/then"]);
  });

  test("one failed start counts once: the restart loop counts restarts, the unit failure counts exits", () => {
    const restart = [
      "systemd[1254]: palantir.service: Main process exited, code=exited, status=1/FAILURE",
      "systemd[1254]: palantir.service: Failed with result 'exit-code'.",
      "systemd[1254]: palantir.service: Scheduled restart job, restart counter is at 12.",
    ];
    const mains = restart.flatMap((l) => match(record(l)).filter((s) => s.role === "match").map((s) => s.ruleId));
    expect(mains).toEqual(["systemd_unit_failed", "systemd_restart_loop"]);
  });

  test("a joined panic record takes its location from the panic hook's Location line", () => {
    const s = signalOf("rust_panic", "[FATAL PANIC OCCURRED]\nLocation: rsky-ingester/src/labeler.rs:123:45\nBacktrace: ...");
    expect(s?.fields).toEqual({ location: "rsky-ingester/src/labeler.rs:123:45" });
  });

  test("external_kill waits for an exit trace and gives up at the next start", () => {
    const roles = (line: string) => match(record(line)).filter((s) => s.ruleId === "external_kill").map((s) => s.role);
    expect(roles("[EXIT-TRACE] Entering tokio::select! with all three tasks")).toEqual(["match"]);
    expect(roles("[EXIT-TRACE] tokio::select! triggered on labeler_handle - EXIT PATH F")).toEqual(["expect"]);
    expect(roles("[FATAL PANIC OCCURRED]")).toEqual(["expect"]);
    expect(roles("[EXIT-TRACE] Running in 'all' mode")).toEqual(["until"]);
    expect(roles("2025-11-08T01:04:15.000000000Z container die 3f2a9c1b7d4e (exitCode=137, image=x, name=rust-ingester)")).toEqual(["until"]);
  });

  test("segment rotation clears on a successful rotation of the same stream", () => {
    const s = match(record("[10:05] ✅ Successfully rotated to segment 002 for stream 348")).filter((x) => x.ruleId === "segment_rotation_stuck");
    expect(s).toEqual([expect.objectContaining({ role: "clears", fields: { segment: "002", stream: "348" } })]);
  });
});

describe("properties", () => {
  const port = fc.integer({ min: 1, max: 65535 });

  test("eaddrinuse_loop captures the port from every program's wording", () => {
    const forms = [
      (p: number) => `Error: listen EADDRINUSE: address already in use :::${p}`,
      (p: number) => `Error: listen EADDRINUSE: address already in use 0.0.0.0:${p}`,
      (p: number) => `error: Failed to start server. Is port ${p} in use?`,
      (p: number) => `listen tcp :${p}: bind: address already in use`,
      (p: number) => `bind() to 0.0.0.0:${p} failed (98: Address already in use)`,
      (p: number) => `[Errno 98] error while attempting to bind on address ('0.0.0.0', ${p}): address already in use`,
    ];
    fc.assert(fc.property(port, fc.integer({ min: 0, max: forms.length - 1 }), (p, i) => {
      const line = forms[i]?.(p) ?? "";
      expect(signalOf("eaddrinuse_loop", line)?.fields.port).toBe(String(p));
    }));
  });

  test("systemd_restart_loop captures any restart counter", () => {
    fc.assert(fc.property(fc.nat(), (n) => {
      const s = signalOf("systemd_restart_loop", `palantir.service: Scheduled restart job, restart counter is at ${n}.`);
      expect(s?.fields).toMatchObject({ unit: "palantir", counter: String(n) });
    }));
  });

  test("a failed job and its completion name the same file, so the table's status lookup finds it", () => {
    const segment = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9 ._'()-]{0,30}$/);
    fc.assert(fc.property(fc.array(segment, { minLength: 1, maxLength: 4 }), segment, fc.nat(), (dirs, name, job) => {
      const file = `${name}.m4a`;
      const failed = signalOf("stale_job_queue", `Job ${job} failed: Input file not accessible: /mnt/data/whisper-batch/inbox/${dirs.join("/")}/${file}`);
      const movedTo = signalOf("job_completed", `Job ${job} completed, moved to /mnt/data/whisper-batch/completed/${dirs.join("/")}/${file}`);
      const named = signalOf("job_completed", `Job ${job} completed: ${file}`);
      expect(failed?.fields.file).toBe(file);
      expect(movedTo?.fields.file).toBe(file);
      expect(named?.fields.file).toBe(file);
    }));
  });
});

describe("hostile lines", () => {
  test("no rule stalls on long lines built from its own literals", () => {
    const lines: string[] = [];
    for (const c of compiled)
      for (const set of c.sets)
        for (const p of set.any)
          for (const lit of p.literals ?? []) {
            lines.push(lit.repeat(Math.ceil(20_000 / Math.max(lit.length, 1))));
            lines.push(`${lit} ${"a".repeat(20_000)}`);
            lines.push(`${lit}${"/x".repeat(10_000)}`);
          }
    const t0 = performance.now();
    for (const [i, l] of lines.entries()) match(record(l, i + 1));
    const ms = performance.now() - t0;
    // Measured 0.35 s for 450 lines of 20 kB here (worst line 51 ms, "[EXIT-TRACE]" x 1 700); a quadratic pattern takes minutes.
    expect(ms).toBeLessThan(10_000);
  });
});

describe("the library through the correlator (counts, derived fields, tables)", () => {
  const T0 = Date.UTC(2025, 11, 26, 22, 0, 0);
  /** Findings of the whole library for [seconds after T0, line] pairs. */
  function findings(lines: readonly (readonly [number, string])[]): Finding[] {
    const correlator = createCorrelator(rules);
    for (const [i, [sec, text]] of lines.entries()) for (const s of match(record(text, i + 1, T0 + sec * 1000))) correlator.push(s);
    return correlator.findings();
  }
  const only = (fs: Finding[], rule: string): Finding => {
    const found = fs.filter((f) => f.rule === rule);
    expect(found).toHaveLength(1);
    return found[0] as Finding;
  };

  test.each([
    ["Ok(Err(WebSocket(ConnectionClosed)))", "Scenario 1: task returned an error"],
    ["Err(JoinError::Panic(Id(12), ...))", "Scenario 2: task panicked"],
    ["Ok(Ok(()))", "Scenario 3: run function completed successfully (logic bug)"],
  ])("exit_trace counts one exit and derives the seed's scenario from %s", (result, scenario) => {
    const f = only(findings([
      [0, "[EXIT-TRACE] tokio::select! triggered on labeler_handle - EXIT PATH F"],
      [0.1, `[EXIT-TRACE] Labeler result: ${result}`],
    ]), "exit_trace");
    expect(f.count).toBe(1);
    expect(f.state).toBe("firing");
    expect(f.fields).toMatchObject({ path: "F", result, scenario });
    expect(f.fields["next_step"]).toBeTruthy();
  });

  test("the stale job table marks files that a completed job already processed", () => {
    const inbox = "/mnt/data/whisper-batch/inbox/Kingdom Life Blueprint";
    const f = only(findings([
      [0, "Job 07166701 completed: 08 Masterclass QA Session with Leif and Paul.m4a"],
      [10, `Job 1 failed: Input file not accessible: ${inbox}/08 Masterclass QA Session with Leif and Paul.m4a`],
      [20, `Job 2 failed: Input file not accessible: ${inbox}/08 Masterclass QA Session with Leif and Paul.m4a`],
      [30, `Job 3 failed: Input file not accessible: ${inbox}/Never Done.m4a`],
    ]), "stale_job_queue");
    expect(f.state).toBe("firing");
    expect(f.fields).toMatchObject({ file: "2", job: "3" });
    expect(f.table?.rows).toEqual([
      ["08 Masterclass QA Session with Leif and Paul.m4a", "2", "✅ Already completed"],
      ["Never Done.m4a", "1", "❌ Not completed"],
    ]);
  });

  test("a systemd restart loop counts restarts, keeps the highest counter and its cadence", () => {
    const lines: [number, string][] = [];
    for (let i = 0; i < 5; i++) {
      const t = i * 13;
      lines.push([t, "palantir.service: Main process exited, code=exited, status=1/FAILURE"]);
      lines.push([t, "palantir.service: Failed with result 'exit-code'."]);
      lines.push([t + 0.2, `palantir.service: Scheduled restart job, restart counter is at ${481 + i}.`]);
    }
    const fs = findings(lines);
    const loop = only(fs, "systemd_restart_loop");
    expect(loop).toMatchObject({ count: 5, state: "firing", fields: expect.objectContaining({ unit: "palantir", counter: "485" }) });
    expect(loop.cadence?.medianMs).toBe(13_000);
    expect(only(fs, "systemd_unit_failed")).toMatchObject({ count: 5, fields: expect.objectContaining({ status: "1/FAILURE", result: "exit-code" }) });
  });

  /** systemd's journal entries of one failed start (catalog ids from /usr/lib/systemd/catalog/systemd.catalog). */
  function journalFailure(sec: number, n: number, german: boolean, unitKey = "UNIT"): [number, string, Record<string, string>][] {
    const u = { [unitKey]: "palantir.service" };
    return [
      [sec, german ? "palantir.service: Hauptprozess beendet, code=exited, status=1/FAILURE" : "palantir.service: Main process exited, code=exited, status=1/FAILURE",
        { MESSAGE_ID: "98e322203f7a4ed290d09fe03c09fe15", ...u, EXIT_CODE: "exited", EXIT_STATUS: "1", PRIORITY: "5" }],
      [sec, german ? "palantir.service: Fehlgeschlagen mit Ergebnis »exit-code«." : "palantir.service: Failed with result 'exit-code'.",
        { MESSAGE_ID: "d9b373ed55a64feb8242e02dbe79a49c", ...u, UNIT_RESULT: "exit-code", PRIORITY: "4" }],
      [sec + 0.2, german ? `palantir.service: Geplanter Neustart-Auftrag, Neustartzähler steht bei ${n}.` : `palantir.service: Scheduled restart job, restart counter is at ${n}.`,
        { MESSAGE_ID: "5eb03494b6584870a536b337290809b3", ...u, N_RESTARTS: String(n), PRIORITY: "6" }],
    ];
  }
  function journalFindings(entries: readonly [number, string, Record<string, string>][]): Finding[] {
    const correlator = createCorrelator(rules);
    for (const [i, [sec, text, fields]] of entries.entries())
      for (const s of match({ ...record(text, i + 1, T0 + sec * 1000), fields, format: "journal-json" })) correlator.push(s);
    return correlator.findings();
  }

  test.each([["UNIT"], ["USER_UNIT"]])("a German journal's restart loop is recognised by MESSAGE_ID, unit and counter from %s and N_RESTARTS", (unitKey) => {
    const fs = journalFindings([0, 1, 2, 3, 4].flatMap((i) => journalFailure(i * 13, 481 + i, true, unitKey)));
    const loop = only(fs, "systemd_restart_loop");
    expect(loop).toMatchObject({ count: 5, state: "firing", fields: expect.objectContaining({ unit: "palantir", counter: "485" }) });
    expect(loop.cadence?.medianMs).toBe(13_000);
    expect(only(fs, "systemd_unit_failed")).toMatchObject({ count: 5, fields: expect.objectContaining({ unit: "palantir", code: "exited", status: "1", result: "exit-code" }) });
  });

  test("an English journal entry matching both the text and its MESSAGE_ID counts once", () => {
    const entries = [0, 1, 2, 3, 4].flatMap((i) => journalFailure(i * 13, 481 + i, false));
    const signals = entries.flatMap(([sec, text, fields], i) => match({ ...record(text, i + 1, T0 + sec * 1000), fields }));
    expect(signals.filter((s) => s.ruleId === "systemd_restart_loop")).toHaveLength(5);
    const fs = journalFindings(entries);
    expect(only(fs, "systemd_restart_loop")).toMatchObject({ count: 5, fields: expect.objectContaining({ unit: "palantir", counter: "485" }) });
    // The text's own fields win: "1/FAILURE" as the text says, not the bare EXIT_STATUS.
    expect(only(fs, "systemd_unit_failed")).toMatchObject({ count: 5, fields: expect.objectContaining({ status: "1/FAILURE", result: "exit-code" }) });
  });

  test("property: each journal restart entry, English or not, is one restart_loop signal with its own N_RESTARTS", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.constantFrom("UNIT", "USER_UNIT"), fc.integer({ min: 1, max: 99_999 })), { maxLength: 8 }), (restarts) => {
        const entries = restarts.map(([german, key, n], i) => journalFailure(i, n, german, key)[2] as [number, string, Record<string, string>]);
        const signals = entries.flatMap(([sec, text, fields], i) =>
          match({ ...record(text, i + 1, T0 + sec * 1000), fields }).filter((s) => s.ruleId === "systemd_restart_loop"),
        );
        expect(signals.map((s) => [s.fields["unit"], s.fields["counter"]])).toEqual(restarts.map(([, , n]) => ["palantir", String(n)]));
      }),
      { numRuns: 200 },
    );
  });

  test("segment rotation fires on a steady recurrence per stream and recovers on a successful rotation", () => {
    const fails = (stream: number, from: number) =>
      [0, 1, 2, 3].map((k) => [from + k * 600, `2025-11-08 - ERROR - Error rotating segment for stream ${stream}: `] as const);
    const stuck = findings([...fails(348, 0), ...fails(404, 30)]).filter((f) => f.rule === "segment_rotation_stuck");
    expect(stuck.map((f) => [f.fields["stream"], f.state, f.cadence?.medianMs])).toEqual([
      ["348", "firing", 600_000],
      ["404", "firing", 600_000],
    ]);
    const recovered = only(findings([...fails(348, 0), [2000, "✅ Successfully rotated to segment 002 for stream 348"]]), "segment_rotation_stuck");
    expect(recovered.recoveredAt).toBe(T0 + 2_000_000);
  });

  test("external_kill fires when the next start comes with no exit trace, not when a task logged its exit", () => {
    const start = (t: number) => [[t, "[EXIT-TRACE] Running in 'all' mode"], [t + 0.1, "[EXIT-TRACE] Entering tokio::select! with all three tasks"]] as const;
    const killed = only(findings([...start(0), ...start(25)]), "external_kill");
    expect(killed.state).toBe("firing");
    expect(killed.count).toBe(1); // one kill: the second start is still running
    expect(killed.fields["scenario"]).toBe("Scenario 4: external termination (SIGKILL/OOM)");
    const exited = findings([...start(0), [20, "[EXIT-TRACE] tokio::select! triggered on labeler_handle - EXIT PATH F"], ...start(25)]);
    expect(exited.filter((f) => f.rule === "external_kill")).toEqual([]);
  });
});
