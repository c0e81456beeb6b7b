// The remediation buttons over Socket Mode: a click arrives as an "interactive" envelope and passes the same guard.
import { createHash, randomBytes } from "node:crypto";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createGuard, createNonceCache, createTokenService, GuardConfigSchema, type ActionCommand, type ActionProbes } from "../../../src/actions/index.js";
import { createBot, type Bot } from "../../../src/bot/app.js";
import { SlackConfigSchema } from "../../../src/bot/config.js";
import { incidentId } from "../../../src/incidents/index.js";
import { FileStore } from "../../../src/store/index.js";
import { systemClock } from "../../../src/time.js";
import { startFakeSlack, type FakeSlack } from "../../harness/fake-slack.js";
import { makeTempDir } from "../../harness/program.js";
import { finding, incident } from "../../unit/bot/support.js";
import { buttonsOf } from "./slack-driver.js";
import { createSocketModeEndpoint } from "./socket-mode-endpoint.js";

const CH = "C0ONCALL";
const endpoint = createSocketModeEndpoint();
let slack: FakeSlack;
let dir: { path: string; remove(): Promise<void> };
let store: FileStore;
let bot: Bot;
let failed = 20;
const ran: ActionCommand[] = [];

beforeAll(async () => {
  slack = await startFakeSlack({ onSocketUpgrade: (req, socket) => endpoint.upgrade(req, socket) });
  dir = await makeTempDir("bot-socket-remediation");
  store = await FileStore.open(dir.path, { clock: systemClock });
  const probes: ActionProbes = {
    portHolder: () => Promise.resolve(undefined),
    unitState: () => Promise.resolve(undefined),
    containerState: () => Promise.resolve(undefined),
    failedJobCount: () => Promise.resolve(failed),
  };
  const config = GuardConfigSchema.parse({ actions: { clean_failed_jobs: { users: ["U0ALICE"], channels: [CH], hosts: ["mithrandir"], targets: ["transcription"] } } });
  const tokens = createTokenService({ clock: systemClock, secret: randomBytes(32), nonces: createNonceCache({ clock: systemClock }) });
  const guard = createGuard({ clock: systemClock, store, tokens, probes, config });
  const executor = (c: ActionCommand) => {
    ran.push(c);
    failed = 0;
    return Promise.resolve({ ok: true, detail: "removed 20 failed jobs" });
  };
  bot = createBot(SlackConfigSchema.parse({ botToken: "xoxb-test-token", appToken: "xapp-test-token", socketMode: true, apiUrl: slack.apiUrl, routing: { channel: CH } }), {
    store, clock: systemClock, log: pino({ level: "silent" }), rules: () => Promise.resolve(new Map()),
    guard: { guard, tokens, executor, config },
    offers: () => [{ action: "clean_failed_jobs", host: "mithrandir", params: { queue: "transcription" }, label: "Clean failed jobs of transcription", why: "20 failed jobs" }],
  });
});
afterAll(async () => {
  await bot.stop();
  endpoint.closeAll();
  await store.close();
  await slack.close();
  await dir.remove();
});

describe("remediation over Socket Mode", () => {
  test("a Run click sent as an interactive envelope runs through the guard and answers in the thread", async () => {
    await bot.start();
    const fingerprint = createHash("sha256").update("socket-remediation").digest("hex");
    const id = incidentId(fingerprint);
    bot.poster.notify(await store.upsert(incident({ id, fingerprint, findings: [finding({ rule: "stale_job_queue", fields: { queue: "transcription" } })] })));
    await bot.poster.flush();
    const [post] = slack.postsIn(CH);
    const run = buttonsOf(post).find((b) => b.action_id === "fw_act:0");
    const envelope = endpoint.send("interactive", {
      type: "block_actions", team: { id: "T0FAKE" }, user: { id: "U0ALICE" }, api_app_id: "A0FW", token: "legacy", trigger_id: "t1",
      channel: { id: CH }, container: { type: "message", channel_id: CH, message_ts: post?.ts }, response_url: slack.responseUrl("socket-click"),
      actions: [{ type: "button", action_id: run?.action_id, block_id: run?.block_id, value: run?.value, action_ts: "1" }],
    });
    await endpoint.waitForAck(envelope);
    const reply = JSON.stringify(await slack.waitFor(() => slack.responses.find((r) => r.id === "socket-click")?.body));
    expect(reply).toContain("done");
    expect(ran).toEqual([{ kind: "clean_failed_jobs", host: "mithrandir", queue: "transcription" }]);
    expect(slack.repliesTo(CH, post?.ts ?? "").map((m) => m.text).join("\n")).toContain("removed 20 failed jobs");
    expect((await store.get(id))?.status).toBe("resolved");
  });
});
