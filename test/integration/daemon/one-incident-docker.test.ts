// Issue 14 on a live Docker host: two port conflicts a few seconds apart, an OOM kill under --memory 8m, a healthy
// container and a local log file whose lines carry this machine's hostname, watched by `firewatch watch` on Redis.
// Three incidents, each on host "local", the healthy container in none, no empty field, probes and buttons without a
// manual probe; then a real two-person kill of one rogue through `firewatch act`, and its postmortem.
import { appendFile, chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { GuardConfigSchema, offerActions } from "../../../src/actions/index.js";
import { localActor } from "../../../src/cli/act.js";
import { LocalHost } from "../../../src/hosts/index.js";
import { loadRules } from "../../../src/rules/index.js";
import { RedisStore, type StoredIncident } from "../../../src/store/index.js";
import { systemClock } from "../../../src/time.js";
import { dockerdAvailability, startDockerd, type DockerdInstance } from "../../harness/dockerd.js";
import { freePort, makeTempDir, requireProgram } from "../../harness/program.js";
import { redisAvailability, startRedis, type RedisInstance } from "../../harness/redis.js";
import { alive, firewatch, NOBODY, rootAvailability, SECRET, startFirewatch } from "../actions/act-helpers.js";
import { startDetachedListener, until, type Listener } from "../probes/helpers.js";
import { startFakeSlack, type FakeSlack, type StoredMessage } from "../../harness/fake-slack.js";
import { FOLLOW_WITHIN_MS } from "../bot/follow-store.js";
import { buttonsOf } from "../bot/slack-driver.js";
import { startWatch, type ChangeLine, type WatchProcess } from "./watch-process.js";

const missing = [dockerdAvailability(), redisAvailability(), requireProgram("setpriv", "util-linux"), rootAvailability()].find((a) => a.missing !== undefined)?.missing;
const ME = localActor();
const policy = { users: [ME, NOBODY.name], channels: ["cli"], hosts: ["local"], targets: ["*"], ports: ["1024-65535"], rateLimit: { max: 50, per: 3_600_000 } };

describe.skipIf(missing !== undefined)(`one failure, one incident, on a live Docker host ${missing ?? ""}`, () => {
  let dockerd: DockerdInstance;
  let redis: RedisInstance;
  let tmp: { path: string; remove(): Promise<void> };
  let store: RedisStore;
  let slack: FakeSlack;
  const savedEnv = new Map<string, string | undefined>();
  let watch: WatchProcess | undefined;
  const rogues: Listener[] = [];
  const host = new LocalHost();

  beforeAll(async () => {
    [dockerd, redis, slack] = await Promise.all([startDockerd(), startRedis(), startFakeSlack()]);
    // watch (a child process) takes Slack's secrets from the environment, as deployed.
    for (const [k, v] of Object.entries({ FIREWATCH_SLACK__BOT_TOKEN: "xoxb-test-token", FIREWATCH_SLACK__SIGNING_SECRET: "one-incident-signing-secret" })) {
      savedEnv.set(k, process.env[k]);
      process.env[k] = v;
    }
    tmp = await makeTempDir("one-incident");
    // The approver runs as another user: it must be able to read the config.
    await chmod(tmp.path, 0o755);
    store = await RedisStore.connect(redis.url, { clock: systemClock }, { namespace: "firewatch" });
  }, 180_000);

  afterAll(async () => {
    await watch?.kill9();
    for (const r of rogues) r.stop();
    await store?.close();
    await host.close();
    for (const [k, v] of savedEnv) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await Promise.all([dockerd?.stop(), redis?.cleanup(), slack?.close()]);
    await tmp?.remove();
  });

  /** A rogue (detached, PPID 1) holding a fresh port, and a host-network container that loops failing to bind it. */
  async function conflict(name: string): Promise<{ port: number; rogue: Listener }> {
    const port = await freePort();
    const rogue = await startDetachedListener(host, port, tmp.path);
    rogues.push(rogue);
    // busybox nc then says "nc: bind: Address already in use" without the port: it must join this port's finding.
    const script = `echo "Error: listen EADDRINUSE: address already in use :::${port}" >&2; nc -l -p ${port}; exit 1`;
    await dockerd.docker(["run", "-d", "--name", name, "--network", "host", "--restart", "always", dockerd.image, "sh", "-c", script]);
    return { port, rogue };
  }

  const live = async () => (await store.list()).filter((s) => s.status !== "resolved");
  const containerOf = (s: StoredIncident) => s.incident.findings.map((f) => f.fields.container ?? f.service).find((c) => c !== undefined);

  test("three incidents with their host, probes and buttons; the fixed one's postmortem names the rogue and the approver", { timeout: 240_000 }, async () => {
    const logFile = join(tmp.path, "app.log");
    await writeFile(logFile, "");
    const conf = join(tmp.path, "conf");
    await mkdir(conf, { mode: 0o755 });
    const reports = join(tmp.path, "reports");
    const guard = { actions: { kill_port_owner: { ...policy, rateLimit: { max: 50, per: "1h" } }, restart_container: { ...policy, rateLimit: { max: 50, per: "1h" } } } };
    const cfg = join(conf, "firewatch.yaml");
    await writeFile(cfg, JSON.stringify({
      hosts: { local: { kind: "local" } },
      sources: [
        { kind: "docker", name: "docker", socketPath: dockerd.socketPath, containers: ["loop-main", "loop-two", "oom-one", "healthy"] },
        { kind: "file", name: "app", paths: [logFile], startAt: "beginning", poll: "200ms" },
      ],
      store: { url: redis.url },
      outputs: { jsonLines: true, reportDir: reports },
      health: { port: 0 },
      // A poll far longer than the bound: a resolve made by `act` reaches the post through the store's change feed.
      slack: { apiUrl: slack.apiUrl, port: await freePort(), poll: 120_000, minUpdateInterval: 1000, routing: { channel: "C0ONCALL" } },
      guard,
    }), { mode: 0o644 });

    const main = await conflict("loop-main");
    await dockerd.docker(["run", "-d", "--name", "healthy", dockerd.image, "sh", "-c", "echo ready; exec sleep 3600"]);
    watch = startWatch(cfg);
    const latest = new Map<string, ChangeLine>();
    // When each change was printed, for a failure's message: what came late under load.
    const timeline: string[] = [];
    void (async () => {
      for (;;) {
        const c = await watch?.nextChange().catch(() => undefined);
        if (c === undefined) return;
        latest.set(c.id, c);
        timeline.push(`${new Date().toISOString()} ${c.id} ${c.outcome} ${c.findings.map((f) => `${f.rule}×${f.count}${f.fields.port === undefined ? "" : `:${f.fields.port}`}`).join(" ")}`);
      }
    })();
    // The app's own log says the same about loop-main, under this machine's hostname (an alias of "local").
    const stamp = () => new Date().toISOString().replace(/\.\d+Z$/, "+00:00");
    await appendFile(logFile, [1, 2, 3].map(() => `${stamp()} ${hostname()} loop-main[7]: Error: listen EADDRINUSE: address already in use :::${main.port}\n`).join(""));
    // A short while later, a second port conflict, and a container killed by the OOM killer.
    await new Promise((r) => setTimeout(r, 3000));
    const two = await conflict("loop-two");
    const oomScript = "echo starting; x=$(yes | head -c 200000000); echo survived";
    // Restarted a few times: the events of a container that dies once at start were not delivered (see the report).
    await dockerd.docker(["run", "-d", "--name", "oom-one", "--memory", "8m", "--memory-swap", "8m", "--restart", "on-failure:5", dockerd.image, "sh", "-c", oomScript]);

    const rules = new Map((await loadRules({ dirs: [] })).map((r) => [r.id, r]));
    const offersOf = (s: StoredIncident | undefined) => (s === undefined ? [] : offerActions(s, rules, GuardConfigSchema.parse(guard)));
    const byContainer = async () => new Map((await live()).map((s) => [containerOf(s), s]));
    const ready = await until(async () => {
      const m = await byContainer();
      const loops = ["loop-main", "loop-two"].every((c) => offersOf(m.get(c)).some((o) => o.action === "kill_port_owner"));
      return loops && (m.get("oom-one")?.probes.length ?? 0) > 0 && offersOf(m.get("oom-one")).length > 0;
    }, 150_000).catch(() => false);
    const all = await live();
    const seen = (await store.list()).map((s) => `${s.incident.id} ${s.incident.host} ${s.incident.title} [${s.incident.findings.map((f) => `${f.rule}:${JSON.stringify(f.fields)}`).join(" ")}] ${s.status} probes=${s.probes.length}${s.probes.map((p) => `\n    ${new Date(p.at).toISOString()} ${p.probe} ${p.ok ? "ok" : "FAILED"}: ${p.summary} ${JSON.stringify(p.data ?? null)}`).join("")}`).join("\n");
    expect(ready, `incidents:\n${seen}\nchanges:\n${timeline.slice(-60).join("\n")}\n${watch.proc.stderr().slice(-6000)}`).toBe(true);

    // Three incidents, each on the source's host, one per failing thing; the healthy container in none.
    expect(all.map(containerOf).sort(), seen).toEqual(["loop-main", "loop-two", "oom-one"]);
    expect(all.map((s) => s.incident.host)).toEqual(["local", "local", "local"]);
    expect(all.flatMap((s) => s.incident.findings).some((f) => JSON.stringify(f).includes("healthy"))).toBe(false);
    // No empty field anywhere: not in the store, not in the JSON lines, not in the reports.
    for (const f of all.flatMap((s) => s.incident.findings)) expect(Object.entries(f.fields).filter(([, v]) => v === ""), f.groupKey).toEqual([]);
    for (const c of latest.values()) for (const f of c.findings) expect(Object.values(f.fields)).not.toContain("");
    // The port-less nc lines and the log file joined the port's finding: one eaddrinuse finding per loop.
    const loopMain = all.find((s) => containerOf(s) === "loop-main");
    if (loopMain === undefined) throw new Error("no loop-main incident");
    expect(loopMain.incident.findings.filter((f) => f.rule === "eaddrinuse_loop").map((f) => f.fields.port)).toEqual([String(main.port)]);
    expect(loopMain.incident.findings.some((f) => f.fields.logged_host !== undefined)).toBe(false);
    const ownReport = await readFile(join(reports, `${loopMain.incident.id}.md`), "utf8");
    // An empty value would read "port **" (bold nothing) or an Immediate Action "# omitted".
    expect(ownReport).not.toMatch(/port \*\*(?!\d)|# omitted/);
    expect(ownReport).toContain(`port **${main.port}**`);
    // Probes ran by themselves: port_owner named the rogue, and the button is the kill (no restart while it holds the port).
    expect(offersOf(loopMain).map((o) => o.action)).toEqual(["kill_port_owner"]);
    expect(offersOf(loopMain)[0]?.params.pid).toBe(String(main.rogue.pid));

    // The fix: this user requests the kill, nobody approves, the requester's firewatch runs it.
    const requester = startFirewatch(["act", "kill_port_owner", "--incident", loopMain.incident.id, "--yes", "--config", cfg], { env: { FIREWATCH_GUARD__SECRET: SECRET } });
    const [, approvalId = ""] = await requester.lineMatching(new RegExp(`^approval (\\S+) requested by ${ME}`));
    const approver = await firewatch(["act", "approve", approvalId, "--yes", "--config", cfg], { uid: NOBODY.uid, env: { FIREWATCH_GUARD__SECRET: SECRET } });
    expect(approver.code, approver.stderr).toBe(0);
    const done = await requester.done();
    expect(done.stdout, done.stderr).toContain(`${loopMain.incident.id} resolved`);
    expect(alive(main.rogue.pid)).toBe(false);
    // Slack follows the store: the post of the fixed incident says so within the bound, its buttons gone, updated in place.
    const text = (m: StoredMessage | undefined) => JSON.stringify(m?.blocks ?? []);
    const postsOf = (id: string) => slack.postsIn("C0ONCALL").filter((m) => text(m).includes(id));
    const resolvedPost = await slack.waitFor(() => {
      const [p] = postsOf(loopMain.incident.id);
      return p !== undefined && text(p).includes("Resolved") && buttonsOf(p).every((b) => !b.action_id.startsWith("fw_act")) ? p : undefined;
    }, FOLLOW_WITHIN_MS).catch(() => undefined);
    expect(resolvedPost, `post of ${loopMain.incident.id}: ${text(postsOf(loopMain.incident.id)[0])}`).toBeDefined();
    for (const s of all) expect(postsOf(s.incident.id), s.incident.id).toHaveLength(1);

    // The daemon notices the resolution: a `resolved` line, and the report rewritten as a postmortem.
    expect(await until(async () => latest.get(loopMain.incident.id)?.outcome === "resolved", 20_000)).toBe(true);
    expect(latest.get(loopMain.incident.id)).toMatchObject({ outcome: "resolved", host: "local" });
    const report = await readFile(join(reports, `${loopMain.incident.id}.md`), "utf8");
    expect(report).toContain("✅ **RESOLVED**");
    expect(report).toContain(`PID ${main.rogue.pid}`);
    expect(report).toMatch(/nc -l -p \d+/);
    expect(report).toContain(`| **Approved by** | ${NOBODY.name}`);
    expect(report).toContain(`| **Requested by** | ${ME}`);
    expect(report).toMatch(new RegExp(`\\| \\*\\*Postcondition\\*\\* \\| port ${main.port} is free of PID ${main.rogue.pid}`));
    expect(report).toContain("## Key Figures");

    // The others fire on; the resolved one is not reopened by them, and loop-two is still open with its kill button.
    await new Promise((r) => setTimeout(r, 4000));
    expect((await store.get(loopMain.incident.id))?.status).toBe("resolved");
    const still = await byContainer();
    expect([...still.keys()].sort()).toEqual(["loop-two", "oom-one"]);
    expect(offersOf(still.get("loop-two")).map((o) => [o.action, o.params.pid])).toEqual([["kill_port_owner", String(two.rogue.pid)]]);
    expect(await watch.term()).toBe(0);
    watch = undefined;
  });
});
