import { describe, expect, test } from "vitest";
import type { ExecResult, Host, HostProcess } from "../../../src/hosts/index.js";
import { parseAddress, parseOomKills, parseRedisInfo, probesForRule, runProbe } from "../../../src/probes/index.js";
import { HealthEndpointParams, parseCurlStderr } from "../../../src/probes/health-endpoint.js";
import { RedisPingParams } from "../../../src/probes/redis-ping.js";

function scriptedHost(answer: (argv: readonly string[]) => Partial<ExecResult>): Host & { calls: (readonly string[])[] } {
  const calls: (readonly string[])[] = [];
  return {
    name: "fake",
    calls,
    exec: (argv) => {
      calls.push(argv);
      return Promise.resolve({ code: 0, signal: null, stdout: "", stderr: "", truncated: false, timedOut: false, ...answer(argv) });
    },
    spawn: (): Promise<HostProcess> => Promise.reject(new Error("not used")),
    close: () => Promise.resolve(),
  };
}

// Real dmesg --time-format iso lines from this machine (a busybox container under --memory 8m), and a classic host OOM.
const DMESG = [
  "2026-11-23T16:10:23,633160+00:00 sh invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0",
  "2026-11-23T16:10:23,633223+00:00 oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=bb21,mems_allowed=0,oom_memcg=/docker/bb210add64adc564,task_memcg=/docker/bb210add64adc564,task=sh,pid=9394,uid=0",
  "2026-11-23T16:10:23,633250+00:00 Memory cgroup out of memory: Killed process 9394 (sh) total-vm:16096kB, anon-rss:7424kB, file-rss:1456kB, shmem-rss:0kB, UID:0 pgtables:60kB oom_score_adj:0",
  "2026-11-23T16:10:23,640000+00:00 oom_reaper: reaped process 9394 (sh), now anon-rss:0kB, file-rss:0kB, shmem-rss:0kB",
  "2026-11-23T17:00:00,000001+00:00 Out of memory: Killed process 1234 (node) total-vm:1234567kB, anon-rss:1000000kB, file-rss:0kB",
  "2026-11-23T17:00:01,000000+00:00 eth0: link up",
].join("\n");

describe("kernel_oom", () => {
  test("parses each kill once, joined with its oom-kill: context, with the wall-clock time", () => {
    expect(parseOomKills(DMESG)).toEqual([
      { at: Date.parse("2026-11-23T16:10:23.633Z"), pid: 9394, process: "sh", constraint: "CONSTRAINT_MEMCG", memcg: "/docker/bb210add64adc564", anonRssKiB: 7424 },
      { at: Date.parse("2026-11-23T17:00:00.000Z"), pid: 1234, process: "node", constraint: undefined, memcg: undefined, anonRssKiB: 1000000 },
    ]);
  });

  test("journalctl short-iso lines parse too; a line without a time has none", () => {
    const k = parseOomKills("2026-11-23T16:10:23+0100 web1 kernel: Out of memory: Killed process 42 (java) total-vm:1kB, anon-rss:2kB\n[ 12.5] Out of memory: Killed process 43 (x)");
    expect(k.map((x) => [x.pid, x.at])).toEqual([[42, Date.parse("2026-11-23T15:10:23Z")], [43, undefined]]);
  });

  test("falls back to the journal when dmesg is refused, and fails clearly when neither is readable", async () => {
    const fromJournal = scriptedHost((argv) => (argv[0] === "dmesg" ? { code: 1, stderr: "dmesg: read kernel buffer failed: Operation not permitted" } : { stdout: "2026-11-23T16:10:23+0000 web1 kernel: Out of memory: Killed process 42 (java)\n" }));
    const r = await runProbe("kernel_oom", {}, fromJournal);
    expect(r).toMatchObject({ ok: true, evidence: { source: "journalctl", total: 1, notes: ["dmesg: dmesg: read kernel buffer failed: Operation not permitted"] } });
    expect(r.text).toBe("1 OOM kill in the kernel log (journalctl, 1 lines); last at 2026-11-23T16:10:23.000Z: PID 42 (java)");
    expect(fromJournal.calls[1]).toEqual(["journalctl", "-k", "-b", "-o", "short-iso", "--no-pager", "-n", "20000"]);
    const neither = scriptedHost((argv) => (argv[0] === "dmesg" ? { code: 1, stderr: "dmesg: read kernel buffer failed: Operation not permitted" } : { stdout: "-- No entries --\n", stderr: "No journal files were found.\n" }));
    const f = await runProbe("kernel_oom", {}, neither);
    expect(f).toMatchObject({ ok: false, error: { reason: "command_failed", message: expect.stringMatching(/kernel log is not readable on fake \(dmesg: .*Operation not permitted; journalctl -k: no kernel messages in the journal\)/), hint: expect.stringMatching(/CAP_SYSLOG/) } });
  });

  test("an empty log is an answer: no OOM kill", async () => {
    const r = await runProbe("kernel_oom", {}, scriptedHost(() => ({ stdout: "2026-11-23T17:00:01,000000+00:00 eth0: link up\n" })));
    expect(r.text).toBe("no OOM kill in the kernel log (dmesg, 1 lines)");
  });
});

describe("redis_ping", () => {
  test("addresses as logs write them become host and port; hostile ones are refused", () => {
    expect(parseAddress("127.0.0.1:6380", 6379)).toEqual({ host: "127.0.0.1", port: 6380 });
    expect(parseAddress("redis://cache.internal:6390/0", 6379)).toEqual({ host: "cache.internal", port: 6390 });
    expect(parseAddress(":6379", 6379)).toEqual({ host: "127.0.0.1", port: 6379 });
    expect(parseAddress("[::1]:6379, other:1", 6379)).toEqual({ host: "::1", port: 6379 });
    expect(parseAddress("redis", 6379)).toEqual({ host: "redis", port: 6379 });
    for (const bad of ["-h:1", "a b:1", "$(id):6379", "x:99999", "x;id:1", "/;", "x/y:1", "", "\n"]) expect(parseAddress(bad, 6379), bad).toBeUndefined();
    expect(RedisPingParams.safeParse({ address: "`id`:6379" }).success).toBe(false);
    expect(RedisPingParams.parse({})).toEqual({ host: "127.0.0.1", port: 6379 });
  });

  test("argv is fixed; a refusal is an answer, INFO figures are read after PONG", async () => {
    const down = scriptedHost(() => ({ code: 1, stderr: "Could not connect to Redis at 10.0.0.5:6379: Connection refused\n" }));
    expect((await runProbe("redis_ping", { address: "10.0.0.5:6379" }, down, { allowNet: ["10.0.0.5:6379"] })).text).toBe("Redis at 10.0.0.5:6379 does not answer PING: Could not connect to Redis at 10.0.0.5:6379: Connection refused");
    expect(down.calls).toEqual([["env", "-u", "REDISCLI_AUTH", "redis-cli", "-h", "10.0.0.5", "-p", "6379", "--no-auth-warning", "ping"]]);
    const up = scriptedHost((argv) => ({ stdout: argv.at(-1) === "ping" ? "PONG\n" : "# Server\r\nredis_version:7.0.15\r\nuptime_in_seconds:42\r\n# Clients\r\nconnected_clients:3\r\nused_memory_human:1.02M\r\nmaxmemory_human:0B\r\nrole:master\r\n" }));
    expect((await runProbe("redis_ping", {}, up)).text).toBe("Redis at 127.0.0.1:6379 answers PONG, version 7.0.15 (master), up 42 s, 3 clients, memory 1.02M");
    expect(parseRedisInfo("# Server\r\nredis_version:7.0.15\r\n").get("redis_version")).toBe("7.0.15");
  });
});

describe("health_endpoint", () => {
  test("builds the URL from the finding's port and target; refuses what is not a plain http(s) URL", () => {
    expect(HealthEndpointParams.parse({ port: "8001" })).toEqual({ url: "http://127.0.0.1:8001/health" });
    expect(HealthEndpointParams.parse({ port: "8001, 8002", target: "localhost, api" })).toEqual({ url: "http://localhost:8001/health" });
    expect(HealthEndpointParams.parse({ target: "::1", port: 80, path: "/healthz" })).toEqual({ url: "http://[::1]/healthz" });
    expect(HealthEndpointParams.parse({ url: "https://api.example.com/v1/health?deep=1" })).toEqual({ url: "https://api.example.com/v1/health?deep=1" });
    for (const url of ["file:///etc/passwd", "http://user:pw@x/health", "http://x/health;$(id)", "http://x/a b", "gopher://x/", "-K/etc/passwd"]) {
      expect(HealthEndpointParams.safeParse({ url }).success, url).toBe(false);
    }
    expect(HealthEndpointParams.safeParse({}).success).toBe(false);
    expect(HealthEndpointParams.safeParse({ port: "80; id" }).success).toBe(false);
  });

  test("curl's status line and error line are read from stderr", () => {
    expect(parseCurlStderr("firewatch-health: 503 0.004211\n")).toEqual({ status: 503, seconds: 0.004211, error: undefined });
    expect(parseCurlStderr("curl: (7) Failed to connect to 127.0.0.1 port 1 after 0 ms: Couldn't connect to server\nfirewatch-health: 000 0.000120\n")).toEqual({ status: undefined, seconds: 0.00012, error: "curl: (7) Failed to connect to 127.0.0.1 port 1 after 0 ms: Couldn't connect to server" });
  });

  test("probesForRule plans it from health_check_failed's fields", () => {
    expect(probesForRule({ probes: ["health_endpoint", "redis_ping", "kernel_oom"] }, { fields: { port: "8001", target: "localhost", address: "127.0.0.1:6379" }, service: undefined })).toEqual([
      { probe: "health_endpoint", params: { target: "localhost", port: "8001" } },
      { probe: "redis_ping", params: { address: "127.0.0.1:6379" } },
      { probe: "kernel_oom", params: {} },
    ]);
  });
});
