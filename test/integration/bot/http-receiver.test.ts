// The HTTP receiver's limits on loopback: the largest real click still fits, bigger bodies are refused unread, and a
// signature seen before a restart is refused after it (the store remembers it).
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { MAX_BODY_BYTES, SignedHttpReceiver } from "../../../src/bot/http-receiver.js";
import { SLACK_LIMITS } from "../../../src/bot/mrkdwn.js";
import { signSlackRequest } from "../../../src/bot/verify.js";
import { FileStore } from "../../../src/store/index.js";
import { systemClock } from "../../../src/time.js";
import { makeTempDir } from "../../harness/program.js";

const SECRET = "receiver-signing-secret";
const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined, setLevel: () => undefined, getLevel: () => "info" as never, setName: () => undefined };
let dir: { path: string; remove(): Promise<void> };
beforeAll(async () => (dir = await makeTempDir("receiver")));
afterAll(async () => dir.remove());

async function post(port: number, body: string, at = Math.floor(Date.now() / 1000)): Promise<{ status: number; text: string }> {
  const timestamp = String(at);
  const res = await fetch(`http://127.0.0.1:${port}/slack/events`, {
    method: "POST",
    body,
    headers: { "content-type": "application/x-www-form-urlencoded", "x-slack-request-timestamp": timestamp, "x-slack-signature": signSlackRequest(SECRET, timestamp, body) },
  });
  return { status: res.status, text: await res.text() };
}

async function withReceiver<T>(remember: ((sig: string, ttl: number) => Promise<boolean>) | undefined, fn: (port: number) => Promise<T>): Promise<T> {
  const r = new SignedHttpReceiver({ signingSecret: SECRET, clock: systemClock, logger: quiet, port: 0, ...(remember ? { remember } : {}) });
  const port = await r.start();
  try {
    return await fn(port);
  } finally {
    await r.stop();
  }
}

describe("the Slack HTTP receiver's limits", () => {
  test("the largest click Slack can send for a post (50 sections of 3000 characters of log text) fits under the body limit", async () => {
    // A block_actions payload carries the whole message the button is on; real log text, so real escaping.
    const log = readFileSync(path.resolve("fixtures/seed-000-port-conflict/journal.log"), "utf8");
    const text = log.repeat(Math.ceil((SLACK_LIMITS.sectionText * SLACK_LIMITS.blocks) / log.length));
    const blocks = Array.from({ length: SLACK_LIMITS.blocks }, (_, i) => ({ type: "section", block_id: `b${i}`, text: { type: "mrkdwn", text: text.slice(i * 3000, (i + 1) * 3000), verbatim: true } }));
    const payload = {
      type: "block_actions",
      user: { id: "U0ALICE", username: "alice", team_id: "T0FAKE" },
      channel: { id: "C0ONCALL", name: "oncall" },
      message: { type: "message", ts: "1766790000.000100", text: "fw-1 port conflict", blocks },
      actions: [{ action_id: "fw_ack", block_id: "actions", value: "fw-1", type: "button", action_ts: "1766790001.1" }],
      response_url: "https://hooks.slack.com/actions/T0FAKE/1/abc",
      trigger_id: "1.2.3",
    };
    const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
    console.log(`largest click payload: ${(body.length / 1024).toFixed(0)} KiB of ${MAX_BODY_BYTES / 1024} KiB`);
    expect(body.length).toBeLessThan(MAX_BODY_BYTES);
    // Past the size and signature checks: without an app behind it, the receiver answers "not ready".
    await withReceiver(undefined, async (port) => expect(await post(port, body)).toEqual({ status: 503, text: "not_ready\n" }));
  });

  test("a body over the limit is refused with 413, a forged one with 401", async () => {
    await withReceiver(undefined, async (port) => {
      expect((await post(port, "x".repeat(MAX_BODY_BYTES + 1))).status).toBe(413);
      const res = await fetch(`http://127.0.0.1:${port}/slack/events`, { method: "POST", body: "text=list", headers: { "x-slack-request-timestamp": String(Math.floor(Date.now() / 1000)), "x-slack-signature": `v0=${"0".repeat(64)}` } });
      expect(res.status).toBe(401);
    });
  });

  test("a signed request replayed after a restart is refused: the store remembers its signature", async () => {
    const body = "command=%2Ffirewatch&text=silence+rule+30d&user_id=U0ALICE&channel_id=C0ONCALL";
    const at = Math.floor(Date.now() / 1000);
    const run = async () => {
      const store = await FileStore.open(dir.path, { clock: systemClock });
      try {
        return await withReceiver(async (sig, ttl) => (await store.claim(`slack-sig:${sig.slice(3)}`, `test-${process.pid}`, ttl)).claimed, (port) => post(port, body, at));
      } finally {
        await store.close();
      }
    };
    expect((await run()).status).toBe(503);
    expect(await run()).toEqual({ status: 401, text: "invalid request\n" });
  });
});
