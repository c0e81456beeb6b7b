// Pending approvals and grants live in the store: a new guard on the same store carries on, and each is taken once.
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { APPROVAL_NS, createGuard, GRANT_NS, createNonceCache, createTokenService, GuardConfigSchema, type Guard, type Requester, type TokenClaims, type TokenService } from "../../../src/actions/index.js";
import { fakeProbes, recordingExecutor, SECRET, seed000World, tempStore, testClock, type FakeWorld, type TestClock, type TestStore } from "./support.js";

const alice: Requester = { user: "cli:alice", groups: [], channel: "cli" };
const bob: Requester = { user: "cli:bob", groups: [], channel: "cli" };
const carol: Requester = { user: "cli:carol", groups: [], channel: "cli" };
const config = GuardConfigSchema.parse({
  actions: { kill_port_owner: { users: ["cli:alice", "cli:bob", "cli:carol"], channels: ["cli"], hosts: ["mithrandir"], ports: ["1024-65535"], targets: ["transcription-*.service"] } },
});
const kill: TokenClaims = { incident: "fw-1a2b3c4d", action: "kill_port_owner", params: { pid: "1573680", port: "9003", unit: "transcription-palantir.service" }, host: "mithrandir" };

let clock: TestClock;
let store: TestStore;
let cleanup: () => Promise<void>;
let world: FakeWorld;
let tokens: TokenService;
const guardOn = (): Guard => createGuard({ clock, store, tokens, probes: fakeProbes(world), config });

beforeEach(async () => {
  clock = testClock();
  ({ store, cleanup } = await tempStore(clock));
  world = seed000World();
  tokens = createTokenService({ clock, secret: SECRET, nonces: createNonceCache({ clock }) });
});
afterEach(async () => {
  await cleanup();
});

/** Kills like the real `kill -TERM` would in seed 000: the port is freed and the unit comes up. */
const killing = () =>
  recordingExecutor(() => {
    world.ports.delete("9003");
    world.units.set("transcription-palantir.service", { mainPid: "4242", activeState: "active", subState: "running", nRestarts: 486 });
  });

async function requested(g: Guard): Promise<string> {
  const d = await g.authorize({ token: tokens.issueToken(kill, 60_000), requester: alice });
  if (d.kind !== "needs_approval") throw new Error(`expected needs_approval, got ${d.kind}`);
  return d.approvalId;
}

describe("guard state in the store", () => {
  test("an approval requested on one guard is approved on a new guard (a restart), and its grant runs on a third", async () => {
    const id = await requested(guardOn());
    const a = await guardOn().approve({ approvalId: id, requester: bob });
    expect(a).toMatchObject({ kind: "allowed", plan: { approvedBy: "cli:bob", command: { argv: ["kill", "-TERM", "1573680"] } } });
    const exec = killing();
    expect(await guardOn().execute(a.kind === "allowed" ? a.grant : "", exec)).toMatchObject({ status: "done" });
    expect(exec.calls).toHaveLength(1);
  });

  test("two approvers on two guards at the same instant: exactly one grant", async () => {
    const id = await requested(guardOn());
    const [x, y] = await Promise.all([guardOn().approve({ approvalId: id, requester: bob }), guardOn().approve({ approvalId: id, requester: carol })]);
    expect([x.kind, y.kind].sort()).toEqual(["allowed", "refused"]);
    expect([x, y].find((d) => d.kind === "refused")).toMatchObject({ reason: "unknown_approval" });
  });

  test("a grant is taken once across guards", async () => {
    const id = await requested(guardOn());
    const a = await guardOn().approve({ approvalId: id, requester: bob });
    const grant = a.kind === "allowed" ? a.grant : "";
    const one = killing();
    const two = killing();
    const outcomes = await Promise.all([guardOn().execute(grant, one), guardOn().execute(grant, two)]);
    expect(one.calls.length + two.calls.length).toBe(1);
    expect(outcomes.map((o) => o.status)).toContain("refused");
  });

  test("the same person is refused and the approval stays pending for someone else", async () => {
    const id = await requested(guardOn());
    expect(await guardOn().approve({ approvalId: id, requester: alice })).toMatchObject({ kind: "refused", reason: "same_person" });
    expect((await guardOn().approve({ approvalId: id, requester: bob })).kind).toBe("allowed");
  });

  test("an approval past its time limit is refused as expired, from any guard", async () => {
    const id = await requested(guardOn());
    clock.advance(config.actions.kill_port_owner?.approvalWithin ?? 0);
    expect(await guardOn().approve({ approvalId: id, requester: bob })).toMatchObject({ kind: "refused", reason: "approval_expired" });
  });

  test("a stored approval altered in the store (shell text in a param) is not honoured: its seal no longer fits", async () => {
    const id = await requested(guardOn());
    const stored = (await store.getRecord(APPROVAL_NS, id)) as { body: string; mac: string };
    await store.putRecord(APPROVAL_NS, id, { ...stored, body: stored.body.replace("transcription-palantir.service", "foo; rm -rf /") }, 60_000);
    expect(await guardOn().approve({ approvalId: id, requester: bob })).toMatchObject({ kind: "refused", reason: "unknown_approval" });
    // A valid-looking plan moved to another id does not fit either: the seal binds the key.
    await store.putRecord(APPROVAL_NS, "0123456789abcdef0123", stored, 60_000);
    expect(await guardOn().approve({ approvalId: "0123456789abcdef0123", requester: bob })).toMatchObject({ kind: "refused", reason: "unknown_approval" });
  });

  test("a grant written into the store by someone without the secret runs nothing", async () => {
    const plan = { incident: "fw-1a2b3c4d", action: "kill_port_owner", params: kill.params, host: "mithrandir", requestedBy: "cli:alice", approvedBy: "cli:bob" };
    const body = JSON.stringify({ plan, expiresAt: clock.now() + 60_000, dryRun: false });
    await store.putRecord(GRANT_NS, "feedfacefeedfacefeed", { body, mac: "A".repeat(43) }, 60_000);
    const exec = killing();
    expect(await guardOn().execute("feedfacefeedfacefeed", exec)).toEqual({ status: "refused", reason: "unknown_grant" });
    expect(exec.calls).toEqual([]);
  });

  test("a grant whose host left the allow-list since the decision runs nothing", async () => {
    const id = await requested(guardOn());
    const a = await guardOn().approve({ approvalId: id, requester: bob });
    const narrowed = GuardConfigSchema.parse({ actions: { kill_port_owner: { users: ["cli:alice", "cli:bob"], channels: ["cli"], hosts: ["elsewhere"], ports: [9003], targets: ["*"] } } });
    const exec = killing();
    const later = createGuard({ clock, store, tokens, probes: fakeProbes(world), config: narrowed });
    expect(await later.execute(a.kind === "allowed" ? a.grant : "", exec)).toEqual({ status: "refused", reason: "unknown_grant" });
    expect(exec.calls).toEqual([]);
    expect((await store.listAudit({ action: "action.refused" })).at(-1)?.details).toMatchObject({ detail: "the grant is no longer allowed (host_not_allowed)" });
  });

  test("a replayed token's refusal names its incident, so the audit of the incident shows the second click", async () => {
    const token = tokens.issueToken(kill, 60_000);
    expect((await guardOn().authorize({ token, requester: alice })).kind).toBe("needs_approval");
    expect(await guardOn().authorize({ token, requester: bob })).toMatchObject({ kind: "refused", reason: "replayed" });
    const refused = (await store.listAudit({ target: "fw-1a2b3c4d", action: "action.refused" }))[0];
    expect(refused).toMatchObject({ actor: "cli:bob", details: { reason: "replayed", action: "kill_port_owner", host: "mithrandir" } });
    expect(await guardOn().authorize({ token: "x.y", requester: bob })).toMatchObject({ kind: "refused", reason: "malformed" });
    expect((await store.listAudit({ action: "action.refused" })).at(-1)?.target).toBeUndefined();
  });
});
