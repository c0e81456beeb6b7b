// With guard.actuator set, the kit's grants for served hosts run in the actuator; the peer is read from ss and /proc.
import { connect, type Server } from "node:net";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import {
  actuatorHosts,
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

  /**
   * The actuator side on the test's socket (`at`, serving `served`): its own guard over the fake world, recording
   * what it runs; `own` is the config it reads (its allow-lists), `host` answers its privileged reads.
   */
  async function startActuator(kit: GuardKit, executor = recordingExecutor(), at = { socket: "a.sock", served: "mithrandir", own: config() }, host: Host = { name: "local", exec: () => Promise.reject(new Error("no")), spawn: () => Promise.reject(new Error("no")), close: () => Promise.resolve() }): Promise<void> {
    const cfg = { ...at.own, actuator: undefined };
    const guard = createGuard({ clock, store, tokens: kit.tokens, probes: fakeProbes(world), config: cfg });
    server = await listenActuator({ socket: join(dir, at.socket), peerOf: () => Promise.resolve({ pid: 1, uid: 0, gids: [0] }) }, createActuatorHandler({ guard, executor, tokens: kit.tokens, store, clock, config: cfg, host, hosts: [at.served] }));
  }

  async function grantFrom(kit: GuardKit, host = "mithrandir"): Promise<string> {
    const token = kit.tokens.issueToken({ incident: "fw-1a2b3c4d", action: "kill_port_owner", params: { pid: "1573680", port: "9003", unit: "transcription-palantir.service" }, host }, 60_000);
    const d = await kit.guard.authorize({ token, requester: { user: "U_ALICE", groups: [], channel: "C_OPS" } });
    if (d.kind !== "needs_approval") throw new Error(d.kind);
    const a = await kit.guard.approve({ approvalId: d.approvalId, requester: { user: "U_BOB", groups: [], channel: "C_OPS" } });
    if (a.kind !== "allowed") throw new Error(`${a.kind}: ${"detail" in a ? String(a.detail) : ""}`);
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

  describe("guard.actuator.remote: a host's own actuator, reached through the host's link", () => {
    // This machine's socket does not exist: anything sent there fails, so a success proves the route over the link.
    const remoteConfig = () => GuardConfigSchema.parse({
      secret: SECRET.toString("utf8"),
      actuator: { socket: join(dir, "here.sock"), remote: { web1: join(dir, "web1.sock") } },
      actions: { kill_port_owner: { users: ["U_ALICE", "U_BOB"], channels: ["C_OPS"], hosts: ["web1"], ports: [9003], targets: ["transcription-*"] } },
    });
    const web1 = { socket: "web1.sock", served: "web1", get own() { return remoteConfig(); } };

    /** web1 as a host whose link opens unix sockets (as SshHost does over SSH); records each path it opened. */
    function linkedHost(opened: string[]): Host {
      return {
        name: "web1", exec: () => Promise.reject(new Error("no commands in this test")), spawn: () => Promise.reject(new Error("no")), close: () => Promise.resolve(),
        openUnixSocket: (path) => {
          opened.push(path);
          return new Promise((resolve, reject) => {
            const c = connect(path);
            c.once("connect", () => resolve(c));
            c.once("error", reject);
          });
        },
      };
    }

    test("a grant for web1 runs in web1's actuator, reached through web1's link at the configured path", async () => {
      const opened: string[] = [];
      const kit = await createGuardKit({ config: remoteConfig(), store, clock, host: (n) => (n === "web1" ? linkedHost(opened) : undefined) });
      const theirs = recordingExecutor(() => world.ports.delete("9003"));
      await startActuator(kit, theirs, web1);
      world.units.set("transcription-palantir.service", { mainPid: "4242", activeState: "active", subState: "running", nRestarts: 486 });
      const mine = recordingExecutor();
      const o = await kit.guard.execute(await grantFrom(kit, "web1"), mine);
      expect(o.status).toBe("done");
      expect(mine.calls).toEqual([]);
      expect(theirs.calls).toEqual([{ kind: "argv", host: "web1", argv: ["kill", "-TERM", "1573680"] }]);
      // hello before the approval, execute after it: both through the link, never through this machine's socket.
      expect(opened).toEqual([join(dir, "web1.sock"), join(dir, "web1.sock")]);
    });

    test("a remote host whose link cannot open unix sockets: the approval is refused with why, nothing runs", async () => {
      const plain: Host = { name: "web1", exec: () => Promise.reject(new Error("no")), spawn: () => Promise.reject(new Error("no")), close: () => Promise.resolve() };
      const kit = await createGuardKit({ config: remoteConfig(), store, clock, host: (n) => (n === "web1" ? plain : undefined) });
      const theirs = recordingExecutor();
      await startActuator(kit, theirs, web1);
      await expect(grantFrom(kit, "web1")).rejects.toThrow(/refused: cannot reach the actuator at .*web1\.sock on web1 \(over SSH\): web1 is not a host firewatch reaches over SSH/);
      expect(theirs.calls).toEqual([]);
    });

    test("the port question of web1 goes to web1's actuator; other hosts keep their own rights", async () => {
      const opened: string[] = [];
      const answered: Host = { ...linkedHost(opened), exec: () => Promise.resolve({ code: 0, signal: null, stdout: "web1 itself\n", stderr: "", truncated: false, timedOut: false }) };
      const here: Host = { ...answered, name: "local" };
      const route = actuatorHosts(remoteConfig().actuator, (n) => (n === "web1" ? answered : n === "local" ? here : undefined));
      const reads: string[][] = [];
      // web1's actuator answers reads with its own host: a recognisable answer proves where the question went.
      const host: Host = { name: "web1", exec: (argv) => (reads.push([...argv]), Promise.resolve({ code: 0, signal: null, stdout: "from the actuator\n", stderr: "", truncated: false, timedOut: false })), spawn: () => Promise.reject(new Error("no")), close: () => Promise.resolve() };
      await startActuator(await createGuardKit({ config: remoteConfig(), store, clock, host: noHost }), recordingExecutor(), web1, host);
      expect((await route("web1")?.exec(["ss", "-ltnpH", "sport = :9003"]))?.stdout).toBe("from the actuator\n");
      expect((await route("web1")?.exec(["id", "-u"]))?.stdout).toBe("web1 itself\n");
      expect((await route("local")?.exec(["ss", "-ltnpH", "sport = :9003"]))?.stdout).toBe("web1 itself\n");
      expect(reads).toEqual([["ss", "-ltnpH", "sport = :9003"]]);
      expect(opened).toEqual([join(dir, "web1.sock")]);
    });

    test("a host is served by one actuator: listed in both hosts and remote is a config error", () => {
      const r = GuardConfigSchema.safeParse({ actuator: { hosts: ["web1"], remote: { web1: "/run/firewatch/actuator.sock" } } });
      expect(r.success).toBe(false);
      expect(r.error?.issues[0]).toMatchObject({ path: ["actuator", "remote"], message: expect.stringMatching(/either by the actuator at `socket`/) });
      expect(GuardConfigSchema.safeParse({ actuator: { remote: { web1: "relative.sock" } } }).success).toBe(false);
    });

    test("without `hosts`, the actuator at `socket` serves this machine, unless only remote ones are named", () => {
      expect(GuardConfigSchema.parse({ actuator: {} }).actuator?.hosts).toEqual(["local"]);
      expect(GuardConfigSchema.parse({ actuator: { remote: { web1: "/run/firewatch/actuator.sock" } } }).actuator?.hosts).toEqual([]);
      expect(GuardConfigSchema.parse({ actuator: { hosts: ["local"], remote: { web1: "/run/firewatch/actuator.sock" } } }).actuator?.hosts).toEqual(["local"]);
    });
  });
});
