// The actuator on a host reached over SSH: the daemon's side logs in as a user with no rights but the socket's group,
// and reaches root's `firewatch actuator` there through a unix-socket channel on its pinned SSH link.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmod, chown, mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { LocalHost } from "../../../src/hosts/index.js";
import { RedisStore } from "../../../src/store/index.js";
import { systemClock } from "../../../src/time.js";
import { dockerdAvailability, startDockerd, type DockerdInstance } from "../../harness/dockerd.js";
import { freePort, makeTempDir, requireProgram } from "../../harness/program.js";
import { redisAvailability, startRedis, type RedisInstance } from "../../harness/redis.js";
import { sshdAvailability, startSshd, type SshdInstance } from "../../harness/sshd.js";
import { startDetachedListener, type Listener } from "../probes/helpers.js";
import { alive, firewatch, NOBODY, rootAvailability, SECRET, seed000Incident, startActuator, stopActuator, type Running } from "./act-helpers.js";

const missing = [dockerdAvailability(), redisAvailability(), sshdAvailability(), requireProgram("setpriv", "util-linux"), requireProgram("ss", "iproute2"), requireProgram("useradd", "passwd"), rootAvailability()].find((a) => a.missing !== undefined)?.missing;
/** A throwaway login for the SSH link (removed after): its own group only; "*" is a password none can match. */
const USER = `fwact${randomBytes(3).toString("hex")}`;
const NOGROUP = 65534;

const idOf = (flag: "-u" | "-g", name: string): number => Number(spawnSync("id", [flag, name], { encoding: "utf8" }).stdout.trim());

describe.skipIf(missing !== undefined)(`the actuator of a host reached over SSH ${missing ?? ""}`, () => {
  let dockerd: DockerdInstance;
  let redis: RedisInstance;
  let sshd: SshdInstance;
  let tmp: { path: string; remove(): Promise<void> };
  let cfg: string;
  let socket: string;
  let store: RedisStore;
  let actuator: Running;
  let rogue: Listener | undefined;
  let uid = -1;
  let gid = -1;
  const local = new LocalHost();
  const env = { FIREWATCH_GUARD__SECRET: SECRET };

  beforeAll(async () => {
    const made = spawnSync("useradd", ["--system", "--shell", "/bin/sh", "--no-create-home", "--user-group", "--password", "*", USER], { encoding: "utf8" });
    if (made.status !== 0) throw new Error(`useradd ${USER}: ${made.stderr}`);
    [uid, gid] = [idOf("-u", USER), idOf("-g", USER)];
    [dockerd, redis, sshd] = await Promise.all([startDockerd(), startRedis(), startSshd({ user: USER })]);
    // The SSH user reads Docker as firewatch does (docs/operations.md): through the socket's group, here its own.
    await chown(dockerd.socketPath, 0, gid);
    await chmod(dockerd.socketPath, 0o660);
    await chmod(dirname(dockerd.socketPath), 0o711);
    tmp = await makeTempDir("actuator-ssh");
    await chmod(tmp.path, 0o755);
    const run = join(tmp.path, "run");
    await mkdir(run, { mode: 0o755 });
    socket = join(run, "actuator.sock");
    // The daemon side's key: readable by the second person's firewatch (nobody) too, for this test only.
    const key = join(tmp.path, "id_ed25519");
    await writeFile(key, sshd.privateKey, { mode: 0o644 });
    const actions = [
      "  actions:",
      "    kill_port_owner:",
      `      users: ["cli:root", "${NOBODY.name}"]`,
      "      channels: [cli]",
      "      hosts: [web1]",
      '      targets: ["remote-*"]',
      '      ports: ["1024-65535"]',
      "      processUsers: [root]",
    ];
    const docker = ["sources:", "  - kind: docker", "    host: web1", `    socketPath: ${dockerd.socketPath}`, "    containers: [remote-loop]"];
    // The daemon's firewatch.yaml: web1 over SSH, its actuator reached there; none on this machine.
    cfg = join(tmp.path, "firewatch.yaml");
    const web1 = { kind: "ssh", host: sshd.host, port: sshd.port, user: USER, privateKeyFile: key, fingerprints: [sshd.hostKeyFingerprint] };
    await writeFile(cfg, ["hosts:", `  web1: ${JSON.stringify(web1)}`, ...docker, "store:", `  url: ${redis.url}`, "guard:", "  actuator:", "    remote:", `      web1: ${socket}`, ...actions, ""].join("\n"), { mode: 0o644 });
    // web1's own firewatch.yaml (root's): it calls itself web1, and its socket's group is the SSH user's.
    const remote = join(tmp.path, "web1.yaml");
    await writeFile(remote, ["hosts:", "  web1: { kind: local }", ...docker, "store:", `  url: ${redis.url}`, "guard:", "  actuator:", `    socket: ${socket}`, `    group: ${USER}`, `    user: ${USER}`, "    hosts: [web1]", ...actions, ""].join("\n"), { mode: 0o600 });
    store = await RedisStore.connect(redis.url, { clock: systemClock }, { namespace: "firewatch" });
    actuator = await startActuator(remote, socket, env);
  }, 180_000);

  afterAll(async () => {
    rogue?.stop();
    await stopActuator(actuator);
    await store?.close();
    await local.close();
    await Promise.all([dockerd?.stop(), redis?.cleanup(), sshd?.stop()]);
    await tmp?.remove();
    spawnSync("userdel", [USER]);
  });

  test("seed 000 on web1: the probe names root's rogue through web1's actuator over SSH, two people approve, it kills it there", async () => {
    const port = await freePort();
    rogue = await startDetachedListener(local, port, tmp.path);
    const inc = seed000Incident({ fingerprint: "ac7055a000000000000000000000000a", host: "web1", container: "remote-loop", port, at: Date.now() - 60_000 });
    await store.upsert(inc);
    await dockerd.docker(["run", "-d", "--name", "remote-loop", "--network", "host", "--restart", "always", dockerd.image, "nc", "-l", "-p", String(port)]);

    const doc = await firewatch(["doctor", "--config", cfg, "--host", "web1"], { env });
    expect(doc.stdout, doc.stderr).toMatch(new RegExp(`user +${USER} \\(uid ${uid}\\)`));
    expect(doc.stdout).toMatch(/❌ signal +only its own processes/);
    expect(doc.stdout).toMatch(/✅ actuator +answers as uid 0/);
    expect(doc.stdout).toMatch(/✅ kill_port_owner +through the actuator/);
    expect(doc.code).toBe(0);

    // No --param pid: the PID comes from the probe, whose `ss -ltnp` web1's actuator answered (USER sees no process).
    const req = await firewatch(["act", "kill_port_owner", "--incident", inc.id, "--yes", "--no-wait", "--config", cfg], { env });
    expect(req.stdout, req.stderr).toMatch(new RegExp(`pid=${rogue.pid} \\(probe port_owner now: busybox nc -l -p ${port}\\)`));
    expect(req.code, req.stderr).toBe(3);
    const approvalId = /approval (\S+) requested by cli:root/.exec(req.stdout)?.[1] ?? "";

    // USER outside the socket's group: sshd cannot open it for them, the approval is refused and stays pending.
    await chown(socket, 0, NOGROUP);
    const down = await firewatch(["doctor", "--config", cfg, "--host", "web1"], { env });
    expect(down.stdout, down.stderr).toMatch(/❌ actuator +cannot reach the actuator at .* on web1 \(over SSH\): web1: sshd could not open the unix socket/);
    expect(down.stdout).toMatch(/❌ kill_port_owner +the actuator is not usable/);
    expect(down.code).toBe(1);
    const shut = await firewatch(["act", "approve", approvalId, "--yes", "--config", cfg], { uid: NOBODY.uid, env });
    expect(shut.stdout, shut.stderr).toMatch(/refused \(executor_unavailable\): cannot reach the actuator at .* on web1 \(over SSH\): web1: sshd could not open the unix socket/);
    // The file mode opened to all: the actuator itself names the SSH user as its peer and refuses them.
    await chmod(socket, 0o666);
    const peer = await firewatch(["act", "approve", approvalId, "--yes", "--config", cfg], { uid: NOBODY.uid, env });
    expect(peer.stdout, peer.stderr).toMatch(new RegExp(`refused \\(executor_unavailable\\): the actuator refused: uid ${uid} \\(PID \\d+\\) is neither root`));
    expect(alive(rogue.pid)).toBe(true);
    const refused = await store.listAudit({ action: "actuator.refused" });
    expect(refused.map((e) => [e.actor, e.details["reason"]])).toEqual([[`uid:${uid}`, "peer_not_allowed"]]);

    await chown(socket, 0, gid);
    await chmod(socket, 0o660);
    const approver = await firewatch(["act", "approve", approvalId, "--yes", "--config", cfg], { uid: NOBODY.uid, env });
    expect(approver.stdout, approver.stderr).toMatch(new RegExp(`done: port ${port} is free of PID ${rogue.pid}; container remote-loop is running`));
    expect(approver.code).toBe(0);
    expect(alive(rogue.pid)).toBe(false);

    // web1's actuator ran it for the SSH user's session (the peer it saw), and its guard audited the kill.
    const executed = await store.listAudit({ action: "actuator.execute" });
    expect(executed.map((e) => [e.actor, e.details["peerUid"]])).toEqual([[`uid:${uid}`, uid]]);
    const done = await store.listAudit({ target: inc.id, action: "action.done" });
    expect(done.map((e) => [e.actor, e.details["host"], e.details["command"]])).toEqual([[NOBODY.name, "web1", JSON.stringify(["kill", "-TERM", String(rogue.pid)])]]);
    await dockerd.docker(["rm", "-f", "remote-loop"]);
  }, 150_000);
});
