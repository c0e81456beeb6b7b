import { userInfo } from "node:os";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import {
  createGuard,
  createNonceCache,
  createTokenService,
  GuardConfigSchema,
  type Decision,
  type Guard,
  type Requester,
  type TokenClaims,
  type TokenService,
} from "../../../src/actions/index.js";
import { snapshot } from "../store/support.js";
import { fakeProbes, recordingExecutor, SECRET, seed000World, tempStore, testClock, type FakeWorld, type TestClock, type TestStore } from "./support.js";

/** A stored incident whose short id is `id` (fw- and 8 hex digits), for tests that resolve it. */
const incidentFor = (id: string) => snapshot({ fingerprint: `${id.slice(3)}00112233445566778899aabb` });

const alice: Requester = { user: "U_ALICE", groups: [], channel: "C_OPS" };
const bob: Requester = { user: "U_BOB", groups: [], channel: "C_OPS" };
const carol: Requester = { user: "U_CAROL", groups: ["S_ONCALL"], channel: "C_OPS" };
const mallory: Requester = { user: "U_MALLORY", groups: [], channel: "C_OPS" };

const config = GuardConfigSchema.parse({
  tokenTtl: "15m",
  actions: {
    kill_port_owner: { users: ["U_ALICE", "U_BOB"], groups: ["S_ONCALL"], channels: ["C_OPS"], hosts: ["mithrandir"], ports: ["1024-65535"], targets: ["transcription-*.service"], approvalWithin: "10m", rateLimit: { max: 2, per: "1h" } },
    restart_unit: { users: ["U_ALICE", "U_BOB"], channels: ["C_OPS"], hosts: ["mithrandir"], targets: ["*"] },
    restart_container: { users: ["U_ALICE", "U_BOB"], channels: ["C_OPS"], hosts: ["mithrandir"], targets: ["palantir-*"] },
    clean_failed_jobs: { users: ["U_ALICE"], channels: ["C_OPS"], hosts: ["mithrandir"], targets: ["transcription"], rateLimit: { max: 1, per: "10m" } },
  },
});

const kill: TokenClaims = {
  incident: "fw-1a2b3c4d",
  action: "kill_port_owner",
  params: { pid: "1573680", port: "9003", unit: "transcription-palantir.service" },
  host: "mithrandir",
};

let clock: TestClock;
let store: TestStore;
let cleanup: () => Promise<void>;
let world: FakeWorld;
let tokens: TokenService;
let guard: Guard;

beforeEach(async () => {
  clock = testClock();
  ({ store, cleanup } = await tempStore(clock));
  world = seed000World();
  tokens = createTokenService({ clock, secret: SECRET, nonces: createNonceCache({ clock }) });
  guard = createGuard({ clock, store, tokens, probes: fakeProbes(world), config });
});
afterEach(async () => {
  await cleanup();
});

/** The executor kills like `kill -TERM` would: the port is freed and the unit comes up. */
function killingExecutor() {
  return recordingExecutor((c) => {
    if (c.kind === "argv" && c.argv[0] === "kill") {
      world.ports.delete("9003");
      world.units.set("transcription-palantir.service", { mainPid: "4242", activeState: "active", subState: "running", nRestarts: 486 });
    }
  });
}

async function refusals(): Promise<unknown[]> {
  return (await store.listAudit({ action: "action.refused" })).map((e) => e.details["reason"]);
}

async function approvedGrant(claims: TokenClaims = kill): Promise<string> {
  const d = await guard.authorize({ token: tokens.issueToken(claims, config.tokenTtl), requester: alice });
  if (d.kind !== "needs_approval") throw new Error(`expected needs_approval, got ${d.kind}`);
  const a = await guard.approve({ approvalId: d.approvalId, requester: bob });
  if (a.kind !== "allowed") throw new Error(`expected allowed, got ${a.kind}`);
  return a.grant;
}

describe("guard: the seed 000 kill, end to end with fakes", () => {
  test("request by A, approval by B, click: the rogue PID gets TERM, the postcondition passes, all audited", async () => {
    const exec = killingExecutor();
    const outcome = await guard.execute(await approvedGrant(), exec);
    expect(exec.calls).toEqual([{ kind: "argv", host: "mithrandir", argv: ["kill", "-TERM", "1573680"] }]);
    expect(outcome).toMatchObject({ status: "done", postcondition: { ok: true } });
    const audit = await store.listAudit({ target: "fw-1a2b3c4d" });
    expect(audit.map((e) => [e.actor, e.action])).toEqual([
      ["U_ALICE", "action.approval_requested"],
      ["U_BOB", "action.allowed"],
      ["U_BOB", "action.done"],
    ]);
    expect(audit[2]?.details).toMatchObject({ host: "mithrandir", command: '["kill","-TERM","1573680"]', approvedBy: "U_BOB", result: "done" });
    expect(audit[2]?.at).toBe(clock.now());
  });

  test("dry-run shows the exact argv and host, runs nothing, needs no approval and leaves the token usable", async () => {
    const token = tokens.issueToken(kill, config.tokenTtl);
    const d = await guard.authorize({ token, requester: alice, dryRun: true });
    expect(d).toMatchObject({ kind: "allowed", dryRun: true, plan: { host: "mithrandir", command: { argv: ["kill", "-TERM", "1573680"] } } });
    const exec = killingExecutor();
    const outcome = await guard.execute(d.kind === "allowed" ? d.grant : "", exec);
    expect(outcome).toMatchObject({ status: "dry_run", precondition: { ok: true } });
    expect(exec.calls).toEqual([]);
    expect((await store.listAudit({ action: "action.dry_run" })).length).toBe(1);
    expect((await guard.authorize({ token, requester: alice })).kind).toBe("needs_approval");
  });

  test("a TERM the process ignores is followed by KILL after the grace period, and only then", async () => {
    const exec = recordingExecutor((c) => {
      if (c.kind === "argv" && c.argv[1] === "-KILL") {
        world.ports.delete("9003");
        world.units.set("transcription-palantir.service", { mainPid: "4242", activeState: "active", subState: "running", nRestarts: 486 });
      }
    });
    const grant = await approvedGrant();
    const t0 = clock.now();
    expect(await guard.execute(grant, exec)).toMatchObject({ status: "done" });
    expect(exec.calls.map((c) => (c.kind === "argv" ? c.argv.join(" ") : ""))).toEqual(["kill -TERM 1573680", "kill -KILL 1573680"]);
    expect(clock.now() - t0).toBe(5_000);
    expect((await store.listAudit({ action: "action.done" }))[0]?.details).toMatchObject({ escalated: true });
  });

  test("no KILL when another process took the port after the TERM", async () => {
    const exec = recordingExecutor((c) => {
      if (c.kind === "argv" && c.argv[1] === "-TERM") world.ports.set("9003", { pid: "1600001", command: "node other.js", inUnit: false, otherHolders: [], user: userInfo().username });
    });
    expect(await guard.execute(await approvedGrant(), exec)).toMatchObject({ status: "unverified" });
    expect(exec.calls).toHaveLength(1);
  });

  test("a grant is single-use", async () => {
    const grant = await approvedGrant();
    await guard.execute(grant, killingExecutor());
    const exec = killingExecutor();
    expect(await guard.execute(grant, exec)).toEqual({ status: "refused", reason: "unknown_grant" });
    expect(exec.calls).toEqual([]);
    expect(await refusals()).toEqual(["unknown_grant"]);
  });
});

describe("guard: the world changed between request and click", () => {
  test("another PID holds the port now: nothing is done and the user is told what changed", async () => {
    const grant = await approvedGrant();
    world.ports.set("9003", { pid: "1600001", command: "node other.js", inUnit: false, otherHolders: [], user: userInfo().username });
    const exec = killingExecutor();
    const outcome = await guard.execute(grant, exec);
    expect(exec.calls).toEqual([]);
    expect(outcome).toMatchObject({ status: "world_changed", precondition: { ok: false, observed: expect.stringContaining("now held by PID 1600001") } });
    expect((await store.listAudit({ action: "action.world_changed" }))[0]?.details).toMatchObject({ result: "not_run" });
  });

  test("the holder became the unit's own process: refused, nothing runs", async () => {
    const grant = await approvedGrant();
    world.ports.set("9003", { pid: "1573680", command: "node dist/index.js", inUnit: true, otherHolders: [], user: userInfo().username });
    const exec = killingExecutor();
    expect(await guard.execute(grant, exec)).toMatchObject({ status: "world_changed" });
    expect(exec.calls).toEqual([]);
  });

  test("a command that fails, and a postcondition that does not hold, are reported and audited as such", async () => {
    const failing = recordingExecutor();
    const boom = Object.assign(() => Promise.resolve({ ok: false, detail: "exit 1: No such process" }), { calls: failing.calls });
    expect(await guard.execute(await approvedGrant(), boom)).toMatchObject({ status: "failed", detail: "exit 1: No such process" });
    const noop = recordingExecutor();
    expect(await guard.execute(await approvedGrant(), noop)).toMatchObject({ status: "unverified", postcondition: { ok: false, observed: "PID 1573680 still holds port 9003" } });
    expect((await store.listAudit()).map((e) => e.action).filter((a) => a === "action.failed" || a === "action.unverified")).toEqual(["action.failed", "action.unverified"]);
  });
});

describe("guard: refusals, each audited, none executed", () => {
  const cases: [string, () => string, Requester, string][] = [
    ["forged (random bytes)", () => "eyJ2IjoxLCJpIjoiZnctMSJ9.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", alice, "malformed"],
    ["foreign secret", () => createTokenService({ clock, secret: Buffer.alloc(32, 7), nonces: createNonceCache({ clock }) }).issueToken(kill, 60_000), alice, "foreign_key"],
    ["user not on the list", () => tokens.issueToken(kill, 60_000), mallory, "user_not_allowed"],
    ["channel not on the list", () => tokens.issueToken(kill, 60_000), { ...alice, channel: "C_RANDOM" }, "channel_not_allowed"],
    ["host not allowed", () => tokens.issueToken({ ...kill, host: "prod-db-1" }, 60_000), alice, "host_not_allowed"],
    ["unit not allowed", () => tokens.issueToken({ ...kill, params: { ...kill.params, unit: "sshd.service" } }, 60_000), alice, "target_not_allowed"],
    ["unit name with a shell command", () => tokens.issueToken({ ...kill, action: "restart_unit", params: { unit: "foo; rm -rf /" } }, 60_000), alice, "invalid_params"],
    ["unit name with a command substitution", () => tokens.issueToken({ ...kill, action: "restart_unit", params: { unit: "$(id)" } }, 60_000), alice, "invalid_params"],
    ["unit name read as an option", () => tokens.issueToken({ ...kill, action: "restart_unit", params: { unit: "--help" } }, 60_000), alice, "invalid_params"],
    ["PID 1", () => tokens.issueToken({ ...kill, params: { ...kill.params, pid: "1" } }, 60_000), alice, "invalid_params"],
    ["PID that is not digits", () => tokens.issueToken({ ...kill, params: { ...kill.params, pid: "-1" } }, 60_000), alice, "invalid_params"],
    ["an extra parameter", () => tokens.issueToken({ ...kill, params: { ...kill.params, signal: "KILL" } }, 60_000), alice, "invalid_params"],
    ["host name with a shell command", () => tokens.issueToken({ ...kill, host: "mithrandir; id" }, 60_000), alice, "invalid_params"],
    ["unknown action", () => tokens.issueToken({ ...kill, action: "reboot" }, 60_000), alice, "unknown_action"],
  ];
  test.each(cases)("%s", async (_name, token, who, reason) => {
    const d = await guard.authorize({ token: token(), requester: who });
    expect(d).toMatchObject({ kind: "refused", reason });
    expect(await refusals()).toEqual([reason]);
    expect((await store.listAudit()).length).toBe(1);
  });

  test("an expired token is refused and audited", async () => {
    const token = tokens.issueToken(kill, config.tokenTtl);
    clock.advance(config.tokenTtl);
    expect(await guard.authorize({ token, requester: alice })).toMatchObject({ kind: "refused", reason: "expired" });
    expect(await refusals()).toEqual(["expired"]);
  });

  test("a user not on the list does not burn the single-use token: it still works once for an allowed user, then is a replay", async () => {
    const token = tokens.issueToken(kill, config.tokenTtl);
    expect(await guard.authorize({ token, requester: mallory })).toMatchObject({ kind: "refused", reason: "user_not_allowed" });
    expect(await guard.authorize({ token, requester: { ...alice, channel: "C_ELSEWHERE" } })).toMatchObject({ kind: "refused", reason: "channel_not_allowed" });
    expect(await guard.authorize({ token, requester: alice })).toMatchObject({ kind: "needs_approval" });
    expect(await guard.authorize({ token, requester: alice })).toMatchObject({ kind: "refused", reason: "replayed" });
    expect(await refusals()).toEqual(["user_not_allowed", "channel_not_allowed", "replayed"]);
  });

  test("altered params (one character of the token) are refused", async () => {
    const token = tokens.issueToken(kill, config.tokenTtl);
    const i = 20;
    const altered = token.slice(0, i) + (token[i] === "A" ? "B" : "A") + token.slice(i + 1);
    const d: Decision = await guard.authorize({ token: altered, requester: alice });
    expect(d.kind).toBe("refused");
    expect(await refusals()).toHaveLength(1);
  });

  test("an action missing from the config is refused", async () => {
    const g = createGuard({ clock, store, tokens, probes: fakeProbes(world), config: GuardConfigSchema.parse({}) });
    expect(await g.authorize({ token: tokens.issueToken(kill, 60_000), requester: alice })).toMatchObject({ kind: "refused", reason: "action_not_enabled" });
  });
});

describe("guard: two-person approval", () => {
  async function request(): Promise<string> {
    const d = await guard.authorize({ token: tokens.issueToken(kill, config.tokenTtl), requester: alice });
    expect(d).toMatchObject({ kind: "needs_approval", expiresAt: clock.now() + 600_000 });
    return d.kind === "needs_approval" ? d.approvalId : "";
  }

  test("the requester cannot approve their own request; a second allowed person can", async () => {
    const id = await request();
    expect(await guard.approve({ approvalId: id, requester: alice })).toMatchObject({ kind: "refused", reason: "same_person" });
    expect(await guard.approve({ approvalId: id, requester: bob })).toMatchObject({ kind: "allowed", plan: { requestedBy: "U_ALICE", approvedBy: "U_BOB" } });
    expect(await guard.approve({ approvalId: id, requester: carol })).toMatchObject({ kind: "refused", reason: "unknown_approval" });
  });

  test("one person with two identities (Slack and CLI) cannot approve their own request; nothing runs", async () => {
    const people = GuardConfigSchema.parse({
      ...config,
      actions: { kill_port_owner: { ...config.actions.kill_port_owner, users: ["U_ALICE", "cli:alice", "U_BOB"], channels: ["C_OPS", "cli"] } },
      people: { alice: ["U_ALICE", "cli:alice"], bob: ["U_BOB"] },
    });
    const g = createGuard({ clock, store, tokens, probes: fakeProbes(world), config: people });
    const d = await g.authorize({ token: tokens.issueToken(kill, people.tokenTtl), requester: alice });
    const id = d.kind === "needs_approval" ? d.approvalId : "";
    const aliceAtTheCli: Requester = { user: "cli:alice", groups: [], channel: "cli" };
    expect(await g.approve({ approvalId: id, requester: aliceAtTheCli })).toMatchObject({ kind: "refused", reason: "same_person", detail: expect.stringContaining("same person as U_ALICE") });
    expect((await store.listAudit({ action: "action.allowed" })).length).toBe(0);
    // Without the people map the two strings count as two people: that is what the map is for.
    const strings = createGuard({ clock, store, tokens, probes: fakeProbes(world), config: { ...people, people: {} } });
    expect(await strings.approve({ approvalId: id, requester: aliceAtTheCli })).toMatchObject({ kind: "allowed" });
    expect(() => GuardConfigSchema.parse({ people: { alice: ["U_X"], mallory: ["U_X"] } })).toThrow(/listed under alice too/);
  });

  test("a member of an allowed group may approve; someone not on the list may not", async () => {
    const id = await request();
    expect(await guard.approve({ approvalId: id, requester: mallory })).toMatchObject({ kind: "refused", reason: "user_not_allowed" });
    expect(await guard.approve({ approvalId: id, requester: carol })).toMatchObject({ kind: "allowed" });
  });

  test("an approval at the time limit is refused, one just before is accepted", async () => {
    const late = await request();
    clock.advance(600_000);
    expect(await guard.approve({ approvalId: late, requester: bob })).toMatchObject({ kind: "refused", reason: "approval_expired" });
    const inTime = await request();
    clock.advance(599_999);
    expect(await guard.approve({ approvalId: inTime, requester: bob })).toMatchObject({ kind: "allowed" });
    expect(await refusals()).toEqual(["approval_expired"]);
  });

  test("an approval an hour past its expiry is forgotten once a new request comes in", async () => {
    const old = await request();
    clock.advance(600_000 + 3_600_000);
    await request();
    expect(await guard.approve({ approvalId: old, requester: bob })).toMatchObject({ kind: "refused", reason: "unknown_approval" });
  });

  test("a non-destructive action needs no second person", async () => {
    const claims: TokenClaims = { incident: "fw-1a2b3c4d", action: "clean_failed_jobs", params: { queue: "transcription" }, host: "mithrandir" };
    const d = await guard.authorize({ token: tokens.issueToken(claims, 60_000), requester: alice });
    expect(d).toMatchObject({ kind: "allowed", dryRun: false, plan: { command: { kind: "clean_failed_jobs", queue: "transcription" } } });
  });
});

describe("guard: rate limit per action and host", () => {
  test("a third run within the hour is refused; after the window it is allowed again", async () => {
    // The port is held again after each kill (the rogue came back), so each run really runs.
    for (let i = 0; i < 2; i++) {
      expect(await guard.execute(await approvedGrant(), recordingExecutor())).toMatchObject({ status: "unverified" });
    }
    const third = await guard.authorize({ token: tokens.issueToken(kill, config.tokenTtl), requester: alice });
    expect(third).toMatchObject({ kind: "refused", reason: "rate_limited" });
    clock.advance(3_600_000);
    expect((await guard.authorize({ token: tokens.issueToken(kill, config.tokenTtl), requester: alice })).kind).toBe("needs_approval");
  });

  test("only runs count: allowed but unused grants, world-changed and failed-precondition attempts cost nothing", async () => {
    // Issue 14: a stale approval ended "world changed" yet locked out the next real fix ("already ran 3 times" after 2 kills).
    await approvedGrant();
    await approvedGrant();
    world.ports.set("9003", { pid: "1600001", command: "node other.js", inUnit: false, otherHolders: [], user: userInfo().username });
    expect(await guard.execute(await approvedGrant(), killingExecutor())).toMatchObject({ status: "world_changed" });
    world.ports.set("9003", { pid: "1573680", command: "node rogue.js", inUnit: false, otherHolders: [], user: userInfo().username });
    const d = await guard.authorize({ token: tokens.issueToken(kill, config.tokenTtl), requester: alice });
    expect(d.kind).toBe("needs_approval");
    const a = d.kind === "needs_approval" ? await guard.approve({ approvalId: d.approvalId, requester: bob }) : undefined;
    expect(a?.kind).toBe("allowed");
    expect(await guard.execute(a?.kind === "allowed" ? a.grant : "", killingExecutor())).toMatchObject({ status: "done" });
    expect(await refusals()).toEqual([]);
  });

  test("the budget is per action and host, and shared by every guard on the store (a restart, another process)", async () => {
    const claims: TokenClaims = { incident: "fw-1", action: "clean_failed_jobs", params: { queue: "transcription" }, host: "mithrandir" };
    const ran = async (g: Guard, c: TokenClaims) => {
      const d = await g.authorize({ token: tokens.issueToken(c, 60_000), requester: alice });
      if (d.kind === "allowed") await g.execute(d.grant, recordingExecutor());
      return d;
    };
    expect((await ran(guard, claims)).kind).toBe("allowed");
    expect(await ran(guard, claims)).toMatchObject({ kind: "refused", reason: "rate_limited" });
    const g = createGuard({
      clock, store, tokens, probes: fakeProbes(world),
      config: GuardConfigSchema.parse({ actions: { clean_failed_jobs: { users: ["U_ALICE"], channels: ["C_OPS"], hosts: ["*"], targets: ["*"], rateLimit: { max: 1, per: "10m" } } } }),
    });
    expect(await ran(g, claims)).toMatchObject({ kind: "refused", reason: "rate_limited" });
    expect((await ran(g, { ...claims, host: "gandalf" })).kind).toBe("allowed");
    expect((await ran(g, { ...claims, host: "gandalf" })).kind).toBe("refused");
    clock.advance(600_000);
    expect((await ran(g, claims)).kind).toBe("allowed");
  });
});

describe("guard: one pending request per action and target", () => {
  const ask = (who: Requester, claims: TokenClaims = kill) => guard.authorize({ token: tokens.issueToken(claims, config.tokenTtl), requester: who });

  test("a second click (anyone's) gets the request already pending, not a new one", async () => {
    const first = await ask(alice);
    const second = await ask(bob);
    const third = await ask(alice);
    expect(first).toMatchObject({ kind: "needs_approval", existing: false });
    const id = first.kind === "needs_approval" ? first.approvalId : "";
    expect(second).toMatchObject({ kind: "needs_approval", existing: true, approvalId: id, plan: { requestedBy: "U_ALICE" } });
    expect(third).toMatchObject({ kind: "needs_approval", existing: true, approvalId: id });
    expect((await store.listAudit({ action: "action.approval_requested" })).length).toBe(1);
    expect((await store.listAudit({ action: "action.approval_pending" })).map((e) => e.actor)).toEqual(["U_BOB", "U_ALICE"]);
    // Another target (another PID) is another request.
    const other = await ask(alice, { ...kill, params: { ...kill.params, pid: "1600001" } });
    expect(other).toMatchObject({ kind: "needs_approval", existing: false });
  });

  test("once the pending one is decided (or expired), the next click makes a new request", async () => {
    const first = await ask(alice);
    const id = first.kind === "needs_approval" ? first.approvalId : "";
    expect((await guard.approve({ approvalId: id, requester: bob })).kind).toBe("allowed");
    const next = await ask(alice);
    expect(next).toMatchObject({ kind: "needs_approval", existing: false });
    clock.advance(600_000);
    expect(await ask(bob)).toMatchObject({ kind: "needs_approval", existing: false, plan: { requestedBy: "U_BOB" } });
  });

  test("resolving the incident closes its pending request: it can no longer be approved", async () => {
    await store.upsert(incidentFor("fw-1a2b3c4d"));
    const first = await ask(alice);
    const id = first.kind === "needs_approval" ? first.approvalId : "";
    await store.resolve("fw-1a2b3c4d", "cli:carol");
    expect(await guard.approve({ approvalId: id, requester: bob })).toMatchObject({ kind: "refused", reason: "unknown_approval", detail: expect.stringContaining("resolved") });
    expect((await store.listAudit({ action: "incident.requests_closed" }))[0]?.details).toMatchObject({ count: 1, records: `approval/${id}` });
    // A click after the resolve is a new request, not the closed one.
    expect(await ask(alice)).toMatchObject({ kind: "needs_approval", existing: false });
  });
});
