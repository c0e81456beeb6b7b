// Least privilege for real: `act` runs as unprivileged users, `firewatch actuator` as root; seed 000 is fixed all the same.
import { chmod, chown, mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { LocalHost } from "../../../src/hosts/index.js";
import { runProbe, type ContainerState } from "../../../src/probes/index.js";
import { RedisStore } from "../../../src/store/index.js";
import { systemClock } from "../../../src/time.js";
import { dockerdAvailability, startDockerd, type DockerdInstance } from "../../harness/dockerd.js";
import { freePort, makeTempDir, requireProgram } from "../../harness/program.js";
import { redisAvailability, startRedis, type RedisInstance } from "../../harness/redis.js";
import { startDetachedListener, until, type Listener } from "../probes/helpers.js";
import { alive, DAEMON, firewatch, NOBODY, rootAvailability, SECRET, seed000Incident, localActuatorYaml, startActuator, stopActuator, type Running } from "./act-helpers.js";

const missing = [dockerdAvailability(), redisAvailability(), requireProgram("setpriv", "util-linux"), requireProgram("ss", "iproute2"), rootAvailability()].find((a) => a.missing !== undefined)?.missing;
/** nobody's primary group: the actuator socket's group in this test (firewatch's group in a real deployment). */
const NOGROUP = 65534;

describe.skipIf(missing !== undefined)(`act as unprivileged users through a root actuator ${missing ?? ""}`, () => {
  let dockerd: DockerdInstance;
  let redis: RedisInstance;
  let tmp: { path: string; remove(): Promise<void> };
  let cfg: string;
  let socket: string;
  let store: RedisStore;
  let actuator: Running;
  let rogue: Listener | undefined;
  const host = new LocalHost();
  const env = () => ({ FIREWATCH_GUARD__SECRET: SECRET });

  beforeAll(async () => {
    [dockerd, redis] = await Promise.all([startDockerd(), startRedis()]);
    // firewatch reads Docker's logs, so its user is in the docker socket's group (docs/operations.md); here, nogroup.
    await chown(dockerd.socketPath, 0, NOGROUP);
    await chmod(dockerd.socketPath, 0o660);
    await chmod(dirname(dockerd.socketPath), 0o711);
    tmp = await makeTempDir("actuator-local");
    await chmod(tmp.path, 0o755);
    const conf = join(tmp.path, "conf");
    const run = join(tmp.path, "run");
    await mkdir(conf, { mode: 0o755 });
    await mkdir(run, { mode: 0o755 });
    cfg = join(conf, "firewatch.yaml");
    socket = join(run, "actuator.sock");
    await writeFile(cfg, [
      "hosts:",
      "  local: { kind: local }",
      "sources:",
      "  - kind: docker",
      `    socketPath: ${dockerd.socketPath}`,
      "    containers: [loop-main]",
      ...localActuatorYaml(redis.url, socket),
      "  actions:",
      "    kill_port_owner:",
      `      users: ["${NOBODY.name}", "${DAEMON.name}"]`,
      "      channels: [cli]",
      "      hosts: [local]",
      '      targets: ["loop-*"]',
      '      ports: ["1024-65535"]',
      // The rogue is root's: stopping another user's process is said in so many words.
      "      processUsers: [root]",
      "",
    ].join("\n"), { mode: 0o644 });
    store = await RedisStore.connect(redis.url, { clock: systemClock }, { namespace: "firewatch" });
    actuator = await startActuator(cfg, socket, env());
  }, 180_000);

  afterAll(async () => {
    rogue?.stop();
    await stopActuator(actuator);
    await store?.close();
    await host.close();
    await Promise.all([dockerd?.stop(), redis?.cleanup()]);
    await tmp?.remove();
  });

  test("seed 000: nobody's probe names root's rogue through the actuator, a second unprivileged person approves, the actuator kills it, the container comes up", async () => {
    const port = await freePort();
    rogue = await startDetachedListener(host, port, tmp.path);
    const inc = seed000Incident({ fingerprint: "ac70a7000000000000000000000000aa", host: "local", container: "loop-main", port, at: Date.now() - 60_000 });
    await store.upsert(inc);
    await dockerd.docker(["run", "-d", "--name", "loop-main", "--network", "host", "--restart", "always", dockerd.image, "nc", "-l", "-p", String(port)]);
    expect(await until(async () => {
      const r = await runProbe("container_state", { container: "loop-main" }, host, { dockerHost: dockerd.host });
      return r.ok && (r.evidence as ContainerState).restartCount >= 2;
    }, 60_000)).toBe(true);

    // `firewatch doctor` as the daemon would run: the kill runs through the actuator.
    const doc = await firewatch(["doctor", "--config", cfg], { uid: NOBODY.uid, env: env() });
    expect(doc.stdout, doc.stderr).toMatch(/✅ actuator +answers as uid 0/);
    expect(doc.stdout).toMatch(/✅ kill_port_owner +through the actuator/);
    expect(doc.code).toBe(0);

    // No --param pid: the PID comes from nobody's own probe, whose `ss -ltnp` the actuator answered.
    const req = await firewatch(["act", "kill_port_owner", "--incident", inc.id, "--yes", "--no-wait", "--config", cfg], { uid: NOBODY.uid, env: env() });
    expect(req.stdout, req.stderr).toMatch(new RegExp(`pid=${rogue.pid} \\(probe port_owner now: busybox nc -l -p ${port}\\)`));
    expect(req.code, req.stderr).toBe(3);
    const approvalId = /approval (\S+) requested by cli:nobody/.exec(req.stdout)?.[1] ?? "";

    // Outside the socket's group the actuator cannot be reached: the approval is refused and stays pending.
    const outsiderApproves = await firewatch(["act", "approve", approvalId, "--yes", "--config", cfg], { uid: DAEMON.uid, env: env() });
    expect(outsiderApproves.stdout, outsiderApproves.stderr).toMatch(/refused \(executor_unavailable\): cannot reach the actuator at .*EACCES/);
    expect(alive(rogue.pid)).toBe(true);

    const approver = await firewatch(["act", "approve", approvalId, "--yes", "--config", cfg], { uid: DAEMON.uid, groups: [NOGROUP], env: env() });
    expect(approver.stdout, approver.stderr).toMatch(new RegExp(`done: port ${port} is free of PID ${rogue.pid}; container loop-main is running`));
    expect(approver.code).toBe(0);
    expect(alive(rogue.pid)).toBe(false);
    expect(await runProbe("container_state", { container: "loop-main" }, host, { dockerHost: dockerd.host })).toMatchObject({ ok: true, evidence: { running: true, restarting: false } });

    // The actuator audited the request with the peer it saw, and its guard the run.
    const executed = await store.listAudit({ action: "actuator.execute" });
    expect(executed.map((e) => [e.actor, e.details["peerUid"]])).toEqual([["uid:1", 1]]);
    const done = await store.listAudit({ target: inc.id, action: "action.done" });
    expect(done.map((e) => [e.actor, e.details["command"]])).toEqual([[DAEMON.name, JSON.stringify(["kill", "-TERM", String(rogue.pid)])]]);
    await dockerd.docker(["rm", "-f", "loop-main"]);
  }, 150_000);
});
