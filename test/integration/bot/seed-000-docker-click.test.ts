// Seed 000 with Docker, fixed from Slack: a detached host process (PPID 1) holds the port a `--network host --restart
// always` container needs; the probes name it, Alice requests the kill, Bob approves, the container comes up and stays.
// Seed 001's shape: a container killed with exit 137 and left down; Restart from Slack brings it back.
import { readFile } from "node:fs/promises";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createGuardKit, GuardConfigSchema } from "../../../src/actions/index.js";
import { createBot, type Bot } from "../../../src/bot/app.js";
import { SlackConfigSchema } from "../../../src/bot/config.js";
import { LocalHost } from "../../../src/hosts/index.js";
import { incidentId } from "../../../src/incidents/index.js";
import { runIncidentProbes } from "../../../src/probes/index.js";
import { loadRules, type Rule } from "../../../src/rules/index.js";
import { FileStore } from "../../../src/store/index.js";
import { systemClock } from "../../../src/time.js";
import { dockerdAvailability, startDockerd, type DockerdInstance } from "../../harness/dockerd.js";
import { startFakeSlack, type FakeSlack } from "../../harness/fake-slack.js";
import { freePort, makeTempDir } from "../../harness/program.js";
import { startDetachedListener, type Listener } from "../probes/helpers.js";
import { finding, incident } from "../../unit/bot/support.js";
import { buttonsOf, slackDriver } from "./slack-driver.js";

const CH = "C0ONCALL";
const SECRET = "seed000-docker-signing-secret";
const avail = dockerdAvailability();

/** Gone, or a zombie waiting for a reaper that never comes (a detached process's parent is PID 1 here). */
async function gone(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => undefined);
  return stat === undefined || /^\d+ \(.*\) Z /.test(stat);
}

describe.skipIf(avail.missing !== undefined)(`seed 000 with Docker, one approved click in Slack ${avail.missing ?? ""}`, () => {
  let dockerd: DockerdInstance;
  let slack: FakeSlack;
  let tmp: { path: string; remove(): Promise<void> };
  let store: FileStore;
  let bot: Bot | undefined;
  let rogue: Listener | undefined;
  const host = new LocalHost({ name: "local" });

  beforeAll(async () => {
    dockerd = await startDockerd();
    slack = await startFakeSlack();
    tmp = await makeTempDir("bot-seed000-docker");
    store = await FileStore.open(`${tmp.path}/state`, { clock: systemClock });
  }, 120_000);
  afterAll(async () => {
    rogue?.stop();
    await bot?.stop();
    await store?.close();
    await host.close();
    await slack?.close();
    await dockerd?.stop();
    await tmp?.remove();
  });

  test("the rogue is killed, the container runs with a stable RestartCount, the incident resolves", async () => {
    const port = await freePort();
    rogue = await startDetachedListener(host, port, tmp.path);
    const script = `echo "Error: listen EADDRINUSE: address already in use 0.0.0.0:${port}" >&2; nc -l -p ${port}; exit 1`;
    await dockerd.docker(["run", "-d", "--name", "rust-ingester", "--network", "host", "--restart", "always", dockerd.image, "sh", "-c", script]);

    // The incident as the daemon's Docker source makes it: service = the container, no host (local).
    const rules: ReadonlyMap<string, Rule> = new Map((await loadRules({ dirs: [] })).map((r) => [r.id, r]));
    const fingerprint = "d0c4e7".padEnd(64, "0");
    const f = finding({ host: undefined, service: "rust-ingester", groupKey: `eaddrinuse_loop{port="${port}"}`, fields: { service: "rust-ingester", port: String(port) } });
    const created = await store.upsert(incident({ id: incidentId(fingerprint), fingerprint, host: undefined, service: "rust-ingester", title: "Crash loop: rust-ingester cannot bind its port", findings: [f] }));
    const hostOf = (n: string) => (n === "local" ? host : undefined);
    const probed = await store.setProbes(created.incident.incident.id, await runIncidentProbes(created.incident, rules, { host: hostOf, dockerHost: dockerd.host, clock: systemClock }));
    expect(probed.probes.find((p) => p.probe === "port_owner")?.summary).toContain(`outside container rust-ingester`);

    const config = GuardConfigSchema.parse({
      secret: "0123456789abcdef0123456789abcdef-docker",
      actions: { kill_port_owner: { users: ["U0ALICE", "U0BOB"], channels: [CH], hosts: ["local"], ports: ["1024-65535"], targets: ["rust-ingester"] } },
    });
    const kit = await createGuardKit({ config, store, clock: systemClock, host: hostOf, dockerHost: dockerd.host });
    const started = await botFor(slack, store, rules, kit);
    bot = started.bot;
    const receiver = started.port;
    bot.poster.notify({ outcome: "created", incident: probed, silenceId: undefined });
    await bot.poster.flush();
    const [post] = slack.postsIn(CH);
    const run = buttonsOf(post).find((b) => b.action_id === "fw_act:0");
    expect(run?.text).toBe(`Kill PID ${rogue.pid} holding :${port}`);
    expect(JSON.stringify(run?.confirm)).toContain(`kill -TERM ${rogue.pid}`);

    const drive = slackDriver(slack, `http://127.0.0.1:${receiver}/slack/events`, SECRET, Date.now, CH);
    const asked = await drive.click("U0ALICE", run ?? fail(), post?.ts ?? "");
    expect(asked, asked).toContain("second person must approve");
    const approval = slack.repliesTo(CH, post?.ts ?? "").find((m) => buttonsOf(m).some((b) => b.action_id === "fw_approve"));
    const done = await drive.click("U0BOB", buttonsOf(approval).find((b) => b.action_id === "fw_approve") ?? fail(), approval?.ts ?? "");
    expect(done, done).toContain("done");

    expect(await gone(rogue.pid)).toBe(true);
    expect((await dockerd.docker(["inspect", "--format", "{{.State.Running}} {{.State.Restarting}}", "rust-ingester"])).trim()).toBe("true false");
    const said = slack.repliesTo(CH, post?.ts ?? "").map((m) => m.text).join("\n");
    expect(said).toContain(`free of PID ${rogue.pid}`);
    expect(said).toMatch(/container rust-ingester is running, RestartCount \d+ stable over/);
    const s = await store.get(created.incident.incident.id);
    expect(s?.status).toBe("resolved");
    expect(s?.resolved?.by).toBe("slack:U0BOB");
    await bot.stop();
    bot = undefined;
  }, 120_000);

  test("seed 001's shape: a container killed (exit 137) and left down is restarted from Slack and stays up", async () => {
    // The first run is SIGKILLed from outside, as the OOM killer would (exit 137). Its writable layer keeps the marker,
    // so a restart comes up and stays.
    const script = "if [ -f /ran ]; then exec sleep 3600; fi; touch /ran; exec sleep 3600";
    await dockerd.docker(["run", "-d", "--name", "ingester", "--restart", "no", dockerd.image, "sh", "-c", script]);
    await dockerd.docker(["exec", "ingester", "sh", "-c", "until [ -f /ran ]; do sleep 0.1; done"]);
    await dockerd.docker(["kill", "--signal", "KILL", "ingester"]);
    expect((await dockerd.docker(["wait", "ingester"])).trim()).toBe("137");
    const rules: ReadonlyMap<string, Rule> = new Map((await loadRules({ dirs: [] })).map((r) => [r.id, r]));
    const fingerprint = "5eed001".padEnd(64, "0");
    const f = finding({ rule: "docker_restart_loop", host: undefined, service: "ingester", groupKey: 'docker_restart_loop{container="ingester"}', fields: { container: "ingester", exit_code: "137" } });
    const created = await store.upsert(incident({ id: incidentId(fingerprint), fingerprint, host: undefined, service: "ingester", title: "Restart loop: container ingester (exit code 137)", findings: [f] }));
    const hostOf = (n: string) => (n === "local" ? host : undefined);
    const probes = await runIncidentProbes(created.incident, rules, { host: hostOf, dockerHost: dockerd.host, clock: systemClock });
    const state = probes.find((p) => p.probe === "container_state");
    expect(state?.data).toMatchObject({ name: "ingester", running: false, exitCode: 137 });
    const probed = await store.setProbes(created.incident.incident.id, probes);

    const config = GuardConfigSchema.parse({
      secret: "0123456789abcdef0123456789abcdef-docker",
      actions: { restart_container: { users: ["U0ALICE", "U0BOB"], channels: [CH], hosts: ["local"], targets: ["ingester"] } },
    });
    const started = await botFor(slack, store, rules, await createGuardKit({ config, store, clock: systemClock, host: hostOf, dockerHost: dockerd.host }));
    bot = started.bot;
    bot.poster.notify({ outcome: "created", incident: probed, silenceId: undefined });
    await bot.poster.flush();
    const post = slack.postsIn(CH).find((m) => JSON.stringify(m.metadata).includes(created.incident.incident.id));
    const run = buttonsOf(post).find((b) => b.action_id === "fw_act:0");
    expect(run?.text).toBe("Restart container ingester");
    expect(JSON.stringify(run?.confirm)).toContain("docker restart ingester");

    const drive = slackDriver(slack, `http://127.0.0.1:${started.port}/slack/events`, SECRET, Date.now, CH);
    const asked = await drive.click("U0BOB", run ?? fail(), post?.ts ?? "");
    expect(asked, asked).toContain("second person must approve");
    const approval = slack.repliesTo(CH, post?.ts ?? "").find((m) => buttonsOf(m).some((b) => b.action_id === "fw_approve"));
    const done = await drive.click("U0ALICE", buttonsOf(approval).find((b) => b.action_id === "fw_approve") ?? fail(), approval?.ts ?? "");
    expect(done, done).toContain("done");
    expect((await dockerd.docker(["inspect", "--format", "{{.State.Running}} {{.State.Restarting}}", "ingester"])).trim()).toBe("true false");
    expect(slack.repliesTo(CH, post?.ts ?? "").map((m) => m.text).join("\n")).toMatch(/container ingester is running, RestartCount \d+ stable over/);
    expect((await store.get(created.incident.incident.id))?.status).toBe("resolved");
  }, 120_000);
});

async function botFor(slack: FakeSlack, store: FileStore, rules: ReadonlyMap<string, Rule>, kit: Awaited<ReturnType<typeof createGuardKit>>) {
  const b = createBot(SlackConfigSchema.parse({ botToken: "xoxb-test-token", signingSecret: SECRET, port: 0, apiUrl: slack.apiUrl, routing: { channel: CH } }), {
    store, clock: systemClock, log: pino({ level: "silent" }), rules: () => Promise.resolve(rules), guard: kit,
  });
  return { bot: b, port: (await b.start()) ?? 0 };
}

function fail(): never {
  throw new Error("button not found");
}
