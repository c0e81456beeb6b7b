// `firewatch act` over a real sshd: probes and the kill run as argv over SSH; seed 000 with Docker fixed remotely.
import { access, chmod, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createHostExecutor } from "../../../src/actions/index.js";
import { LocalHost, SshHost } from "../../../src/hosts/index.js";
import { runProbe, type ContainerState } from "../../../src/probes/index.js";
import { RedisStore } from "../../../src/store/index.js";
import { systemClock } from "../../../src/time.js";
import { dockerdAvailability, startDockerd, type DockerdInstance } from "../../harness/dockerd.js";
import { freePort, makeTempDir, requireProgram } from "../../harness/program.js";
import { redisAvailability, startRedis, type RedisInstance } from "../../harness/redis.js";
import { sshdAvailability, startSshd, type SshdInstance } from "../../harness/sshd.js";
import { startDetachedListener, until, type Listener } from "../probes/helpers.js";
import { alive, firewatch, NOBODY, rootAvailability, SECRET, seed000Incident, startFirewatch } from "./act-helpers.js";

const missing = [dockerdAvailability(), redisAvailability(), sshdAvailability(), requireProgram("setpriv", "util-linux"), rootAvailability()].find((a) => a.missing !== undefined)?.missing;

describe.skipIf(missing !== undefined)(`firewatch act over a real sshd ${missing ?? ""}`, () => {
  let dockerd: DockerdInstance;
  let redis: RedisInstance;
  let sshd: SshdInstance;
  let tmp: { path: string; remove(): Promise<void> };
  let cfg: string;
  let store: RedisStore;
  const local = new LocalHost();
  const rogues: Listener[] = [];
  const env = { FIREWATCH_GUARD__SECRET: SECRET };

  beforeAll(async () => {
    [dockerd, redis, sshd] = await Promise.all([startDockerd(), startRedis(), startSshd()]);
    tmp = await makeTempDir("act-ssh");
    const dir = join(tmp.path, "conf");
    await mkdir(dir);
    await chmod(tmp.path, 0o755);
    await chmod(dir, 0o755);
    const key = join(tmp.path, "id_ed25519");
    await writeFile(key, sshd.privateKey, { mode: 0o600 });
    cfg = join(dir, "firewatch.yaml");
    await writeFile(cfg, [
      "hosts:",
      "  box:",
      "    kind: ssh",
      `    host: ${sshd.host}`,
      `    port: ${sshd.port}`,
      `    user: ${sshd.user}`,
      `    privateKeyFile: ${key}`,
      `    fingerprints: ["${sshd.hostKeyFingerprint}"]`,
      "sources:",
      "  - kind: docker",
      "    host: box",
      `    socketPath: ${dockerd.socketPath}`,
      "    containers: [remote-loop]",
      "store:",
      `  url: ${redis.url}`,
      "guard:",
      "  actions:",
      "    kill_port_owner:",
      `      users: ["cli:${sshd.user}", "${NOBODY.name}"]`,
      "      channels: [cli]",
      "      hosts: [box]",
      '      targets: ["remote-*"]',
      '      ports: ["1024-65535"]',
      "",
    ].join("\n"), { mode: 0o644 });
    store = await RedisStore.connect(redis.url, { clock: systemClock }, { namespace: "firewatch" });
  }, 180_000);

  afterAll(async () => {
    for (const r of rogues) r.stop();
    await store?.close();
    await local.close();
    await Promise.all([dockerd?.stop(), redis?.cleanup(), sshd?.stop()]);
    await tmp?.remove();
  });

  test("seed 000 on host box: the probe over SSH names the rogue, a second user approves, kill over SSH, container up, resolved", async () => {
    const port = await freePort();
    const rogue = await startDetachedListener(local, port, tmp.path);
    rogues.push(rogue);
    const inc = seed000Incident({ fingerprint: "55aa0000000000000000000000000001", host: "box", container: "remote-loop", port, at: Date.now() - 60_000 });
    await store.upsert(inc);
    await dockerd.docker(["run", "-d", "--name", "remote-loop", "--network", "host", "--restart", "always", dockerd.image, "nc", "-l", "-p", String(port)]);
    expect(await until(async () => {
      const r = await runProbe("container_state", { container: "remote-loop" }, local, { dockerHost: dockerd.host });
      return r.ok && (r.evidence as ContainerState).restartCount >= 2;
    }, 60_000)).toBe(true);

    const requester = startFirewatch(["act", "kill_port_owner", "--incident", inc.id, "--yes", "--config", cfg], { env });
    const [, approvalId = ""] = await requester.lineMatching(/^approval (\S+) requested by cli:/);
    const approver = await firewatch(["act", "approve", approvalId, "--yes", "--config", cfg], { uid: NOBODY.uid, env });
    expect(approver.code, approver.stderr).toBe(0);
    const done = await requester.done();
    expect(done.stdout, done.stderr).toContain("  host      box\n");
    expect(done.stdout).toMatch(new RegExp(`pid=${rogue.pid} \\(probe port_owner now: busybox nc -l -p ${port}\\)`));
    expect(done.stdout).toMatch(new RegExp(`done: port ${port} is free of PID ${rogue.pid}; container remote-loop is running, RestartCount \\d+ stable over 5 s`));
    expect(done.code).toBe(0);
    expect(alive(rogue.pid)).toBe(false);
    expect((await store.get(inc.id))?.status).toBe("resolved");
    const entries = (await store.listAudit({ target: inc.id })).filter((e) => e.action === "action.done");
    expect(entries).toHaveLength(1);
    expect(entries[0]?.details).toMatchObject({ host: "box", command: JSON.stringify(["kill", "-TERM", String(rogue.pid)]), approvedBy: NOBODY.name });
  }, 150_000);

  test("over SSH too, shell text from a finding is refused before anything reaches the remote shell", async () => {
    const port = await freePort();
    const rogue = await startDetachedListener(local, port, tmp.path);
    rogues.push(rogue);
    const canary = join(tmp.path, "ssh-canary");
    const base = seed000Incident({ fingerprint: "55aa0000000000000000000000000002", host: "box", container: "remote-x", port, at: Date.now() - 60_000 });
    const inc = { ...base, findings: base.findings.map((f) => (f.rule === "docker_restart_loop" ? { ...f, fields: { container: `remote-$(touch ${canary})` } } : f)) };
    await store.upsert(inc);
    const r = await firewatch(["act", "kill_port_owner", "--incident", inc.id, "--yes", "--config", cfg, "--param", `pid=${rogue.pid}`], { env });
    expect(r.stdout, r.stderr).toContain("refused (invalid_params): invalid parameters: container: not a container id or name");
    expect(r.code).toBe(1);
    expect(alive(rogue.pid)).toBe(true);
    await expect(access(canary)).rejects.toMatchObject({ code: "ENOENT" });
  }, 60_000);

  test("the executor over SshHost: argv is quoted for the remote shell, so $(...) and ; stay literal; exits come back", async () => {
    const box = new SshHost({ name: "box", host: sshd.host, port: sshd.port, user: sshd.user, privateKey: sshd.privateKey, hostKey: { fingerprints: [sshd.hostKeyFingerprint] } });
    try {
      const exec = createHostExecutor({ host: (n) => (n === "box" ? box : undefined), cleanFailedJobs: () => Promise.reject(new Error("no queue")) });
      const canary = join(tmp.path, "quoted-canary");
      const r = await exec({ kind: "argv", host: "box", argv: ["kill", "-TERM", `$(touch ${canary}); touch ${canary}`] });
      expect(r.ok).toBe(false);
      expect(r.detail).toMatch(/^kill on box ended with exit \d+: /);
      await expect(access(canary)).rejects.toMatchObject({ code: "ENOENT" });
      const port = await freePort();
      const rogue = await startDetachedListener(local, port, tmp.path);
      rogues.push(rogue);
      expect(await exec({ kind: "argv", host: "box", argv: ["kill", "-TERM", String(rogue.pid)] })).toEqual({ ok: true, detail: "kill on box: exit 0" });
      expect(await until(async () => !alive(rogue.pid), 10_000)).toBe(true);
    } finally {
      await box.close();
    }
  }, 60_000);
});
