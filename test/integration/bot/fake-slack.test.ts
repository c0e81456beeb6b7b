// The fake Slack refuses what Slack refuses: without that, the bot's tests could not fail.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createSlackClient } from "../../../src/bot/client.js";
import { startFakeSlack, type FakeSlack } from "../../harness/fake-slack.js";

let slack: FakeSlack;
beforeAll(async () => {
  slack = await startFakeSlack();
});
afterAll(async () => {
  await slack.close();
});

const client = () => createSlackClient({ token: "xoxb-test-token", apiUrl: slack.apiUrl });
const section = (text: string) => ({ type: "section", text: { type: "mrkdwn", text } });

describe("fake Slack Web API", () => {
  test("checks the bearer token", async () => {
    await expect(createSlackClient({ token: "xoxb-other", apiUrl: slack.apiUrl }).auth.test()).rejects.toMatchObject({ data: { error: "invalid_auth" } });
    await expect(client().auth.test()).resolves.toMatchObject({ ok: true, user_id: "U0BOT" });
  });

  test("refuses blocks past Slack's limits", async () => {
    const c = client();
    await expect(c.chat.postMessage({ channel: "C1", text: "x", blocks: Array.from({ length: 51 }, () => section("x")) })).rejects.toMatchObject({ data: { error: "invalid_blocks" } });
    await expect(c.chat.postMessage({ channel: "C1", text: "x", blocks: [section("x".repeat(3001))] })).rejects.toMatchObject({ data: { error: "invalid_blocks" } });
    const button = (value: string, action_id: string) => ({ type: "button" as const, text: { type: "plain_text" as const, text: "b" }, value, action_id });
    await expect(c.chat.postMessage({ channel: "C1", text: "x", blocks: [{ type: "actions", elements: [button("v".repeat(2001), "a")] }] })).rejects.toMatchObject({ data: { error: "invalid_blocks" } });
    await expect(c.chat.postMessage({ channel: "C1", text: "x", blocks: [{ type: "actions", elements: [button("v", "a".repeat(256))] }] })).rejects.toMatchObject({ data: { error: "invalid_blocks" } });
    await expect(c.chat.postMessage({ channel: "C1", text: "x", blocks: [section("x".repeat(3000))] })).resolves.toMatchObject({ ok: true });
  });

  test("updates only messages that exist, and needs channel and ts", async () => {
    const c = client();
    const posted = await c.chat.postMessage({ channel: "C1", text: "first" });
    await expect(c.chat.update({ channel: "C1", ts: "1.000001", text: "x" })).rejects.toMatchObject({ data: { error: "message_not_found" } });
    await expect(c.chat.update({ channel: "C2", ts: posted.ts ?? "", text: "x" })).rejects.toMatchObject({ data: { error: "message_not_found" } });
    await expect(c.chat.update({ channel: "C1", ts: posted.ts ?? "", text: "second" })).resolves.toMatchObject({ ok: true });
    expect(slack.messages.get(`C1/${posted.ts ?? ""}`)).toMatchObject({ text: "second", edits: 1 });
  });

  test("answers 429 with Retry-After when told to", async () => {
    slack.rateLimit("chat.postMessage", 1, 7);
    await expect(client().chat.postMessage({ channel: "C1", text: "x" })).rejects.toMatchObject({ code: "slack_webapi_rate_limited_error", retryAfter: 7 });
    await expect(client().chat.postMessage({ channel: "C1", text: "x" })).resolves.toMatchObject({ ok: true });
  });

  test("takes a file through files.uploadV2", async () => {
    await client().files.uploadV2({ channel_id: "C1", filename: "r.md", content: "# Incident Report: x\n", title: "R" });
    expect(slack.files.at(-1)).toMatchObject({ filename: "r.md", channel: "C1", title: "R", content: "# Incident Report: x\n" });
  });
});
