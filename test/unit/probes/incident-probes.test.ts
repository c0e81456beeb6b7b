import fc from "fast-check";
import { describe, expect, test } from "vitest";
import type { Finding } from "../../../src/correlate/index.js";
import type { ExecResult, Host, HostProcess } from "../../../src/hosts/index.js";
import type { Incident } from "../../../src/incidents/index.js";
import { PROBE_CONCURRENCY, runIncidentProbes } from "../../../src/probes/index.js";
import { RuleSchema, type Rule } from "../../../src/rules/index.js";
import type { StoredIncident } from "../../../src/store/index.js";

const clock = { now: () => 1_766_790_000_000, sleep: () => Promise.resolve() };

function finding(rule: string, fields: Record<string, string>, service: string | undefined, host = "mithrandir"): Finding {
  return { rule, severity: "critical", state: "firing", count: 5, firstSeen: 1, lastSeen: 2, host, service, groupKey: `${rule}{}`, fields, evidence: [], cadence: undefined, table: undefined, recoveredAt: undefined };
}

function stored(findings: Finding[], host: string | undefined = "mithrandir"): StoredIncident {
  const incident: Incident = { id: "fw-1234abcd", fingerprint: "f".repeat(64), title: "t", severity: "critical", status: "open", host, service: findings[0]?.service, firstSeen: 1, lastSeen: 2, findings };
  return { v: 1, incident, status: "open", createdAt: 0, updatedAt: 0, lastActivityAt: 0, acknowledged: undefined, resolved: undefined, reopenTimes: [], reopenCount: 0, flapping: false, silencedBy: undefined, slack: undefined, history: [], carry: {}, probes: [] };
}

const rule = (id: string, probes: string[]): Rule => RuleSchema.parse({ id, kind: "single", match: "x", probes });
const rules = new Map<string, Rule>([
  ["eaddrinuse_loop", rule("eaddrinuse_loop", ["port_owner", "unit_status"])],
  ["systemd_restart_loop", rule("systemd_restart_loop", ["unit_status"])],
  ["stale_job_queue", rule("stale_job_queue", ["queue_failed_jobs"])],
  ["external_kill", rule("external_kill", ["container_state", "kernel_oom"])],
]);

/** A host that answers from a script, counts calls in flight, and records every argv. */
function fakeHost(name: string, answer: (argv: readonly string[]) => Partial<ExecResult>) {
  const calls: (readonly string[])[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const host: Host = {
    name,
    exec: async (argv) => {
      calls.push(argv);
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      await Promise.resolve();
      await Promise.resolve();
      inFlight--;
      return { code: 0, signal: null, stdout: "", stderr: "", truncated: false, timedOut: false, ...answer(argv) };
    },
    spawn: (): Promise<HostProcess> => Promise.reject(new Error("not used")),
    close: () => Promise.resolve(),
  };
  return { host, calls, maxInFlight: () => maxInFlight };
}

// Seed 000 as the commands print it: bun PID 1573680 (PPID 1) holds 9003; the unit's MainPID is 0 (auto-restart).
const seed000 = (argv: readonly string[]): Partial<ExecResult> => {
  const cmd = argv.join(" ");
  if (argv[0] === "ss") return { stdout: 'LISTEN 0 512 *:9003 *:* users:(("bun",pid=1573680,fd=16))\n' };
  if (argv[0] === "ps") return { stdout: "1573680       1 nbost     4494 /home/nbost/.bun/bin/bun run /home/nbost/transcription-palantir/dist/index.js\n" };
  if (cmd === "cat /proc/1573680/cgroup") return { stdout: "0::/user.slice/user-1000.slice/session-3.scope\n" };
  if (argv[0] === "systemctl") return { stdout: "MainPID=0\nNRestarts=485\nActiveState=activating\nSubState=auto-restart\nResult=exit-code\nLoadState=loaded\nControlGroup=/system.slice/transcription-palantir.service\n" };
  if (argv[0] === "docker") return { code: 1, stderr: "Error: No such container: transcription-palantir\n" };
  return { code: 127, stderr: `${argv[0] ?? ""}: not found` };
};

describe("runIncidentProbes", () => {
  test("seed 000: the rogue PID, its PPID and 'not the unit's MainPID' come from the probes; each question asked once", async () => {
    const h = fakeHost("mithrandir", seed000);
    const s = stored([
      finding("eaddrinuse_loop", { port: "9003" }, "transcription-palantir"),
      finding("systemd_restart_loop", { unit: "transcription-palantir", counter: "485" }, "transcription-palantir"),
      finding("stale_job_queue", { file: "x.m4a" }, "transcription-palantir"),
    ]);
    const out = await runIncidentProbes(s, rules, { host: (n) => (n === "mithrandir" ? h.host : undefined), clock });
    expect(out.map((p) => [p.probe, p.params, p.ok])).toEqual([
      ["port_owner", { port: "9003", unit: "transcription-palantir" }, true],
      ["unit_status", { unit: "transcription-palantir" }, true],
      ["queue_failed_jobs", {}, false],
    ]);
    expect(out[0]).toMatchObject({ host: "mithrandir", at: clock.now(), data: { pid: 1573680, ppid: 1, isMainPid: false, inUnit: false, rogue: true } });
    expect(out[0]?.summary).toBe(
      "rogue process: port 9003 held by PID 1573680 (/home/nbost/.bun/bin/bun run /home/nbost/transcription-palantir/dist/index.js), user nbost, PPID 1; not transcription-palantir's MainPID (none), outside its cgroup",
    );
    expect(out[1]?.summary).toBe("transcription-palantir: activating (auto-restart), result exit-code, MainPID none, restarted 485 times");
    expect(out[2]?.summary).toBe('queue_failed_jobs on mithrandir not run: no probe named "queue_failed_jobs"');
    // unit_status was named by two rules, with the same unit: asked once. The docker inspect asked whether the service is a container.
    // One systemctl show inside port_owner, one for unit_status (named by both rules, same unit).
    expect(h.calls.filter((c) => c[0] === "systemctl").length).toBe(2);
    expect(h.calls.filter((c) => c[0] === "docker")).toEqual([["docker", "inspect", "--type", "container", "--", "transcription-palantir"]]);
  });

  test("a service that docker knows as a container: port_owner asks about the container, unit_status is left out", async () => {
    const inspect = JSON.stringify([{ Id: "c0ffee".padEnd(64, "0"), Name: "/rust-ingester", RestartCount: 7, State: { Status: "restarting", Running: true, Restarting: true, ExitCode: 1, Pid: 0 } }]);
    const h = fakeHost("local", (argv) => (argv[0] === "docker" ? { stdout: inspect } : seed000(argv)));
    const s = stored([finding("eaddrinuse_loop", { port: "9003" }, "rust-ingester", "")], undefined);
    const out = await runIncidentProbes(s, rules, { host: (n) => (n === "local" ? h.host : undefined), dockerHost: "unix:///run/d.sock", clock });
    expect(out.map((p) => [p.probe, p.params, p.host])).toEqual([
      ["port_owner", { port: "9003", container: "rust-ingester" }, "local"],
      ["container_state", { container: "rust-ingester" }, "local"],
    ]);
    expect(out[0]?.summary).toMatch(/^rogue process: port 9003 held by PID 1573680 .*PPID 1; outside container rust-ingester$/);
    expect(h.calls.some((c) => c[0] === "systemctl")).toBe(false);
    expect(h.calls.filter((c) => c[0] === "docker").every((c) => c[1] === "-H" && c[2] === "unix:///run/d.sock")).toBe(true);
  });

  test("hostile field values never reach a command: the probe is recorded as not run, with the reason", async () => {
    const h = fakeHost("mithrandir", seed000);
    const s = stored([finding("eaddrinuse_loop", { port: "9003; rm -rf /", unit: "foo; rm -rf /" }, "$(id)")]);
    const out = await runIncidentProbes(s, rules, { host: () => h.host, clock });
    expect(out.map((p) => [p.probe, p.ok, p.summary])).toEqual([
      ["port_owner", false, expect.stringMatching(/^port_owner on mithrandir not run: invalid port: /)],
      ["unit_status", false, expect.stringMatching(/^unit_status on mithrandir not run: invalid unit: /)],
    ]);
    expect(h.calls).toEqual([]);
  });

  test("an unknown host runs nothing; a failing command is an ok:false result with its reason", async () => {
    const s = stored([finding("systemd_restart_loop", { unit: "palantir" }, "palantir", "elsewhere")], "elsewhere");
    expect(await runIncidentProbes(s, rules, { host: () => undefined, clock })).toEqual([
      { probe: "unit_status", params: { unit: "palantir" }, host: "elsewhere", at: clock.now(), ok: false, summary: 'unit_status on elsewhere not run: no host named "elsewhere" is configured', data: { reason: "unknown_host", message: 'no host named "elsewhere" is configured' } },
    ]);
    const h = fakeHost("elsewhere", () => ({ code: 1, stderr: "System has not been booted with systemd as init system (PID 1). Can't operate.\nFailed to connect to bus: Host is down\n" }));
    const [r] = await runIncidentProbes(s, rules, { host: () => h.host, clock });
    expect(r).toMatchObject({ ok: false, summary: expect.stringMatching(/^unit_status on elsewhere failed: systemctl cannot talk to a service manager on elsewhere /), data: { reason: "command_failed", hint: expect.stringContaining("does not run systemd") } });
  });

  test("one ss answers every port of a round on a host, and each port_owner gets its own port's listeners", async () => {
    // Listed in ss's own order, not the plan's: 9001 first, 9000 held by two processes (v4 and v6), nothing on 9002.
    const ss = [
      'LISTEN 0 511 127.0.0.1:9001 0.0.0.0:* users:(("worker",pid=201,fd=7))',
      'LISTEN 0 511 0.0.0.0:9000 0.0.0.0:* users:(("api",pid=100,fd=21))',
      'LISTEN 0 511 [::]:9000 [::]:* users:(("api",pid=101,fd=22))',
      "",
    ].join("\n");
    const ps = (pid: string) => ({ stdout: `${pid} 1 app 60 ${pid === "201" ? "worker" : "api"}\n` });
    const h = fakeHost("mithrandir", (argv) => (argv[0] === "ss" ? { stdout: ss } : argv[0] === "ps" ? ps(argv[4] ?? "") : seed000(argv)));
    const f = (port: string) => ({ ...finding("eaddrinuse_loop", { port }, "transcription-palantir"), groupKey: `eaddrinuse_loop{port=${port}}` });
    const out = await runIncidentProbes(stored([f("9002"), f("9000"), f("9001")]), rules, { host: (n) => (n === "mithrandir" ? h.host : undefined), clock });
    expect(h.calls.filter((c) => c[0] === "ss")).toEqual([["ss", "-ltnpH", "sport = :9000 or sport = :9001 or sport = :9002"]]);
    const owners = out.filter((p) => p.probe === "port_owner").map((p) => [p.params.port, p.ok, (p.data as { listening: boolean }).listening, (p.data as { holders: number[] }).holders]);
    expect(owners).toEqual([
      ["9002", true, false, []],
      ["9000", true, true, [100, 101]],
      ["9001", true, true, [201]],
    ]);
    // A listener the shared ss shows without its process (another user's, seen unprivileged) is asked with the port's
    // own ss, the one question an actuator answers: here it names root's PID 300 for 9001.
    const hidden = ss.replace('users:(("worker",pid=201,fd=7))', "");
    const split = fakeHost("mithrandir", (argv) =>
      argv[0] === "ss" ? { stdout: argv[2] === "sport = :9001" ? 'LISTEN 0 511 127.0.0.1:9001 0.0.0.0:* users:(("worker",pid=300,fd=7))\n' : hidden } : argv[0] === "ps" ? ps(argv[4] ?? "") : seed000(argv),
    );
    const mixed = await runIncidentProbes(stored([f("9000"), f("9001")]), rules, { host: () => split.host, clock });
    expect(mixed.filter((p) => p.probe === "port_owner").map((p) => [p.params.port, (p.data as { holders: number[] }).holders])).toEqual([
      ["9000", [100, 101]],
      ["9001", [300]],
    ]);
    expect(split.calls.filter((c) => c[0] === "ss")).toEqual([
      ["ss", "-ltnpH", "sport = :9000 or sport = :9001"],
      ["ss", "-ltnpH", "sport = :9001"],
    ]);
    // A failing shared ss fails each port_owner as its own ss would have.
    const down = fakeHost("mithrandir", (argv) => (argv[0] === "ss" ? { code: 1, stderr: "Cannot open netlink socket\n" } : seed000(argv)));
    const failed = await runIncidentProbes(stored([f("9000"), f("9001")]), rules, { host: () => down.host, clock });
    expect(failed.filter((p) => p.probe === "port_owner").map((p) => [p.ok, p.summary])).toEqual([
      [false, "port_owner on mithrandir failed: ss ended with 1: Cannot open netlink socket"],
      [false, "port_owner on mithrandir failed: ss ended with 1: Cannot open netlink socket"],
    ]);
    expect(down.calls.filter((c) => c[0] === "ss").length).toBe(1);
  });

  test(`at most ${PROBE_CONCURRENCY} commands in flight, results in plan order`, async () => {
    const h = fakeHost("h", (argv) => (argv[0] === "systemctl" ? { stdout: `ActiveState=active\nLoadState=loaded\nMainPID=1\n` } : {}));
    const many = Array.from({ length: 9 }, (_, i) => finding("systemd_restart_loop", { unit: `u${i}` }, `u${i}`, "h"));
    const out = await runIncidentProbes(stored(many, "h"), rules, { host: () => h.host, clock });
    expect(out.map((p) => p.params.unit)).toEqual(many.map((f) => f.fields.unit));
    expect(h.maxInFlight()).toBe(PROBE_CONCURRENCY);
  });

  test("property: a field holding shell syntax never reaches a command, whatever the rule asks", async () => {
    const all = new Map<string, Rule>([["any_rule", rule("any_rule", ["port_owner", "unit_status", "container_state", "process_info", "file_exists", "disk_usage", "redis_ping", "health_endpoint", "kernel_oom"])]]);
    const shelly = fc
      .tuple(fc.string({ maxLength: 12 }), fc.constantFrom(";", "$(", "`", "|", "&", "\n", " ", "'", "\""), fc.string({ maxLength: 12 }))
      .map(([a, b, c]) => `${a}${b}${c}`);
    await fc.assert(
      // Paths are not in it: any absolute path is a valid argument (argv, after "--"), shell characters included.
      fc.asyncProperty(shelly, shelly, shelly, shelly, async (port, unit, container, url) => {
        const h = fakeHost("h", () => ({}));
        const s = stored([finding("any_rule", { port, unit, container, pid: unit, address: container, url: `http://x/${url}`, target: unit }, unit, "h")], "h");
        const out = await runIncidentProbes(s, all, { host: () => h.host, clock });
        // A value may be trimmed or defaulted on the way ("\n0" is host "0"), but what reaches argv holds no shell syntax.
        const bad = h.calls.flat().filter((a) => /[;`|'"\n]|\$\(/.test(a));
        expect(bad).toEqual([]);
        // port_owner, unit_status, container_state and process_info take their one value from the log: all refused.
        expect(out.filter((p) => ["port_owner", "unit_status", "container_state", "process_info"].includes(p.probe)).every((p) => !p.ok)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  test("a cancelled signal reaches the commands: results say aborted, nothing hangs", async () => {
    const ac = new AbortController();
    const seen: (AbortSignal | undefined)[] = [];
    const host: Host = {
      name: "h",
      exec: (_argv, o = {}) => {
        seen.push(o.signal);
        return Promise.reject(new Error("The operation was aborted"));
      },
      spawn: (): Promise<HostProcess> => Promise.reject(new Error("not used")),
      close: () => Promise.resolve(),
    };
    ac.abort();
    const out = await runIncidentProbes(stored([finding("systemd_restart_loop", { unit: "palantir" }, "palantir", "h")], "h"), rules, { host: () => host, clock, signal: ac.signal });
    expect(seen).toEqual([ac.signal]);
    expect(out).toMatchObject([{ probe: "unit_status", ok: false, data: { reason: "aborted" } }]);
  });

  test("a service docker does not know is asked about once, also when its rule names container_state", async () => {
    const h = fakeHost("h", seed000);
    const s = stored([finding("external_kill", {}, "transcription-palantir", "h")], "h");
    const out = await runIncidentProbes(s, rules, { host: () => h.host, clock });
    expect(h.calls.filter((c) => c[0] === "docker")).toHaveLength(1);
    expect(out.map((p) => [p.probe, p.ok])).toEqual([["container_state", false], ["kernel_oom", false]]);
  });
});
