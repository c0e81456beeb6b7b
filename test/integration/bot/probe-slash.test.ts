// `/firewatch probe ID` through the signed HTTP receiver: real probes on this machine, stored, answered, threaded.
import { join } from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createBot, type Bot } from "../../../src/bot/app.js";
import { SlackConfigSchema } from "../../../src/bot/config.js";
import { startSlack, type SlackService } from "../../../src/bot/slack-service.js";
import { PROBES_OFF } from "../../../src/bot/slash-command.js";
import { signSlackRequest } from "../../../src/bot/verify.js";
import { LocalHost, type Host } from "../../../src/hosts/index.js";
import { loadRules } from "../../../src/rules/index.js";
import { FileStore, type Store } from "../../../src/store/index.js";
import { systemClock } from "../../../src/time.js";
import { startFakeSlack, type FakeSlack } from "../../harness/fake-slack.js";
import { freePort, makeTempDir, requireProgram } from "../../harness/program.js";
import { seed000At, startNodeListener, type NodeListener } from "../probes/port-incident.js";

const SECRET = "test-signing-secret-0123456789";
const CH = "C0ONCALL";
const missing = [requireProgram("ss", "iproute2"), requireProgram("ps", "procps")].find((a) => a.missing)?.missing;

describe.skipIf(missing !== undefined)(`/firewatch probe over HTTP ${missing ?? ""}`, () => {
  let slack: FakeSlack;
  let dir: { path: string; remove(): Promise<void> };
  let store: Store;
  let bot: Bot;
  let url = "";
  let listener: NodeListener;
  let pid = 0;
  let port = 0;
  let id = "";
  let seq = 0;
  const local = new LocalHost({ name: "mithrandir" });
  /** Commands run on "mithrandir", counted. */
  let commands = 0;
  const counted: Host = { name: "mithrandir", exec: (argv, o) => ((commands += 1), local.exec(argv, o)), spawn: (argv, o) => local.spawn(argv, o), close: () => local.close() };

  beforeAll(async () => {
    slack = await startFakeSlack();
    dir = await makeTempDir("probe-slash");
    port = await freePort();
    listener = await startNodeListener(port);
    pid = listener.pid;
    store = await FileStore.open(join(dir.path, "store"), { clock: systemClock });
    // Seed 000's crash loop on the listener's port; its host mithrandir is this machine.
    id = (await store.upsert(await seed000At(port, dir.path))).incident.incident.id;
    const config = SlackConfigSchema.parse({
      botToken: "xoxb-test-token", signingSecret: SECRET, port: 0, apiUrl: slack.apiUrl, routing: { channel: CH },
      access: { commands: { probe: { users: ["U0ALICE"] } } },
    });
    const rules = new Map((await loadRules({ dirs: [] })).map((r) => [r.id, r]));
    bot = createBot(config, {
      store, clock: systemClock, log: pino({ level: "silent" }), rules: () => Promise.resolve(rules),
      probeHosts: (name) => (name === "mithrandir" ? counted : undefined),
    });
    url = `http://127.0.0.1:${await bot.start()}/slack/events`;
    // The incident's post exists, as the poster loop would have made it: the probe results go in its thread.
    await bot.poster.resync();
    await bot.poster.flush();
  });
  afterAll(async () => {
    await bot.stop();
    await store.close();
    await local.close();
    await slack.close();
    listener.stop();
    await dir.remove();
  });

  /** Sends `/firewatch TEXT` signed as Slack signs it; the HTTP answer's time and the response_url answer. */
  async function slash(text: string, user = "U0ALICE", to = url): Promise<{ ms: number; status: number; reply: Record<string, unknown> }> {
    seq += 1;
    const responseId = `probe-${seq}`;
    const body = new URLSearchParams({
      token: "legacy", team_id: "T0FAKE", team_domain: "fake", channel_id: CH, channel_name: "oncall", user_id: user, user_name: "u",
      command: "/firewatch", text, api_app_id: "A0FW", response_url: slack.responseUrl(responseId), trigger_id: `t${seq}`,
    }).toString();
    const timestamp = String(Math.floor(Date.now() / 1000));
    const started = performance.now();
    const res = await fetch(to, { method: "POST", body, headers: { "content-type": "application/x-www-form-urlencoded", "x-slack-request-timestamp": timestamp, "x-slack-signature": signSlackRequest(SECRET, timestamp, body) } });
    await res.text();
    const ms = performance.now() - started;
    const reply = await slack.waitFor(() => slack.responses.find((r) => r.id === responseId)?.body, 30_000);
    return { ms, status: res.status, reply };
  }

  test("probes run on the incident's host: the reply names the listener's PID, the store keeps them, the thread gets them", async () => {
    const { ms, status, reply } = await slash(`probe ${id}`);
    expect(status).toBe(200);
    // Acknowledged before the probes run: Slack gives up after 3 s.
    expect(ms).toBeLessThan(3000);
    const all = JSON.stringify(reply);
    expect(reply["text"]).toMatch(new RegExp(`probe\\(s\\) run again for \`${id}\` by <@U0ALICE>`));
    expect(all).toContain(`held by PID ${pid}`);
    expect(all).toContain("unit_status on mithrandir");
    const stored = await store.get(id);
    expect(stored?.probes.find((p) => p.probe === "port_owner")).toMatchObject({ ok: true, host: "mithrandir", data: { pid } });
    const post = stored?.slack;
    if (!post) throw new Error("the incident has no post");
    const thread = await slack.waitFor(() => slack.repliesTo(post.channel, post.ts).find((m) => (m.text ?? "").startsWith("Probe results")), 20_000);
    expect(JSON.stringify(thread.blocks)).toContain(`held by PID ${pid}`);
  });

  test("two requests at once share one run: the host sees one run's commands", async () => {
    commands = 0;
    await slash(`probe ${id}`);
    const once = commands;
    expect(once).toBeGreaterThan(0);
    commands = 0;
    const [a, b] = await Promise.all([slash(`probe ${id}`), slash(`probe ${id}`, "U0ALICE")]);
    expect(commands).toBe(once);
    expect(JSON.stringify(a.reply)).toContain(`held by PID ${pid}`);
    expect(JSON.stringify(b.reply)).toContain(`held by PID ${pid}`);
  });

  test("a user outside the probe allow-list is refused and nothing runs", async () => {
    const before = (await store.get(id))?.probes.map((p) => p.at);
    const { reply } = await slash(`probe ${id}`, "U0MALLORY");
    expect(reply["text"]).toMatch(/^⛔ You are not allowed to run `probe`/);
    expect((await store.get(id))?.probes.map((p) => p.at)).toEqual(before);
  });

  test("an unknown id and a missing id are answered with a sentence", async () => {
    expect((await slash("probe fw-00000000")).reply["text"]).toContain("No incident `fw-00000000`");
    expect((await slash("probe")).reply["text"]).toContain("`probe` takes one incident id.");
  });

  describe("startSlack, as `firewatch bot --config` starts it", () => {
    const services: SlackService[] = [];
    afterAll(async () => {
      for (const svc of services) await svc.stop();
    });
    const start = async (hosts?: Record<string, { kind: "local" }>) => {
      const config = SlackConfigSchema.parse({ botToken: "xoxb-test-token", signingSecret: SECRET, port: 0, apiUrl: slack.apiUrl, routing: { channel: CH }, access: { commands: { probe: { users: ["U0BOB"] } } }, poll: 60_000 });
      const rules = new Map((await loadRules({ dirs: [] })).map((r) => [r.id, r]));
      const svc = await startSlack(config, { store, clock: systemClock, log: pino({ level: "silent" }), rules: () => Promise.resolve(rules), ...(hosts ? { hosts } : {}) });
      services.push(svc);
      return `http://127.0.0.1:${svc.port}/slack/events`;
    };

    test("with firewatch.yaml's hosts it opens the incident's host on the first probe", async () => {
      const to = await start({ mithrandir: { kind: "local" } });
      const { reply } = await slash(`probe ${id}`, "U0BOB", to);
      expect(JSON.stringify(reply)).toContain(`held by PID ${pid}`);
      expect(reply["text"]).toContain("by <@U0BOB>");
    });

    test("without hosts it says to start the bot with --config", async () => {
      const to = await start();
      expect((await slash(`probe ${id}`, "U0BOB", to)).reply["text"]).toBe(`⚠️ ${PROBES_OFF}`);
    });
  });
});
