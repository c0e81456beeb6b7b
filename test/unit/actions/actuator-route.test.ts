// With guard.actuator set, the kit's grants for served hosts run in the actuator; the peer is read from ss and /proc.
import type { Server } from "node:net";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import {
  createActuatorHandler,
  createGuard,
  createGuardKit,
  credentialsFromStatus,
  GuardConfigSchema,
  isPrivilegedRead,
  listenActuator,
  peerAllowed,
  peerPidFromSs,
  type GuardKit,
} from "../../../src/actions/index.js";
import type { Host } from "../../../src/hosts/index.js";
import { fakeProbes, recordingExecutor, SECRET, seed000World, tempStore, testClock, type FakeWorld, type TestClock, type TestStore } from "./support.js";

describe("the peer of a connection", () => {
  test("ss -xpnH: the row whose peer inode is ours names the client's PID", () => {
    const ss = [
      "u_str ESTAB 0      0                       * 1079518 * 1079519 users:((\"node\",pid=29224,fd=20))",
      "u_str ESTAB 0      0      /run/firewatch/actuator.sock 1079519 * 1079518 users:((\"firewatch\",pid=777,fd=21))",
      "u_str ESTAB 0      0                       * 2000001 * 2000002 users:((\"other\",pid=1,fd=3))",
    ].join("\n");
    expect(peerPidFromSs(ss, "1079519")).toBe(29224);
    expect(peerPidFromSs(ss, "1079518")).toBe(777);
    expect(peerPidFromSs(ss, "42")).toBeUndefined();
  });

  test("/proc/PID/status: real uid, primary and supplementary groups", () => {
    const status = "Name:\tnode\nUid:\t65534\t65534\t65534\t65534\nGid:\t65534\t65534\t65534\t65534\nGroups:\t998 65534 \n";
    expect(credentialsFromStatus(status)).toEqual({ uid: 65534, gids: [65534, 998] });
    expect(credentialsFromStatus("Name:\tx\n")).toBeUndefined();
  });

  test("allowed: root, the socket's owner, or a member of its group; nobody else", () => {
    const file = { uid: 0, gid: 998 };
    expect(peerAllowed({ pid: 2, uid: 0, gids: [0] }, file)).toBe(true);
    expect(peerAllowed({ pid: 2, uid: 1000, gids: [1000, 998] }, file)).toBe(true);
    expect(peerAllowed({ pid: 2, uid: 1000, gids: [1000] }, file)).toBe(false);
    expect(peerAllowed({ pid: 2, uid: 998, gids: [100] }, { uid: 998, gid: 0 })).toBe(true);
  });

  test("the only reads the actuator runs are the port-owner probe's own argv", () => {
    expect(isPrivilegedRead(["ss", "-ltnpH", "sport = :9003"])).toBe(true);
    expect(isPrivilegedRead(["lsof", "-nP", "-iTCP:9003", "-sTCP:LISTEN", "-F", "pcLu"])).toBe(true);
    expect(isPrivilegedRead(["ss", "-ltnpH", "sport = :9003 or sport = :22"])).toBe(false);
    expect(isPrivilegedRead(["ss", "-K", "sport = :9003"])).toBe(false);
    expect(isPrivilegedRead(["kill", "-TERM", "1573680"])).toBe(false);
  });
});

describe("createGuardKit with guard.actuator", () => {
  let clock: TestClock;
  let store: TestStore;
  let cleanup: () => Promise<void>;
  let world: FakeWorld;
  let dir: string;
  let server: Server | undefined;
  const noHost = (): Host | undefined => undefined;

  beforeEach(async () => {
    clock = testClock();
    ({ store, cleanup } = await tempStore(clock));
    world = seed000World();
    dir = await mkdtemp(join(tmpdir(), "fw-route-"));
    server = undefined;
  });
  afterEach(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  const config = () => GuardConfigSchema.parse({
    secret: SECRET.toString("utf8"),
    actuator: { socket: join(dir, "a.sock"), hosts: ["mithrandir"] },
    actions: { kill_port_owner: { users: ["U_ALICE", "U_BOB"], channels: ["C_OPS"], hosts: ["mithrandir"], ports: [9003], targets: ["transcription-*"] } },
  });

  /** The actuator side on the test's socket: its own guard over the fake world, recording what it runs. */
  async function startActuator(kit: GuardKit, executor = recordingExecutor()): Promise<void> {
    const { actuator: _none, ...own } = config();
    const cfg = { ...own, actuator: undefined };
    const guard = createGuard({ clock, store, tokens: kit.tokens, probes: fakeProbes(world), config: cfg });
    const host: Host = { name: "local", exec: () => Promise.reject(new Error("no")), spawn: () => Promise.reject(new Error("no")), close: () => Promise.resolve() };
    server = await listenActuator({ socket: join(dir, "a.sock"), peerOf: () => Promise.resolve({ pid: 1, uid: 0, gids: [0] }) }, createActuatorHandler({ guard, executor, tokens: kit.tokens, store, clock, config: cfg, host, hosts: ["mithrandir"] }));
  }

  async function grantFrom(kit: GuardKit): Promise<string> {
    const token = kit.tokens.issueToken({ incident: "fw-1a2b3c4d", action: "kill_port_owner", params: { pid: "1573680", port: "9003", unit: "transcription-palantir.service" }, host: "mithrandir" }, 60_000);
    const d = await kit.guard.authorize({ token, requester: { user: "U_ALICE", groups: [], channel: "C_OPS" } });
    if (d.kind !== "needs_approval") throw new Error(d.kind);
    const a = await kit.guard.approve({ approvalId: d.approvalId, requester: { user: "U_BOB", groups: [], channel: "C_OPS" } });
    if (a.kind !== "allowed") throw new Error(a.kind);
    return a.grant;
  }

  test("a grant for a served host runs in the actuator, never in this process", async () => {
    const kit = await createGuardKit({ config: config(), store, clock, host: noHost });
    const theirs = recordingExecutor(() => world.ports.delete("9003"));
    await startActuator(kit, theirs);
    world.units.set("transcription-palantir.service", { mainPid: "4242", activeState: "active", subState: "running", nRestarts: 486 });
    const mine = recordingExecutor();
    const o = await kit.guard.execute(await grantFrom(kit), mine);
    expect(o.status).toBe("done");
    expect(mine.calls).toEqual([]);
    expect(theirs.calls).toEqual([{ kind: "argv", host: "mithrandir", argv: ["kill", "-TERM", "1573680"] }]);
    expect(kit.actuator?.socket).toBe(join(dir, "a.sock"));
  });

  test("an approver who cannot reach the actuator is refused, and the request stays pending for one who can", async () => {
    const kit = await createGuardKit({ config: config(), store, clock, host: noHost });
    const token = kit.tokens.issueToken({ incident: "fw-1a2b3c4d", action: "kill_port_owner", params: { pid: "1573680", port: "9003", unit: "transcription-palantir.service" }, host: "mithrandir" }, 60_000);
    const d = await kit.guard.authorize({ token, requester: { user: "U_ALICE", groups: [], channel: "C_OPS" } });
    if (d.kind !== "needs_approval") throw new Error(d.kind);
    const bob = { user: "U_BOB", groups: [], channel: "C_OPS" };
    expect(await kit.guard.approve({ approvalId: d.approvalId, requester: bob })).toMatchObject({ kind: "refused", reason: "executor_unavailable", detail: expect.stringMatching(/cannot reach the actuator/) });
    expect((await store.listAudit({ action: "action.refused" })).map((e) => e.details["reason"])).toEqual(["executor_unavailable"]);
    // The actuator comes up: the same approval goes through.
    await startActuator(kit);
    expect((await kit.guard.approve({ approvalId: d.approvalId, requester: bob })).kind).toBe("allowed");
  });

  test("the actuator gone between approval and run: failed with the reason, audited, the grant left for a retry", async () => {
    const kit = await createGuardKit({ config: config(), store, clock, host: noHost });
    const mine = recordingExecutor();
    await startActuator(kit);
    const grant = await grantFrom(kit);
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    server = undefined;
    const o = await kit.guard.execute(grant, mine);
    expect(o).toMatchObject({ status: "failed", detail: expect.stringMatching(/cannot reach the actuator/) });
    expect(mine.calls).toEqual([]);
    expect((await store.listAudit({ action: "action.failed" })).map((e) => e.details["stage"])).toEqual(["actuator"]);
    expect(await store.getRecord("grant", grant)).toBeDefined();
  });
});
