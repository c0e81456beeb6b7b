// The Bolt app over HTTP, as Slack drives it: signed slash commands and button clicks in, answers through the fake Slack.
import pino from "pino";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createBot, type Bot } from "../../../src/bot/app.js";
import { SlackConfigSchema } from "../../../src/bot/config.js";
import { signSlackRequest } from "../../../src/bot/verify.js";
import { loadRules } from "../../../src/rules/index.js";
import { FileStore, type Store } from "../../../src/store/index.js";
import { blockKitProblems, startFakeSlack, type FakeSlack } from "../../harness/fake-slack.js";
import { makeTempDir } from "../../harness/program.js";
import { storeSeed000 } from "./seed-store.js";

const SECRET = "test-signing-secret-0123456789";
const CH = "C0ONCALL";
// seed 000 through analyze: its id follows its anchor finding's group (host, service, port: docs/incidents.md).
const ID = "fw-4a544bf1";

let slack: FakeSlack;
let dir: { path: string; remove(): Promise<void> };
let store: Store;
let bot: Bot;
let url: string;
const clock = { now: () => Date.now(), sleep: () => Promise.resolve() };
let seq = 0;

beforeAll(async () => {
  slack = await startFakeSlack();
  dir = await makeTempDir("bot-app");
  await storeSeed000(dir.path, { withAppLog: true });
  store = await FileStore.open(dir.path, { clock });
  const config = SlackConfigSchema.parse({
    botToken: "xoxb-test-token",
    signingSecret: SECRET,
    port: 0,
    apiUrl: slack.apiUrl,
    routing: { channel: CH },
    access: { default: { users: ["U0ALICE", "U0BOSS"] }, commands: { resolve: { users: ["U0BOSS"] }, silence: { users: ["U0ALICE", "U0BOSS"], channels: [CH] } } },
  });
  const rules = new Map((await loadRules({ dirs: [] })).map((r) => [r.id, r]));
  bot = createBot(config, { store, clock, log: pino({ level: "silent" }), rules: () => Promise.resolve(rules) });
  const port = await bot.start();
  url = `http://127.0.0.1:${port}/slack/events`;
});
afterAll(async () => {
  await bot.stop();
  await store.close();
  await slack.close();
  await dir.remove();
});

interface SendOptions {
  readonly secret?: string;
  readonly timestamp?: number;
  readonly tamper?: (body: string) => string;
  readonly contentType?: string;
}

/** Sends a body to the receiver signed the way Slack signs it (or deliberately not). */
async function send(body: string, o: SendOptions = {}): Promise<{ status: number; ms: number; text: string; signature: string; timestamp: string }> {
  const timestamp = String(o.timestamp ?? Math.floor(Date.now() / 1000));
  const signature = signSlackRequest(o.secret ?? SECRET, timestamp, body);
  return sendRaw(o.tamper ? o.tamper(body) : body, timestamp, signature, o.contentType);
}

async function sendRaw(body: string, timestamp: string, signature: string, contentType = "application/x-www-form-urlencoded") {
  const started = performance.now();
  const res = await fetch(url, { method: "POST", body, headers: { "content-type": contentType, "x-slack-request-timestamp": timestamp, "x-slack-signature": signature } });
  return { status: res.status, ms: performance.now() - started, text: await res.text(), signature, timestamp };
}

function slash(text: string, user = "U0ALICE", channel = CH): { body: string; responseId: string } {
  seq += 1;
  const responseId = `r${seq}`;
  const body = new URLSearchParams({
    token: "legacy", team_id: "T0FAKE", team_domain: "fake", channel_id: channel, channel_name: "oncall", user_id: user, user_name: "alice",
    command: "/firewatch", text, api_app_id: "A0FW", response_url: slack.responseUrl(responseId), trigger_id: `t${seq}`,
  }).toString();
  return { body, responseId };
}

async function command(text: string, user?: string, channel?: string): Promise<Record<string, unknown>> {
  const { body, responseId } = slash(text, user, channel);
  const res = await send(body);
  expect(res.status).toBe(200);
  expect(res.ms).toBeLessThan(3000);
  return slack.waitFor(() => slack.responses.find((r) => r.id === responseId)?.body);
}

const textOf = (r: Record<string, unknown>) => JSON.stringify(r);

describe("/firewatch over the signed HTTP receiver", () => {
  test("list answers with the live incidents through response_url", async () => {
    const r = await command("list");
    expect(r["response_type"]).toBe("ephemeral");
    expect(textOf(r)).toContain(ID);
    expect(textOf(r)).toContain("Crash loop");
  });

  test("show answers with the incident's blocks", async () => {
    const r = await command(`show ${ID}`);
    expect(textOf(r)).toContain("restart counter *485*");
  });

  test("report uploads the markdown postmortem as a file", async () => {
    const before = slack.files.length;
    expect((await send(slash(`report ${ID}`).body)).status).toBe(200);
    const file = await slack.waitFor(() => (slack.files.length > before && slack.files.at(-1)?.channel ? slack.files.at(-1) : undefined));
    expect(file.filename).toBe(`${ID}.md`);
    expect(file.channel).toBe(CH);
    expect(file.content).toMatch(/^# Incident Report: /);
    expect(file.content).toContain("9003");
  });

  test("report falls back to a snippet within Block Kit limits when the upload fails", async () => {
    slack.failNext("files.getUploadURLExternal", 1);
    const r = await command(`report ${ID}`);
    expect(blockKitProblems(r["blocks"])).toEqual([]);
    expect(textOf(r)).toContain("# Incident Report: ");
    expect(textOf(r)).toContain("9003");
  });

  test("unknown subcommands and bad arguments answer with usage, never a stack trace", async () => {
    for (const text of ["frobnicate", "show", "show not-an-id", "silence eaddrinuse_loop forever", "ack fw-00000000 extra", `show fw-00000000`]) {
      const r = textOf(await command(text));
      expect(r).not.toMatch(/\n\s+at |Error:/);
      if (text !== "show fw-00000000") expect(r).toContain("Usage:");
      else expect(r).toContain("No incident");
    }
  });

  test("ack acknowledges as the Slack user; resolve is refused to a user not on its allow-list", async () => {
    expect(textOf(await command(`ack ${ID}`, "U0ALICE"))).toContain("acknowledged by <@U0ALICE>");
    expect((await store.get(ID))?.acknowledged?.by).toBe("slack:U0ALICE");
    expect(textOf(await command(`resolve ${ID}`, "U0ALICE"))).toContain("not allowed");
    expect((await store.get(ID))?.status).toBe("acknowledged");
  });

  test("silence is refused outside its allowed channel and works inside it", async () => {
    expect(textOf(await command("silence eaddrinuse_loop 2h", "U0ALICE", "C0RANDOM"))).toContain("cannot be run in this channel");
    expect(textOf(await command("silence eaddrinuse_loop 2h", "U0ALICE", CH))).toContain("Silenced rule `eaddrinuse_loop`");
    expect((await store.listSilences()).map((s) => s.match.rule)).toContain("eaddrinuse_loop");
  });

  test("a button click resolves the incident for an allowed user", async () => {
    seq += 1;
    const responseId = `b${seq}`;
    const payload = {
      type: "block_actions", team: { id: "T0FAKE" }, user: { id: "U0BOSS" }, api_app_id: "A0FW", token: "legacy", trigger_id: "t",
      channel: { id: CH }, container: { type: "message", channel_id: CH, message_ts: "1.2" }, response_url: slack.responseUrl(responseId),
      actions: [{ type: "button", action_id: "fw_resolve", block_id: `fw_incident_${ID}`, value: ID, action_ts: "1" }],
    };
    const res = await send(new URLSearchParams({ payload: JSON.stringify(payload) }).toString());
    expect(res.status).toBe(200);
    const r = await slack.waitFor(() => slack.responses.find((x) => x.id === responseId)?.body);
    expect(textOf(r)).toContain("resolved by <@U0BOSS>");
    expect((await store.get(ID))?.status).toBe("resolved");
  });

  test("answers Slack's url_verification challenge", async () => {
    const res = await send(JSON.stringify({ type: "url_verification", challenge: "c-123", token: "x" }), { contentType: "application/json" });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toEqual({ challenge: "c-123" });
  });
});

describe("requests not signed by Slack are refused before any handler runs", () => {
  test("forged, stale, future, tampered, unsigned and replayed requests get 401", async () => {
    const before = slack.responses.length;
    const forged = await send(slash("list").body, { secret: "someone-else" });
    const stale = await send(slash("list").body, { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 });
    const future = await send(slash("list").body, { timestamp: Math.floor(Date.now() / 1000) + 6 * 60 });
    const tampered = await send(slash("list").body, { tamper: (b) => b.replace("text=list", `text=resolve+${ID}`) });
    const unsigned = await fetch(url, { method: "POST", body: slash("list").body, headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect([forged.status, stale.status, future.status, tampered.status, unsigned.status]).toEqual([401, 401, 401, 401, 401]);

    const { body, responseId } = slash("list");
    const first = await send(body);
    expect(first.status).toBe(200);
    await slack.waitFor(() => slack.responses.find((r) => r.id === responseId));
    const replay = await sendRaw(body, first.timestamp, first.signature);
    expect(replay.status).toBe(401);
    // Only the one genuine request was answered.
    expect(slack.responses.length).toBe(before + 1);
  });
});

describe("Socket Mode", () => {
  test("builds with an app token and no HTTP receiver", () => {
    const config = SlackConfigSchema.parse({ botToken: "xoxb-x", appToken: "xapp-1-x", socketMode: true, routing: { channel: CH } });
    const b = createBot(config, { store, clock, log: pino({ level: "silent" }), rules: () => Promise.resolve(new Map()) });
    expect(b.app).toBeDefined();
    expect(() => SlackConfigSchema.parse({ botToken: "xoxb-x", socketMode: true, routing: { channel: CH } })).toThrow(/app-level token/);
  });
});
