// The actuator refuses what it must (one test per case: nothing runs, an audit entry says why) and runs a real grant.
import { connect, type Server } from "node:net";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import {
  ActuatorError,
  createActuatorClient,
  createActuatorHandler,
  createGuard,
  createNonceCache,
  createTokenService,
  GRANT_NS,
  GuardConfigSchema,
  listenActuator,
  type ActuatorClient,
  type GuardConfig,
  type Peer,
  type TokenClaims,
  type TokenService,
} from "../../../src/actions/index.js";
import type { ExecResult, Host } from "../../../src/hosts/index.js";
import { fakeProbes, recordingExecutor, SECRET, seed000World, tempStore, testClock, type FakeWorld, type TestClock, type TestStore } from "./support.js";

const policy = (targets: string[]) => ({ users: ["U_ALICE", "U_BOB"], channels: ["C_OPS"], hosts: ["mithrandir", "elsewhere"], ports: ["1024-65535"], targets });
/** The daemon's config: what it may request. */
const daemonConfig = GuardConfigSchema.parse({ actions: { kill_port_owner: policy(["transcription-*.service"]), restart_unit: policy(["*"]) } });
/** The actuator's own config (root-owned): it may be narrower than what the daemon asks for. */
const actuatorConfig = GuardConfigSchema.parse({ actions: { kill_port_owner: policy(["transcription-*.service"]), restart_unit: policy(["transcription-*.service"]) } });

const kill: TokenClaims = { incident: "fw-1a2b3c4d", action: "kill_port_owner", params: { pid: "1573680", port: "9003", unit: "transcription-palantir.service" }, host: "mithrandir" };
const ROOT_PEER: Peer = { pid: 4242, uid: 0, gids: [0] };

let clock: TestClock;
let store: TestStore;
let cleanup: () => Promise<void>;
let world: FakeWorld;
let tokens: TokenService;
let dir: string;
let server: Server;
let client: ActuatorClient;
let executor: ReturnType<typeof recordingExecutor>;
let reads: (readonly string[])[];
let peer: Peer | undefined;

const readHost: Host = {
  name: "local",
  exec: (argv) => {
    reads.push(argv);
    const r: ExecResult = { code: 0, signal: null, stdout: 'LISTEN 0 511 0.0.0.0:9003 0.0.0.0:* users:(("node",pid=1573680,fd=21))\n', stderr: "", truncated: false, timedOut: false };
    return Promise.resolve(r);
  },
  spawn: () => Promise.reject(new Error("not here")),
  close: () => Promise.resolve(),
};

async function start(config: GuardConfig = actuatorConfig): Promise<void> {
  const guard = createGuard({ clock, store, tokens, probes: fakeProbes(world), config });
  const handler = createActuatorHandler({ guard, executor, tokens, store, clock, config, host: readHost, hosts: ["mithrandir"] });
  server = await listenActuator({ socket: join(dir, "actuator.sock"), peerOf: () => Promise.resolve(peer) }, handler);
  client = createActuatorClient({ socket: join(dir, "actuator.sock") });
}

beforeEach(async () => {
  clock = testClock();
  ({ store, cleanup } = await tempStore(clock));
  world = seed000World();
  tokens = createTokenService({ clock, secret: SECRET, nonces: createNonceCache({ clock }) });
  dir = await mkdtemp(join(tmpdir(), "fw-actuator-"));
  executor = recordingExecutor((c) => {
    if (c.kind === "argv" && c.argv[0] === "kill") {
      world.ports.delete("9003");
      world.units.set("transcription-palantir.service", { mainPid: "4242", activeState: "active", subState: "running", nRestarts: 486 });
    }
  });
  reads = [];
  peer = ROOT_PEER;
});
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await cleanup();
  await rm(dir, { recursive: true, force: true });
});

/** The daemon side: a request, a second person's approval, the grant id the daemon would hand over. */
async function grantFor(claims: TokenClaims = kill): Promise<string> {
  const guard = createGuard({ clock, store, tokens, probes: fakeProbes(world), config: daemonConfig });
  const d = await guard.authorize({ token: tokens.issueToken(claims, 900_000), requester: { user: "U_ALICE", groups: [], channel: "C_OPS" } });
  if (d.kind !== "needs_approval") throw new Error(`expected needs_approval, got ${d.kind}`);
  const a = await guard.approve({ approvalId: d.approvalId, requester: { user: "U_BOB", groups: [], channel: "C_OPS" } });
  if (a.kind !== "allowed") throw new Error(`expected allowed, got ${a.kind}`);
  return a.grant;
}

const audit = async (action: string) => (await store.listAudit({ action })).map((e) => e.details);

/** A raw request line, as any process in the group could write it. */
function rawRequest(line: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const c = connect(join(dir, "actuator.sock"));
    let buf = "";
    c.on("data", (b: Buffer) => { buf += b.toString(); });
    c.on("end", () => resolve(JSON.parse(buf) as unknown));
    c.on("error", reject);
    c.write(`${line}\n`);
  });
}

describe("the actuator runs a grant", () => {
  test("a granted kill runs through the actuator: its own precondition, the argv, the result check, audited", async () => {
    await start();
    const grant = await grantFor();
    const o = await client.execute(grant);
    expect(o).toMatchObject({ status: "done", plan: { action: "kill_port_owner", requestedBy: "U_ALICE", approvedBy: "U_BOB", command: { argv: ["kill", "-TERM", "1573680"] } } });
    expect(executor.calls).toEqual([{ kind: "argv", host: "mithrandir", argv: ["kill", "-TERM", "1573680"] }]);
    expect(await audit("actuator.execute")).toEqual([expect.objectContaining({ grant, peerUid: 0, peerPid: 4242 })]);
    expect(await audit("action.done")).toHaveLength(1);
  });

  test("the socket file is mode 0660", async () => {
    await start();
    const { stat } = await import("node:fs/promises");
    expect((await stat(join(dir, "actuator.sock"))).mode & 0o777).toBe(0o660);
  });
});

describe("the actuator refuses, runs nothing, and audits", () => {
  test("a request without a grant", async () => {
    await start();
    expect(await rawRequest(JSON.stringify({ v: 1, op: "execute" }))).toMatchObject({ kind: "refused", reason: "malformed" });
    expect(executor.calls).toEqual([]);
    expect(await audit("actuator.refused")).toEqual([expect.objectContaining({ reason: "malformed", peerUid: 0 })]);
  });

  test("a grant id the guard never issued", async () => {
    await start();
    expect(await client.execute("0123456789abcdef0123")).toEqual({ status: "refused", reason: "unknown_grant" });
    expect(executor.calls).toEqual([]);
    expect(await audit("action.refused")).toEqual([expect.objectContaining({ reason: "unknown_grant", detail: expect.stringMatching(/no such grant/) })]);
  });

  test("an altered grant: the stored plan changed without the secret", async () => {
    await start();
    const grant = await grantFor();
    const stored = (await store.getRecord(GRANT_NS, grant)) as { body: string; mac: string };
    // Someone who can write the store points the grant at another PID; the seal no longer fits.
    await store.putRecord(GRANT_NS, grant, { body: stored.body.replace("1573680", "1573681"), mac: stored.mac }, 300_000);
    expect(await client.execute(grant)).toEqual({ status: "refused", reason: "unknown_grant" });
    expect(executor.calls).toEqual([]);
    expect(await audit("action.refused")).toEqual([expect.objectContaining({ reason: "unknown_grant", detail: expect.stringMatching(/seal does not verify/) })]);
  });

  test("a replayed grant: the second use finds it taken", async () => {
    await start();
    const grant = await grantFor();
    expect((await client.execute(grant)).status).toBe("done");
    expect(await client.execute(grant)).toEqual({ status: "refused", reason: "unknown_grant" });
    expect(executor.calls).toHaveLength(1);
    expect(await audit("action.refused")).toEqual([expect.objectContaining({ reason: "unknown_grant", detail: expect.stringMatching(/no such grant/) })]);
  });

  test("an expired grant", async () => {
    await start();
    const grant = await grantFor();
    clock.advance(5 * 60_000 + 1);
    expect(await client.execute(grant)).toEqual({ status: "refused", reason: "unknown_grant" });
    expect(executor.calls).toEqual([]);
    expect(await audit("action.refused")).toEqual([expect.objectContaining({ reason: "unknown_grant", detail: expect.stringMatching(/expired/) })]);
  });

  test("a target outside the actuator's own policy, though the daemon's allowed it", async () => {
    await start();
    world.units.set("nginx.service", { mainPid: "0", activeState: "failed", subState: "failed", nRestarts: 3 });
    const grant = await grantFor({ incident: "fw-1a2b3c4d", action: "restart_unit", params: { unit: "nginx.service" }, host: "mithrandir" });
    expect(await client.execute(grant)).toEqual({ status: "refused", reason: "unknown_grant" });
    expect(executor.calls).toEqual([]);
    expect(await audit("action.refused")).toEqual([expect.objectContaining({ action: "restart_unit", detail: expect.stringMatching(/target_not_allowed/) })]);
  });

  test("a PID that no longer holds the port: the actuator's own probe says so", async () => {
    await start();
    const grant = await grantFor();
    world.ports.set("9003", { pid: "2000001", command: "node dist/index.js", inUnit: true, otherHolders: [], user: "root" });
    expect(await client.execute(grant)).toMatchObject({ status: "world_changed", precondition: { ok: false, observed: expect.stringMatching(/now held by PID 2000001/) } });
    expect(executor.calls).toEqual([]);
    expect(await audit("action.world_changed")).toEqual([expect.objectContaining({ result: "not_run" })]);
  });

  test("a peer that is not root, the socket's owner, nor in its group", async () => {
    await start();
    const grant = await grantFor();
    peer = { pid: 31337, uid: 4242, gids: [4242] };
    await expect(client.execute(grant)).rejects.toMatchObject({ reason: "peer_not_allowed" });
    expect(executor.calls).toEqual([]);
    expect(await audit("actuator.refused")).toEqual([expect.objectContaining({ reason: "peer_not_allowed", peerUid: 4242, peerPid: 31337 })]);
    // The grant is still there for an allowed peer.
    expect(await store.getRecord(GRANT_NS, grant)).toBeDefined();
  });

  test("a peer the actuator cannot identify", async () => {
    await start();
    peer = undefined;
    await expect(client.execute(await grantFor())).rejects.toBeInstanceOf(ActuatorError);
    expect(executor.calls).toEqual([]);
    expect(await audit("actuator.refused")).toEqual([expect.objectContaining({ reason: "peer_unknown" })]);
  });

  test("a grant for a host this actuator does not serve stays in the store, untaken", async () => {
    await start();
    const grant = await grantFor({ ...kill, host: "elsewhere" });
    await expect(client.execute(grant)).rejects.toMatchObject({ reason: "host_not_served" });
    expect(executor.calls).toEqual([]);
    expect(await store.getRecord(GRANT_NS, grant)).toBeDefined();
    expect(await audit("actuator.refused")).toEqual([expect.objectContaining({ reason: "host_not_served" })]);
  });

  test("a read that is not a port-owner question", async () => {
    await start();
    await expect(client.read(["cat", "/etc/shadow"])).rejects.toMatchObject({ reason: "not_allowed_read" });
    await expect(client.read(["ss", "-ltnpH", "sport = :9003", "-K"])).rejects.toMatchObject({ reason: "not_allowed_read" });
    expect(reads).toEqual([]);
    expect(await audit("actuator.refused")).toHaveLength(2);
    // The port-owner question itself is answered.
    expect((await client.read(["ss", "-ltnpH", "sport = :9003"])).stdout).toMatch(/pid=1573680/);
    expect(reads).toEqual([["ss", "-ltnpH", "sport = :9003"]]);
  });
});
