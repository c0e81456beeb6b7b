// kill_port_owner acts only on holders its config lists: never firewatch's own store, process, children or listeners,
// never another user's process, never an unlisted port, whatever port a log line names. Nothing is offered or killed.
import { userInfo } from "node:os";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { createGuard, createNonceCache, createTokenService, GuardConfigSchema, offerActions, selfScope, type Requester, type TokenClaims } from "../../../src/actions/index.js";
import type { Finding } from "../../../src/correlate/index.js";
import { RuleSchema, type Rule } from "../../../src/rules/index.js";
import type { StoredIncident, StoredProbe } from "../../../src/store/index.js";
import { fakeProbes, recordingExecutor, SECRET, seed000World, tempStore, testClock, type TestStore } from "./support.js";

const ME = userInfo().username;
const alice: Requester = { user: "U_ALICE", groups: [], channel: "C_OPS" };
const bob: Requester = { user: "U_BOB", groups: [], channel: "C_OPS" };
const policy = { users: ["U_ALICE", "U_BOB"], channels: ["C_OPS"], hosts: ["mithrandir"], targets: ["transcription-*"], ports: [9003] };
const config = GuardConfigSchema.parse({ actions: { kill_port_owner: policy } });
/** firewatch's own: its store's Redis on 6379 and its health endpoint on 9464. */
const self = selfScope([6379, 9464]);

const rules = new Map<string, Rule>([["eaddrinuse_loop", RuleSchema.parse({ id: "eaddrinuse_loop", kind: "single", match: "x", actions: ["kill_port_owner"] })]]);

function incident(port: number, holder: { pid: number; ppid?: number; command: string; user: string }): StoredIncident {
  const f: Finding = { rule: "eaddrinuse_loop", severity: "critical", state: "firing", count: 5, firstSeen: 1, lastSeen: 2, host: "mithrandir", service: "transcription-palantir", groupKey: "k", fields: { port: String(port) }, evidence: [], cadence: undefined, table: undefined, recoveredAt: undefined };
  const probe: StoredProbe = {
    probe: "port_owner", params: { port }, host: "mithrandir", at: 1, ok: true, summary: "s",
    data: { port, listening: true, pid: holder.pid, ppid: holder.ppid ?? 1, command: holder.command, user: holder.user, holders: [holder.pid], unit: "transcription-palantir", isMainPid: false, inUnit: false, rogue: true, notes: [] },
  };
  return {
    v: 1, incident: { id: "fw-1a2b3c4d", fingerprint: "f".repeat(64), title: "t", severity: "critical", status: "open", host: "mithrandir", service: "transcription-palantir", firstSeen: 1, lastSeen: 2, findings: [f] },
    status: "open", createdAt: 0, updatedAt: 0, lastActivityAt: 0, acknowledged: undefined, resolved: undefined, reopenTimes: [], reopenCount: 0, flapping: false, silencedBy: undefined, slack: undefined, history: [], carry: {}, probes: [probe],
  };
}
const kills = (s: StoredIncident) => offerActions(s, rules, config, self).map((o) => o.label);

describe("what kill_port_owner offers", () => {
  test("the listed port's rogue holder of firewatch's own user is offered", () => {
    expect(kills(incident(9003, { pid: 1573680, command: "node dist/index.js", user: ME }))).toEqual(["Kill PID 1573680 holding :9003"]);
  });

  test("an EADDRINUSE naming the store's Redis port, firewatch's own PID or child, an unlisted port or another user's process: nothing offered", () => {
    const lenient = GuardConfigSchema.parse({ actions: { kill_port_owner: { ...policy, ports: ["1-65535"] } } });
    // Even with every port listed, firewatch's own are never offered.
    expect(offerActions(incident(6379, { pid: 812, command: "/usr/bin/redis-server 127.0.0.1:6379", user: ME }), rules, lenient, self)).toEqual([]);
    expect(offerActions(incident(9464, { pid: 4000, command: "node firewatch", user: ME }), rules, lenient, self)).toEqual([]);
    expect(offerActions(incident(9003, { pid: process.pid, command: "node firewatch", user: ME }), rules, lenient, self)).toEqual([]);
    expect(offerActions(incident(9003, { pid: 4001, ppid: process.pid, command: "ss -ltnp", user: ME }), rules, lenient, self)).toEqual([]);
    expect(kills(incident(8080, { pid: 4002, command: "python3 -m http.server", user: ME }))).toEqual([]);
    expect(kills(incident(9003, { pid: 4003, command: "postgres", user: "postgres-not-me" }))).toEqual([]);
  });

  test("a policy may list the program or the user instead of the port; config without any list is refused", () => {
    const byProgram = GuardConfigSchema.parse({ actions: { kill_port_owner: { ...policy, ports: [], executables: ["node"] } } });
    expect(offerActions(incident(8081, { pid: 4004, command: "/usr/bin/node x.js", user: ME }), rules, byProgram, self)).toHaveLength(1);
    expect(offerActions(incident(8081, { pid: 4005, command: "/usr/bin/python3 x.py", user: ME }), rules, byProgram, self)).toEqual([]);
    const byUser = GuardConfigSchema.parse({ actions: { kill_port_owner: { ...policy, ports: [], processUsers: ["deploy"] } } });
    expect(offerActions(incident(8082, { pid: 4006, command: "node", user: "deploy" }), rules, byUser, self)).toHaveLength(1);
    const bare = GuardConfigSchema.safeParse({ actions: { kill_port_owner: { ...policy, ports: [] } } });
    expect(bare.success).toBe(false);
    expect(bare.error?.issues[0]?.message).toContain("kill_port_owner needs `ports`");
  });
});

describe("at click time the holder is checked again", () => {
  let store: TestStore;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ store, cleanup } = await tempStore(testClock())));
  afterEach(async () => cleanup());

  test("a valid, approved token for a port whose holder is now the store's Redis kills nothing", async () => {
    const clock = testClock();
    const world = seed000World();
    const lenient = GuardConfigSchema.parse({ actions: { kill_port_owner: { ...policy, ports: ["1-65535"] } } });
    const tokens = createTokenService({ clock, secret: SECRET, nonces: createNonceCache({ clock }) });
    const guard = createGuard({ clock, store, tokens, probes: fakeProbes(world), config: lenient, self });
    world.ports.set("6379", { pid: "812", command: "/usr/bin/redis-server 127.0.0.1:6379", inUnit: false, otherHolders: [], user: ME });
    const claims: TokenClaims = { incident: "fw-1a2b3c4d", action: "kill_port_owner", params: { pid: "812", port: "6379", unit: "transcription-palantir.service" }, host: "mithrandir" };
    const d = await guard.authorize({ token: tokens.issueToken(claims, lenient.tokenTtl), requester: alice });
    const a = d.kind === "needs_approval" ? await guard.approve({ approvalId: d.approvalId, requester: bob }) : d;
    const exec = recordingExecutor();
    const outcome = await guard.execute(a.kind === "allowed" ? a.grant : "", exec);
    expect(outcome).toMatchObject({ status: "world_changed", precondition: { ok: false, observed: expect.stringContaining("firewatch's own") } });
    expect(exec.calls).toEqual([]);
    // Another user's process holding a listed port: not stopped either.
    world.ports.set("9003", { pid: "1573680", command: "postgres", inUnit: false, otherHolders: [], user: "postgres-not-me" });
    const d2 = await guard.authorize({ token: tokens.issueToken({ ...claims, params: { pid: "1573680", port: "9003", unit: "transcription-palantir.service" } }, lenient.tokenTtl), requester: alice });
    const a2 = d2.kind === "needs_approval" ? await guard.approve({ approvalId: d2.approvalId, requester: bob }) : d2;
    expect(await guard.execute(a2.kind === "allowed" ? a2.grant : "", exec)).toMatchObject({ status: "world_changed", precondition: { observed: expect.stringContaining("belongs to postgres-not-me") } });
    expect(exec.calls).toEqual([]);
  });
});
