// Socket Mode end to end against the fake: apps.connections.open with the app token, hello, a slash command envelope.
import pino from "pino";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createBot, type Bot } from "../../../src/bot/app.js";
import { SlackConfigSchema } from "../../../src/bot/config.js";
import { FileStore, type Store } from "../../../src/store/index.js";
import { systemClock } from "../../../src/time.js";
import { startFakeSlack, type FakeSlack } from "../../harness/fake-slack.js";
import { makeTempDir } from "../../harness/program.js";
import { storeSeed000 } from "./seed-store.js";
import { createSocketModeEndpoint } from "./socket-mode-endpoint.js";

const endpoint = createSocketModeEndpoint();
let slack: FakeSlack;
let dir: { path: string; remove(): Promise<void> };
let store: Store;
let bot: Bot;

beforeAll(async () => {
  slack = await startFakeSlack({ onSocketUpgrade: (req, socket) => endpoint.upgrade(req, socket) });
  dir = await makeTempDir("bot-socket");
  await storeSeed000(dir.path);
  store = await FileStore.open(dir.path, { clock: systemClock });
  const config = SlackConfigSchema.parse({ botToken: "xoxb-test-token", appToken: "xapp-test-token", socketMode: true, apiUrl: slack.apiUrl, routing: { channel: "C0ONCALL" } });
  bot = createBot(config, { store, clock: systemClock, log: pino({ level: "silent" }), rules: () => Promise.resolve(new Map()) });
});
afterAll(async () => {
  await bot.stop();
  endpoint.closeAll();
  await store.close();
  await slack.close();
  await dir.remove();
});

describe("Socket Mode receiver", () => {
  test("connects with the app token and answers /firewatch list sent as an envelope", async () => {
    expect(await bot.start()).toBeUndefined();
    expect(slack.callsOf("apps.connections.open").map((c) => c.ok)).toEqual([true]);
    expect(endpoint.connections()).toBe(1);
    const id = endpoint.send("slash_commands", {
      command: "/firewatch", text: "list", user_id: "U0ALICE", channel_id: "C0ONCALL", team_id: "T0FAKE", api_app_id: "A0FW",
      response_url: slack.responseUrl("socket"), trigger_id: "t1", token: "legacy",
    });
    await endpoint.waitForAck(id);
    const reply = await slack.waitFor(() => slack.responses.find((r) => r.id === "socket")?.body);
    expect(JSON.stringify(reply)).toContain("fw-");
  });
});
