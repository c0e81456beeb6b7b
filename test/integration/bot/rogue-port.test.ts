// End to end on this machine: a real rogue process holds a port, the real port_owner probe names it, Alice clicks the
// button, Bob approves, the real executor kills it, and the thread and the incident say so. Only systemd is a stand-in.
import path from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createGuardKit, GuardConfigSchema } from "../../../src/actions/index.js";
import { createBot, type Bot } from "../../../src/bot/app.js";
import { SlackConfigSchema } from "../../../src/bot/config.js";
import { LocalHost, type Host } from "../../../src/hosts/index.js";
import { incidentId } from "../../../src/incidents/index.js";
import { runIncidentProbes } from "../../../src/probes/index.js";
import { loadRules, type Rule } from "../../../src/rules/index.js";
import { FileStore } from "../../../src/store/index.js";
import { systemClock } from "../../../src/time.js";
import { startFakeSlack, type FakeSlack } from "../../harness/fake-slack.js";
import { freePort, makeTempDir, requireProgram } from "../../harness/program.js";
import { finding, incident } from "../../unit/bot/support.js";
import { alive, startRogue, writeStandInSystemctl, type Rogue } from "./rogue.js";
import { buttonsOf, slackDriver } from "./slack-driver.js";

const SECRET = "rogue-signing-secret";
const CH = "C0ONCALL";
const UNIT = "transcription-palantir";
const [ALICE, BOB] = ["U0ALICE", "U0BOB"] as const;

/**
 * No systemd runs here: `systemctl show` is a script that answers like systemd for the unit — restarting while the
 * rogue lives, active once it is gone (what Restart= does when the port frees). Everything else is real: ss, /proc,
 * kill, the probes, the guard and the executor.
 */
function withSystemctl(host: Host, script: string): Host {
  const swap = (argv: readonly string[]) => (argv[0] === "systemctl" ? [script, ...argv.slice(1)] : argv);
  return { name: host.name, exec: (argv, o) => host.exec(swap(argv), o), spawn: (argv, o) => host.spawn(swap(argv), o), close: () => host.close() };
}

const ss = requireProgram("ss", "iproute2");

describe.skipIf(ss.missing !== undefined)(`a rogue port owner killed from Slack with two people ${ss.missing ?? ""}`, () => {
  let slack: FakeSlack;
  let dir: { path: string; remove(): Promise<void> };
  let store: FileStore;
  let bot: Bot;
  let rogue: Rogue;
  let port: number;
  let rules: ReadonlyMap<string, Rule>;
  const local = new LocalHost({ name: "local" });
  let host: Host;

  beforeAll(async () => {
    slack = await startFakeSlack();
    dir = await makeTempDir("bot-rogue");
    port = await freePort();
    rogue = await startRogue(port);
    host = withSystemctl(local, await writeStandInSystemctl(path.join(dir.path, "bin"), rogue.pid ?? 0, UNIT));
    store = await FileStore.open(path.join(dir.path, "state"), { clock: systemClock });
    rules = new Map((await loadRules({ dirs: [] })).map((r) => [r.id, r]));
    const config = GuardConfigSchema.parse({
      secret: "0123456789abcdef0123456789abcdef-rogue-test",
      actions: { kill_port_owner: { users: [ALICE, BOB], channels: [CH], hosts: ["local"], ports: ["1024-65535"], targets: ["transcription-*"] } },
    });
    const kit = await createGuardKit({ config, store, clock: systemClock, host: (n) => (n === "local" ? host : undefined) });
    bot = createBot(SlackConfigSchema.parse({ botToken: "xoxb-test-token", signingSecret: SECRET, port: 0, apiUrl: slack.apiUrl, routing: { channel: CH } }), {
      store, clock: systemClock, log: pino({ level: "silent" }), rules: () => Promise.resolve(rules),
      guard: kit,
    });
  });
  afterAll(async () => {
    if (rogue.exitCode === null && rogue.signalCode === null) rogue.kill("SIGKILL");
    await bot?.stop();
    await store?.close();
    await local.close();
    await slack?.close();
    await dir?.remove();
  });

  test("the probe names the PID; A requests, B approves; the process is gone, the thread says so, the incident resolves", async () => {
    const pid = rogue.pid ?? 0;
    const fingerprint = "a".repeat(56) + "0badc0de";
    const id = incidentId(fingerprint);
    const f = finding({ host: "local", service: UNIT, groupKey: `eaddrinuse_loop{port="${port}"}`, fields: { host: "local", service: UNIT, port: String(port) } });
    const created = await store.upsert(incident({ id, fingerprint, host: "local", service: UNIT, title: `Crash loop: ${UNIT} cannot bind port ${port}`, findings: [f] }));

    const found = await runIncidentProbes(created.incident, rules, { host: (n) => (n === "local" ? host : undefined), clock: systemClock });
    const owner = found.find((p) => p.probe === "port_owner");
    expect(owner?.ok).toBe(true);
    expect(owner?.summary).toContain(`PID ${pid}`);
    expect(owner?.data).toMatchObject({ pid, rogue: true });
    const probed = await store.setProbes(id, found);

    const receiverPort = await bot.start();
    const drive = slackDriver(slack, `http://127.0.0.1:${receiverPort ?? 0}/slack/events`, SECRET, Date.now, CH);
    bot.poster.notify({ ...created, incident: probed });
    await bot.poster.flush();
    const post = () => slack.postsIn(CH).find((m) => JSON.stringify(m.metadata).includes(id));
    const run = buttonsOf(post()).find((b) => b.action_id === "fw_act:0");
    expect(run?.text).toBe(`Kill PID ${pid} holding :${port}`);
    expect(JSON.stringify(run?.confirm)).toContain(`kill -TERM ${pid}`);
    expect(JSON.stringify(run?.confirm)).toContain("*local*");

    const asked = await drive.click(ALICE, run ?? fail(), post()?.ts ?? "");
    expect(asked, asked).toContain("second person must approve");
    expect(alive(pid)).toBe(true);
    const approval = slack.repliesTo(CH, post()?.ts ?? "").find((m) => buttonsOf(m).some((b) => b.action_id === "fw_approve"));
    const approve = buttonsOf(approval).find((b) => b.action_id === "fw_approve") ?? fail();
    expect(await drive.click(ALICE, approve, approval?.ts ?? "")).toContain("same_person");
    expect(alive(pid)).toBe(true);

    const exited = rogue.exited;
    const approved = await drive.click(BOB, approve, approval?.ts ?? "");
    expect(approved, approved).toContain("done");
    const [code, signal] = (await exited) as [number | null, string | null];
    expect(signal).toBe("SIGTERM");
    expect(code).toBeNull();
    expect(alive(pid)).toBe(false);

    const thread = slack.repliesTo(CH, post()?.ts ?? "").map((m) => m.text).join("\n");
    expect(thread).toContain(`<@${BOB}>`);
    expect(thread).toContain(`port ${port} is free of PID ${pid}; ${UNIT} is active (running)`);
    const s = await store.get(id);
    expect(s?.status).toBe("resolved");
    expect(s?.resolved?.by).toBe(`slack:${BOB}`);
    expect(await store.listAudit({ target: id, action: "action.done" })).toHaveLength(1);
    // The post shows it resolved, without the kill button.
    await slack.waitFor(() => (JSON.stringify(post()?.blocks).includes("Resolved") ? true : undefined));
    expect(buttonsOf(post()).some((b) => b.action_id.startsWith("fw_act"))).toBe(false);
  }, 60_000);
});

function fail(): never {
  throw new Error("button not found");
}
