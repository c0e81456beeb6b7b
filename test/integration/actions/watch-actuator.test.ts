// `firewatch watch` itself as an unprivileged user beside a root actuator: the incident's own probes name root's rogue.
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { LocalHost } from "../../../src/hosts/index.js";
import { RedisStore, type StoredIncident } from "../../../src/store/index.js";
import { systemClock } from "../../../src/time.js";
import { freePort, makeTempDir, requireProgram } from "../../harness/program.js";
import { redisAvailability, startRedis, type RedisInstance } from "../../harness/redis.js";
import { startDetachedListener, until, type Listener } from "../probes/helpers.js";
import { localActuatorYaml, NOBODY, rootAvailability, SECRET, startActuator, startFirewatch, stopActuator, type Running } from "./act-helpers.js";

const missing = [redisAvailability(), requireProgram("setpriv", "util-linux"), requireProgram("ss", "iproute2"), requireProgram("busybox", "busybox-static"), rootAvailability()].find((a) => a.missing !== undefined)?.missing;

/** Syslog's time stamp ("Dec  7 12:30:01"), as a service's log file carries it. */
const syslogTime = (t: Date) => `${t.toLocaleString("en-US", { month: "short", timeZone: "UTC" })} ${String(t.getUTCDate()).padStart(2, " ")} ${t.toISOString().slice(11, 19)}`;

describe.skipIf(missing !== undefined)(`watch as nobody, probing through a root actuator ${missing ?? ""}`, () => {
  let redis: RedisInstance;
  let tmp: { path: string; remove(): Promise<void> };
  let store: RedisStore;
  let actuator: Running | undefined;
  let watch: Running | undefined;
  let rogue: Listener | undefined;
  const host = new LocalHost();
  const env = { FIREWATCH_GUARD__SECRET: SECRET };

  beforeAll(async () => {
    redis = await startRedis();
    tmp = await makeTempDir("watch-actuator");
    await chmod(tmp.path, 0o755);
    store = await RedisStore.connect(redis.url, { clock: systemClock }, { namespace: "firewatch" });
  }, 60_000);

  afterAll(async () => {
    rogue?.stop();
    watch?.child.kill("SIGTERM");
    await watch?.done();
    await stopActuator(actuator);
    await store?.close();
    await host.close();
    await redis?.cleanup();
    await tmp?.remove();
  });

  test("seed 000: the daemon's port_owner probe, run as nobody, names root's rogue PID through the actuator", async () => {
    const port = await freePort();
    rogue = await startDetachedListener(host, port, tmp.path);
    const run = join(tmp.path, "run");
    await mkdir(run, { mode: 0o755 });
    const socket = join(run, "actuator.sock");
    // The service's log: three bind failures within a minute, a crash loop as eaddrinuse_loop counts it.
    const log = join(tmp.path, "palantir.log");
    const now = Date.now();
    await writeFile(log, [40, 20, 0].map((s) => `${syslogTime(new Date(now - s * 1000))} mithrandir palantir[${4000 + s}]: Error: listen EADDRINUSE: address already in use :::${port}\n`).join(""), { mode: 0o644 });
    const cfg = join(tmp.path, "firewatch.yaml");
    await writeFile(cfg, [
      "hosts:",
      "  local: { kind: local }",
      "sources:",
      "  - kind: file",
      `    paths: [${log}]`,
      "    startAt: beginning",
      "health: { port: 0 }",
      ...localActuatorYaml(redis.url, socket),
      "",
    ].join("\n"), { mode: 0o644 });
    actuator = await startActuator(cfg, socket, env);
    // nobody: uid and gid 65534 (nogroup, the socket's group), no capabilities; its own `ss -ltnp` shows no process.
    watch = startFirewatch(["watch", "--config", cfg], { uid: NOBODY.uid, env });
    let found: StoredIncident | undefined;
    const named = await until(async () => {
      found = (await store.list()).find((s) => s.incident.findings.some((f) => f.rule === "eaddrinuse_loop"));
      return (found?.probes ?? []).some((p) => p.probe === "port_owner" && p.ok);
    }, 60_000);
    const probe = found?.probes?.find((p) => p.probe === "port_owner");
    expect(named, `no port_owner probe result: ${JSON.stringify(found?.probes)}`).toBe(true);
    expect(probe?.data, probe?.summary).toMatchObject({ listening: true, pid: rogue.pid, command: `busybox nc -l -p ${port}`, user: "root" });
  }, 120_000);
});
