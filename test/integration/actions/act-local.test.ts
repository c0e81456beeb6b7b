// `firewatch act` on this host against real programs: a rogue process, a restart-looping container, redis, two users.
import { access, chmod, mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createGuardKit, GuardConfigSchema, type GuardKit } from "../../../src/actions/index.js";
import { LocalHost } from "../../../src/hosts/index.js";
import { runProbe, type ContainerState } from "../../../src/probes/index.js";
import { RedisStore } from "../../../src/store/index.js";
import { systemClock } from "../../../src/time.js";
import { dockerdAvailability, startDockerd, type DockerdInstance } from "../../harness/dockerd.js";
import { spawnTs } from "../../harness/node-child.js";
import { freePort, makeTempDir, requireProgram } from "../../harness/program.js";
import { redisAvailability, startRedis, type RedisInstance } from "../../harness/redis.js";
import { startDetachedListener, until, type Listener } from "../probes/helpers.js";
import { localActor } from "../../../src/cli/act.js";
import { alive, DAEMON, firewatch, NOBODY, REPO, rootAvailability, SECRET, seed000Incident, startFirewatch } from "./act-helpers.js";

const missing = [dockerdAvailability(), redisAvailability(), requireProgram("setpriv", "util-linux"), rootAvailability()].find((a) => a.missing !== undefined)?.missing;
/** The requester: this test's own user (root: setpriv needs it to run the second and third users). */
const ME = localActor();

describe.skipIf(missing !== undefined)(`firewatch act on the local host ${missing ?? ""}`, () => {
  let dockerd: DockerdInstance;
  let redis: RedisInstance;
  let tmp: { path: string; remove(): Promise<void> };
  let cfg: string;
  let store: RedisStore;
  const host = new LocalHost();
  const rogues: Listener[] = [];
  const env = () => ({ FIREWATCH_GUARD__SECRET: SECRET });
  let n = 0;

  beforeAll(async () => {
    [dockerd, redis] = await Promise.all([startDockerd(), startRedis()]);
    tmp = await makeTempDir("act-local");
    // The approver runs as another user: it must be able to read the config (not the secret: that comes from env).
    const dir = join(tmp.path, "conf");
    await mkdir(dir);
    await chmod(tmp.path, 0o755);
    await chmod(dir, 0o755);
    cfg = join(dir, "firewatch.yaml");
    await writeFile(cfg, [
      "hosts:",
      "  local: { kind: local }",
      "sources:",
      "  - kind: docker",
      `    socketPath: ${dockerd.socketPath}`,
      "    containers: [loop-main]",
      "store:",
      `  url: ${redis.url}`,
      "guard:",
      "  actions:",
      "    kill_port_owner:",
      `      users: ["${ME}", "${NOBODY.name}"]`,
      "      channels: [cli]",
      "      hosts: [local]",
      '      targets: ["loop-*", "palantir*", "*"]',
      '      ports: ["1024-65535"]',
      "      rateLimit: { max: 50, per: 1h }",
      "    restart_container:",
      `      users: ["${ME}", "${NOBODY.name}"]`,
      "      channels: [cli]",
      "      hosts: [local]",
      '      targets: ["ingester-*"]',
      "",
    ].join("\n"), { mode: 0o644 });
    store = await RedisStore.connect(redis.url, { clock: systemClock }, { namespace: "firewatch" });
    // A container that exists and runs but holds no port: the owner the refusal tests' ports are "meant for".
    await dockerd.docker(["run", "-d", "--name", "palantir-api", "--network", "host", dockerd.image, "sleep", "3600"]);
  }, 180_000);

  afterAll(async () => {
    for (const r of rogues) r.stop();
    await store?.close();
    await host.close();
    await Promise.all([dockerd?.stop(), redis?.cleanup()]);
    await tmp?.remove();
  });

  /** A rogue (detached, PPID 1) on a fresh port and the incident naming that port and a container. */
  async function scene(container: string, fields: Record<string, string> = {}): Promise<{ port: number; rogue: Listener; id: string }> {
    const port = await freePort();
    const rogue = await startDetachedListener(host, port, tmp.path);
    rogues.push(rogue);
    const fingerprint = `${(++n).toString(16).padStart(4, "0")}ac7e0000000000000000000000000000`.slice(0, 32);
    const inc = seed000Incident({ fingerprint, host: "local", container, port, at: Date.now() - 60_000 });
    const withFields = { ...inc, findings: inc.findings.map((f) => ({ ...f, fields: { ...f.fields, ...(f.rule === "docker_restart_loop" ? fields : {}) } })) };
    await store.upsert(withFields);
    return { port, rogue, id: inc.id };
  }

  async function loopingContainer(name: string, port: number): Promise<void> {
    await dockerd.docker(["run", "-d", "--name", name, "--network", "host", "--restart", "always", dockerd.image, "nc", "-l", "-p", String(port)]);
    const looping = await until(async () => {
      const r = await runProbe("container_state", { container: name }, host, { dockerHost: dockerd.host });
      return r.ok && (r.evidence as ContainerState).restartCount >= 2;
    }, 60_000);
    expect(looping).toBe(true);
  }

  const audit = async (id: string) => (await store.listAudit({ target: id })).filter((e) => e.action.startsWith("action.")).map((e) => [e.actor, e.action, e.details["reason"] ?? e.details["result"]]);

  test("seed 000 with Docker: root requests, nobody approves, the rogue dies, the container comes up, the incident resolves", async () => {
    const { port, rogue, id } = await scene("loop-main");
    await loopingContainer("loop-main", port);
    const requester = startFirewatch(["act", "kill_port_owner", "--incident", id, "--yes", "--config", cfg], { env: env() });
    const [, approvalId = ""] = await requester.lineMatching(new RegExp(`^approval (\\S+) requested by ${ME}`));
    const approver = await firewatch(["act", "approve", approvalId, "--yes", "--config", cfg], { uid: NOBODY.uid, env: env() });
    expect(approver.stdout, approver.stderr).toContain(`approved by ${NOBODY.name}; the requester's waiting firewatch runs it`);
    expect(approver.code).toBe(0);
    const done = await requester.done();
    expect(done.stdout, done.stderr).toMatch(new RegExp(`pid=${rogue.pid} \\(probe port_owner now: busybox nc -l -p ${port}\\)`));
    expect(done.stdout).toMatch(new RegExp(`done: port ${port} is free of PID ${rogue.pid}; container loop-main is running, RestartCount \\d+ stable over 5 s`));
    expect(done.stdout).toContain(`${id} resolved`);
    expect(done.code).toBe(0);
    expect(alive(rogue.pid)).toBe(false);
    const state = await runProbe("container_state", { container: "loop-main" }, host, { dockerHost: dockerd.host });
    expect(state).toMatchObject({ ok: true, evidence: { running: true, restarting: false } });
    expect((await store.get(id))?.status).toBe("resolved");
    expect(await audit(id)).toEqual([
      [ME, "action.approval_requested", "needs_approval"],
      [NOBODY.name, "action.allowed", "allowed"],
      [NOBODY.name, "action.done", "done"],
    ]);
    const listed = await firewatch(["audit", "--incident", id, "--config", cfg], { env: env() });
    expect(listed.stdout).toMatch(new RegExp(`cli:nobody  done  ${id}  kill_port_owner; on local; \`kill -TERM ${rogue.pid}\`; approved by cli:nobody; postcondition: port ${port} is free`));
    await dockerd.docker(["rm", "-f", "loop-main"]);
  }, 150_000);

  test("nobody requests without waiting; root approves, and the approver's firewatch runs it to the end", async () => {
    const { port, rogue, id } = await scene("loop-second");
    await loopingContainer("loop-second", port);
    // nobody's probes cannot see root's processes, so nobody names the PID; the guard checks it all the same.
    const req = await firewatch(["act", "kill_port_owner", "--incident", id, "--yes", "--no-wait", "--config", cfg, "--param", `pid=${rogue.pid}`], { uid: NOBODY.uid, env: env() });
    expect(req.code, req.stderr).toBe(3);
    const approvalId = /approval (\S+) requested by cli:nobody/.exec(req.stdout)?.[1] ?? "";
    const approver = await firewatch(["act", "approve", approvalId, "--yes", "--config", cfg], { env: env() });
    expect(approver.stdout, approver.stderr).toContain(`approved by ${ME}; the requester is not waiting, so running it here`);
    expect(approver.stdout).toMatch(new RegExp(`done: port ${port} is free of PID ${rogue.pid}; container loop-second is running`));
    expect(approver.code).toBe(0);
    expect(alive(rogue.pid)).toBe(false);
    expect((await store.get(id))?.status).toBe("resolved");
    await dockerd.docker(["rm", "-f", "loop-second"]);
  }, 150_000);

  test("seed 001 shape: a container that died is restarted by restart_container with two users, and comes up", async () => {
    // Its first run fails (as an OOM-killed ingester would); a restart finds the marker and stays up.
    await dockerd.docker(["run", "-d", "--name", "ingester-1", "--network", "host", dockerd.image, "sh", "-c", "test -f /tmp/ok || { touch /tmp/ok; exit 137; }; exec sleep 3600"]);
    expect(await until(async () => {
      const r = await runProbe("container_state", { container: "ingester-1" }, host, { dockerHost: dockerd.host });
      return r.ok && !(r.evidence as ContainerState).running;
    }, 30_000)).toBe(true);
    const fingerprint = "0e0e0000000000000000000000000001";
    const base = seed000Incident({ fingerprint, host: "local", container: "ingester-1", port: 1, at: Date.now() - 60_000 });
    const inc = { ...base, title: "Restart loop: container ingester-1 (exit code 137)", findings: base.findings.filter((f) => f.rule === "docker_restart_loop") };
    await store.upsert(inc);
    const requester = startFirewatch(["act", "restart_container", "--incident", inc.id, "--yes", "--config", cfg], { env: env() });
    const [, approvalId = ""] = await requester.lineMatching(/^approval (\S+) requested/);
    const approver = await firewatch(["act", "approve", approvalId, "--yes", "--config", cfg], { uid: NOBODY.uid, env: env() });
    expect(approver.code, approver.stderr).toBe(0);
    const done = await requester.done();
    expect(done.stdout, done.stderr).toContain("command   docker restart ingester-1");
    expect(done.stdout).toMatch(/now +container ingester-1 is stopped, RestartCount 0, exit 137/);
    expect(done.stdout).toMatch(/done: container ingester-1 is running, RestartCount \d+/);
    expect(done.code).toBe(0);
    expect((await store.get(inc.id))?.status).toBe("resolved");
    const state = await runProbe("container_state", { container: "ingester-1" }, host, { dockerHost: dockerd.host });
    expect(state).toMatchObject({ ok: true, evidence: { running: true } });
    await dockerd.docker(["rm", "-f", "ingester-1"]);
  }, 90_000);

  test("two-person rule: the requester cannot approve, a user not on the list cannot either; the rogue lives on", async () => {
    const { rogue, id } = await scene("palantir-api");
    const dry = await firewatch(["act", "kill_port_owner", "--incident", id, "--dry-run", "--config", cfg, "--param", `pid=${rogue.pid}`], { env: env() });
    expect(dry.stdout, dry.stderr).toMatch(new RegExp(`command +kill -TERM ${rogue.pid} \\(then kill -KILL ${rogue.pid} after 5 s`));
    expect(dry.stdout, dry.stderr).toContain("dry run: nothing ran. Precondition holds");
    expect(dry.code).toBe(0);
    const req = await firewatch(["act", "kill_port_owner", "--incident", id, "--yes", "--no-wait", "--config", cfg, "--param", `pid=${rogue.pid}`], { env: env() });
    expect(req.code, req.stderr).toBe(3);
    const approvalId = /approval (\S+) requested/.exec(req.stdout)?.[1] ?? "";
    const self = await firewatch(["act", "approve", approvalId, "--yes", "--config", cfg], { env: env() });
    expect(self.stdout).toContain("refused (same_person)");
    expect(self.code).toBe(1);
    const stranger = await firewatch(["act", "approve", approvalId, "--yes", "--config", cfg], { uid: DAEMON.uid, env: env() });
    expect(stranger.stdout).toContain("refused (user_not_allowed)");
    expect(stranger.code).toBe(1);
    // daemon's probes cannot see root's process; it names the PID itself (validated like any other value).
    const request = await firewatch(["act", "kill_port_owner", "--incident", id, "--yes", "--config", cfg, "--param", `pid=${rogue.pid}`], { uid: DAEMON.uid, env: env() });
    expect(request.stdout).toContain("refused (user_not_allowed)");
    expect(alive(rogue.pid)).toBe(true);
    expect((await audit(id)).filter(([, a]) => a === "action.refused")).toEqual([
      [ME, "action.refused", "same_person"],
      [DAEMON.name, "action.refused", "user_not_allowed"],
      [DAEMON.name, "action.refused", "user_not_allowed"],
    ]);
  }, 60_000);

  test("the PID changed between request and approval: nothing is killed, the new holder lives on", async () => {
    const { port, rogue, id } = await scene("palantir-api");
    const requester = startFirewatch(["act", "kill_port_owner", "--incident", id, "--yes", "--config", cfg, "--param", "container=palantir-api", "--param", `pid=${rogue.pid}`], { env: env() });
    const [, approvalId = ""] = await requester.lineMatching(/^approval (\S+) requested/);
    rogue.stop();
    expect(await until(async () => !alive(rogue.pid), 10_000)).toBe(true);
    // The helper reads the new PID from its pid file: remove the old one first.
    await rm(join(tmp.path, `nc-${port}.pid`), { force: true });
    const second = await startDetachedListener(host, port, tmp.path);
    rogues.push(second);
    const approver = await firewatch(["act", "approve", approvalId, "--yes", "--config", cfg], { uid: NOBODY.uid, env: env() });
    expect(approver.code, approver.stderr).toBe(0);
    const out = await requester.done();
    expect(out.stdout).toContain(`not run: the world changed since the request: port ${port} is now held by PID ${second.pid}`);
    expect(out.code).toBe(1);
    expect(alive(second.pid)).toBe(true);
    expect((await audit(id)).at(-1)).toEqual([NOBODY.name, "action.world_changed", "not_run"]);
  }, 60_000);

  test("a container or unit name from a log line with shell text is refused by the validators; no shell ever runs it", async () => {
    const canary = join(tmp.path, "canary");
    for (const [container, fields] of [["palantir-api", { container: `$(touch ${canary})` }], ["palantir-api", { container: "foo; rm -rf /" }]] as const) {
      const { rogue, id } = await scene(container, fields);
      const r = await firewatch(["act", "kill_port_owner", "--incident", id, "--yes", "--config", cfg, "--param", `pid=${rogue.pid}`], { env: env() });
      expect(r.stdout).toContain("refused (invalid_params)");
      expect(r.code).toBe(1);
      expect(alive(rogue.pid)).toBe(true);
      expect(await audit(id)).toEqual([[ME, "action.refused", "invalid_params"]]);
    }
    // The unit form: the unit name comes from a systemd finding's field.
    const port = await freePort();
    const rogue = await startDetachedListener(host, port, tmp.path);
    rogues.push(rogue);
    const base = seed000Incident({ fingerprint: "ffee0000000000000000000000000001", host: "local", container: "x", port, at: Date.now() - 60_000 });
    const [bind] = base.findings;
    if (!bind) throw new Error("no finding");
    for (const [i, unit] of [`$(touch ${canary})`, "foo; rm -rf /"].entries()) {
      const inc = { ...base, fingerprint: `ffee000000000000000000000000001${i}`, id: `fw-ffee0000`, service: undefined, findings: [bind, { ...bind, rule: "systemd_restart_loop", fields: { unit } }] };
      await store.upsert({ ...inc, id: `fw-${inc.fingerprint.slice(0, 8)}` });
      const r = await firewatch(["act", "kill_port_owner", "--incident", inc.fingerprint, "--yes", "--config", cfg, "--param", `pid=${rogue.pid}`], { env: env() });
      expect(r.stdout).toContain(`unit=${unit} (finding systemd_restart_loop)`);
      expect(r.stdout).toContain("refused (invalid_params)");
      expect(alive(rogue.pid)).toBe(true);
    }
    await expect(access(canary)).rejects.toMatchObject({ code: "ENOENT" });
  }, 60_000);

  describe("tokens against the real store and a real rogue", () => {
    let kit: GuardKit;
    const config = GuardConfigSchema.parse({ secret: SECRET, actions: { kill_port_owner: { users: [ME, NOBODY.name], channels: ["cli"], hosts: ["local"], ports: ["1024-65535"], targets: ["*"], rateLimit: { max: 50, per: "1h" } } } });
    const root = { user: ME, groups: [], channel: "cli" };
    beforeAll(async () => {
      kit = await createGuardKit({ config, store, clock: systemClock, host: () => host, dockerHost: dockerd.host });
    });

    test("forged, foreign, altered and expired tokens are refused and audited; the rogue still runs", async () => {
      const { port, rogue, id } = await scene("palantir-api");
      const claims = { incident: id, action: "kill_port_owner", params: { pid: String(rogue.pid), port: String(port), container: "palantir-api" }, host: "local" };
      const foreign = await createGuardKit({ config: { ...config, secret: "another-secret-another-secret-another-secret" }, store, clock: systemClock, host: () => host });
      const past = await createGuardKit({ config, store, clock: { now: () => Date.now() - 3_600_000, sleep: systemClock.sleep }, host: () => host });
      const good = kit.tokens.issueToken(claims, 60_000);
      const [body = "", sig = ""] = good.split(".");
      const altered = `${Buffer.from(Buffer.from(body, "base64url").toString("utf8").replace(String(rogue.pid), "2")).toString("base64url")}.${sig}`;
      const cases: [string, string][] = [
        ["forged", "eyJ2IjoxfQ.AAAA"],
        ["foreign", foreign.tokens.issueToken(claims, 60_000)],
        ["altered", altered],
        ["expired", past.tokens.issueToken(claims, 60_000)],
      ];
      const reasons: string[] = [];
      for (const [, token] of cases) {
        const d = await kit.guard.authorize({ token, requester: root });
        reasons.push(d.kind === "refused" ? d.reason : d.kind);
      }
      expect(reasons).toEqual(["malformed", "foreign_key", "bad_signature", "expired"]);
      expect(alive(rogue.pid)).toBe(true);
      const refusals = await store.listAudit({ action: "action.refused", since: Date.now() - 60_000 });
      expect(refusals.slice(-4).map((e) => e.details["reason"])).toEqual(["malformed", "foreign_key", "bad_signature", "expired"]);
    });

    test("one token redeemed by two guard processes on one redis-server at once: exactly one wins", async () => {
      const { port, rogue, id } = await scene("palantir-api");
      const token = kit.tokens.issueToken({ incident: id, action: "kill_port_owner", params: { pid: String(rogue.pid), port: String(port), container: "palantir-api" }, host: "local" }, 60_000);
      // spawnTs passes this process's environment on: the children read the secret from it, as firewatch does.
      process.env.FIREWATCH_GUARD__SECRET = SECRET;
      const children = [0, 1].map(() => spawnTs(join(REPO, "test/integration/actions/redeem-child.ts"), [redis.url, "firewatch", token, ME], { cwd: REPO }));
      delete process.env.FIREWATCH_GUARD__SECRET;
      for (const c of children) expect(await c.nextLine()).toBe("ready");
      for (const c of children) c.send("go");
      const answers = await Promise.all(children.map(async (c) => JSON.parse(await c.nextLine()) as { kind: string; reason?: string }));
      await Promise.all(children.map((c) => c.exit()));
      expect(answers.map((a) => a.kind).sort()).toEqual(["needs_approval", "refused"]);
      expect(answers.find((a) => a.kind === "refused")?.reason).toBe("replayed");
      expect(await kit.guard.authorize({ token, requester: root })).toMatchObject({ kind: "refused", reason: "replayed" });
      expect(alive(rogue.pid)).toBe(true);
      const replays = (await store.listAudit({ target: id, action: "action.refused" })).filter((e) => e.details["reason"] === "replayed");
      expect(replays).toHaveLength(2);
    }, 60_000);
  });
});
