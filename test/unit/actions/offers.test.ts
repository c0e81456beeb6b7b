import { describe, expect, test } from "vitest";
import type { Finding } from "../../../src/correlate/index.js";
import { offerActions } from "../../../src/actions/offers.js";
import { GuardConfigSchema, type GuardConfig } from "../../../src/actions/index.js";
import type { StoredProbe } from "../../../src/probes/index.js";
import { RuleSchema, type Rule } from "../../../src/rules/index.js";
import type { StoredIncident } from "../../../src/store/index.js";

const AT = 1_766_790_000_000;

function finding(rule: string, fields: Record<string, string>, service: string | undefined, host = "mithrandir"): Finding {
  return { rule, severity: "critical", state: "firing", count: 20, firstSeen: 1, lastSeen: 2, host, service, groupKey: `${rule}{}`, fields, evidence: [], cadence: undefined, table: undefined, recoveredAt: undefined };
}

function stored(findings: Finding[], probes: StoredProbe[]): StoredIncident {
  return {
    v: 1,
    incident: { id: "fw-1234abcd", fingerprint: "f".repeat(64), title: "t", severity: "critical", status: "open", host: "mithrandir", service: findings[0]?.service, firstSeen: 1, lastSeen: 2, findings },
    status: "open", createdAt: 0, updatedAt: 0, lastActivityAt: 0, acknowledged: undefined, resolved: undefined, reopenTimes: [], reopenCount: 0, flapping: false, silencedBy: undefined, slack: undefined, history: [], carry: {},
    probes,
  };
}

const rule = (id: string, actions: string[]): Rule => RuleSchema.parse({ id, kind: "single", match: "x", actions });
const rules = new Map<string, Rule>([
  ["eaddrinuse_loop", rule("eaddrinuse_loop", ["kill_port_owner", "restart_unit"])],
  ["docker_restart_loop", rule("docker_restart_loop", ["restart_container"])],
  ["stale_job_queue", rule("stale_job_queue", ["clean_failed_jobs", "no_such_action"])],
]);

const policy = { users: ["U1"], channels: ["C1"], hosts: ["mithrandir", "local"], targets: ["transcription-palantir", "rust-ingester", "transcription"], ports: [9003], processUsers: ["nbost"] };
const allowAll: GuardConfig = GuardConfigSchema.parse({ actions: { kill_port_owner: policy, restart_unit: policy, restart_container: policy, clean_failed_jobs: policy } });

// Seed 000 as port_owner and unit_status store it (data shapes of src/probes).
const portOwner = (over: Record<string, unknown> = {}, host = "mithrandir"): StoredProbe => ({
  probe: "port_owner", params: { port: "9003", unit: "transcription-palantir" }, host, at: AT, ok: true,
  summary: "rogue process: port 9003 held by PID 1573680 (/home/nbost/.bun/bin/bun run dist/index.js), user nbost, PPID 1; not transcription-palantir's MainPID (none), outside its cgroup",
  data: { port: 9003, listening: true, pid: 1573680, ppid: 1, command: "/home/nbost/.bun/bin/bun run /home/nbost/transcription-palantir/dist/index.js", user: "nbost", holders: [1573680], via: "ss", unit: "transcription-palantir", isMainPid: false, inUnit: false, rogue: true, notes: [], ...over },
});
const unitStatus = (over: Record<string, unknown> = {}): StoredProbe => ({
  probe: "unit_status", params: { unit: "transcription-palantir" }, host: "mithrandir", at: AT, ok: true,
  summary: "transcription-palantir: activating (auto-restart), result exit-code, MainPID none, restarted 485 times",
  data: { unit: "transcription-palantir", loadState: "loaded", activeState: "activating", subState: "auto-restart", result: "exit-code", nRestarts: 485, ...over },
});

const seed000 = [
  finding("eaddrinuse_loop", { port: "9003" }, "transcription-palantir"),
  finding("stale_job_queue", { file: "6", queue: "transcription" }, "transcription-palantir"),
];

describe("offerActions", () => {
  test("seed 000: kill the proven rogue (no restart while it holds the port), clean the queue, labels and reasons from the probes", () => {
    expect(offerActions(stored(seed000, [portOwner(), unitStatus()]), rules, allowAll)).toEqual([
      { action: "kill_port_owner", host: "mithrandir", params: { pid: "1573680", port: "9003", unit: "transcription-palantir" }, label: "Kill PID 1573680 holding :9003", why: "PID 1573680 (bun) holds 9003 outside transcription-palantir (not its MainPID, not in its cgroup), PPID 1" },
      { action: "clean_failed_jobs", host: "mithrandir", params: { queue: "transcription" }, label: "Clean failed jobs of transcription", why: "20 failed jobs in queue transcription (stale_job_queue)" },
    ]);
  });

  test("results read back from a store (JSON: undefined keys gone) give the same offers", () => {
    const sparse = portOwner({ unitMainPid: undefined, elapsedSeconds: undefined });
    const roundTripped = JSON.parse(JSON.stringify([sparse, unitStatus()])) as StoredProbe[];
    expect(offerActions(stored(seed000, roundTripped), rules, allowAll)).toEqual(offerActions(stored(seed000, [sparse, unitStatus()]), rules, allowAll));
    expect(offerActions(stored(seed000, roundTripped), rules, allowAll)).toHaveLength(2);
  });

  test("once the rogue is gone (the newest port_owner answer), the restart is offered; the earlier answer offers nothing", () => {
    const gone = { ...portOwner({ pid: undefined, holders: [], rogue: false, listening: false }), at: AT + 60_000, summary: "nothing listens on 9003" };
    expect(offerActions(stored(seed000, [portOwner(), gone, unitStatus()]), rules, allowAll).map((o) => o.action)).toEqual(["restart_unit", "clean_failed_jobs"]);
  });

  test("no probe, a failed probe, or a probe of another port or host: no kill offer", () => {
    const kills = (probes: StoredProbe[]) => offerActions(stored(seed000, probes), rules, allowAll).filter((o) => o.action === "kill_port_owner");
    expect(kills([])).toEqual([]);
    expect(kills([{ ...portOwner(), ok: false, summary: "port_owner on mithrandir failed: ss ended with 1", data: { reason: "command_failed", message: "x" } }])).toEqual([]);
    expect(kills([portOwner({ port: 9004 })])).toEqual([]);
    expect(kills([portOwner({}, "other-host")])).toEqual([]);
    expect(kills([{ ...portOwner(), data: "garbage" }])).toEqual([]);
  });

  test("the holder is the unit's MainPID, in its cgroup, unsettled, or one of several: no kill offer", () => {
    const kills = (over: Record<string, unknown>) => offerActions(stored(seed000, [portOwner(over)]), rules, allowAll).filter((o) => o.action === "kill_port_owner");
    expect(kills({ isMainPid: true, inUnit: true, rogue: false })).toEqual([]);
    expect(kills({ isMainPid: false, inUnit: true, rogue: false })).toEqual([]);
    expect(kills({ inUnit: undefined, rogue: undefined })).toEqual([]);
    expect(kills({ holders: [1573680, 1573681] })).toEqual([]);
    expect(kills({ pid: 1 })).toEqual([]);
  });

  test("seed 000 with Docker: the container form, only for a holder outside the container", () => {
    const f = [finding("eaddrinuse_loop", { port: "9003" }, "rust-ingester", "local")];
    const outside = { unit: undefined, isMainPid: undefined, inUnit: undefined, container: "rust-ingester", inContainer: false, rogue: true, command: "python3 -m http.server 9003" };
    expect(offerActions(stored(f, [portOwner(outside, "local")]), rules, allowAll)).toEqual([
      { action: "kill_port_owner", host: "local", params: { pid: "1573680", port: "9003", container: "rust-ingester" }, label: "Kill PID 1573680 holding :9003", why: "PID 1573680 (python3) holds 9003 outside container rust-ingester, PPID 1" },
    ]);
    expect(offerActions(stored(f, [portOwner({ ...outside, inContainer: true, rogue: false }, "local")]), rules, allowAll)).toEqual([]);
  });

  test("values that fail validation are never offered: foo; rm -rf /, $(id), a port with a tail", () => {
    const hostile = [
      finding("eaddrinuse_loop", { port: "9003; id" }, "foo; rm -rf /"),
      finding("stale_job_queue", { queue: "$(id)" }, "x"),
      finding("docker_restart_loop", { container: "`id`" }, "x"),
    ];
    const probes = [portOwner({ unit: "foo; rm -rf /" }), unitStatus({ unit: "foo; rm -rf /" })];
    expect(offerActions(stored(hostile, probes), rules, allowAll)).toEqual([]);
    expect(offerActions(stored([finding("eaddrinuse_loop", { port: "9003" }, "x")], [portOwner({ unit: "foo; rm -rf /" })]), rules, allowAll)).toEqual([]);
  });

  test("only what the guard enables for that host and target", () => {
    const only = (actions: Record<string, unknown>) => offerActions(stored(seed000, [portOwner(), unitStatus()]), rules, GuardConfigSchema.parse({ actions })).map((o) => o.action);
    expect(only({})).toEqual([]);
    expect(only({ restart_unit: policy })).toEqual(["restart_unit"]);
    expect(only({ kill_port_owner: { ...policy, hosts: ["other-*"] } })).toEqual([]);
    expect(only({ kill_port_owner: { ...policy, targets: ["transcription-*"] } })).toEqual(["kill_port_owner"]);
    expect(only({ kill_port_owner: { ...policy, targets: ["palantir"] } })).toEqual([]);
  });

  test("restarts only for a unit or container the probe found down or looping", () => {
    const running = offerActions(stored(seed000, [unitStatus({ activeState: "active", subState: "running" })]), rules, allowAll);
    expect(running.map((o) => o.action)).toEqual(["clean_failed_jobs"]);
    expect(offerActions(stored(seed000, [unitStatus({ loadState: "not-found" })]), rules, allowAll).map((o) => o.action)).toEqual(["clean_failed_jobs"]);
    const loop = [finding("docker_restart_loop", { container: "rust-ingester", exit_code: "137" }, "rust-ingester", "local")];
    const state = (running: boolean, restarting: boolean): StoredProbe => ({ probe: "container_state", params: { container: "rust-ingester" }, host: "local", at: AT, ok: true, summary: `container rust-ingester: ${restarting ? "restarting" : "running"}, exit code 137, restarted 12 times`, data: { container: "rust-ingester", name: "rust-ingester", running, restarting, exitCode: 137, restartCount: 12 } });
    expect(offerActions(stored(loop, [state(true, true)]), rules, allowAll)).toEqual([
      { action: "restart_container", host: "local", params: { container: "rust-ingester" }, label: "Restart container rust-ingester", why: "container rust-ingester: restarting, exit code 137, restarted 12 times" },
    ]);
    expect(offerActions(stored(loop, [state(true, false)]), rules, allowAll)).toEqual([]);
    expect(offerActions(stored(loop, []), rules, allowAll)).toEqual([]);
  });
});
