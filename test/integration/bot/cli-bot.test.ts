// `firewatch bot` in-process: Slack off says so; configured, it serves a signed /firewatch and posts stored incidents.
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { Command } from "commander";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { signSlackRequest } from "../../../src/bot/verify.js";
import { registerBot } from "../../../src/cli/bot.js";
import { systemClock } from "../../../src/time.js";
import { startFakeSlack, type FakeSlack } from "../../harness/fake-slack.js";
import { makeTempDir } from "../../harness/program.js";
import { storeSeed000 } from "./seed-store.js";

let slack: FakeSlack;
let dir: { path: string; remove(): Promise<void> };

beforeAll(async () => {
  slack = await startFakeSlack();
  dir = await makeTempDir("bot-cli");
  // Another process stored the incident earlier: the bot must post it from the store.
  await storeSeed000(dir.path);
});
afterAll(async () => {
  await slack.close();
  await dir.remove();
});

function program(env: NodeJS.ProcessEnv, extra: { signal?: AbortSignal; onReady?: (port: number | undefined) => void; stderr?: string[] } = {}) {
  const p = new Command("firewatch").exitOverride();
  registerBot(p, {
    env,
    stderr: { write: (s: string) => extra.stderr?.push(s) },
    clock: systemClock,
    log: pino({ level: "silent" }),
    ...(extra.signal ? { signal: extra.signal } : {}),
    ...(extra.onReady ? { onReady: extra.onReady } : {}),
  });
  return p;
}

describe("firewatch bot", () => {
  test("without Slack configured it says that Slack is off", async () => {
    await expect(program({}).parseAsync(["node", "firewatch", "bot"])).rejects.toMatchObject({ code: "usage", message: expect.stringContaining("Slack is off") });
  });

  test("a half configuration is refused with the field that is missing", async () => {
    const env = { FIREWATCH_SLACK__BOT_TOKEN: "xoxb-test-token", FIREWATCH_SLACK__CHANNEL: "C0ONCALL" };
    await expect(program(env).parseAsync(["node", "firewatch", "bot", "--store", `file:${dir.path}`])).rejects.toMatchObject({
      code: "config_invalid",
      message: expect.stringContaining("slack.signingSecret"),
    });
  });

  test("configured, it posts the stored incident once and answers a signed /firewatch list", async () => {
    const secret = "cli-signing-secret-123";
    const env = {
      FIREWATCH_SLACK__BOT_TOKEN: "xoxb-test-token",
      FIREWATCH_SLACK__SIGNING_SECRET: secret,
      FIREWATCH_SLACK__CHANNEL: "C0ONCALL",
      FIREWATCH_SLACK__API_URL: slack.apiUrl,
      FIREWATCH_SLACK__PORT: "0",
    };
    const ctl = new AbortController();
    const stderr: string[] = [];
    let ready: (port: number | undefined) => void = () => undefined;
    const started = new Promise<number | undefined>((resolve) => (ready = resolve));
    const run = program(env, { signal: ctl.signal, onReady: (p) => ready(p), stderr }).parseAsync(["node", "firewatch", "bot", "--store", `file:${dir.path}`, "--poll", "1s"]);
    try {
      const port = await started;
      expect(stderr.join("")).toContain(`listening on http://127.0.0.1:${port}/slack/events`);
      await slack.waitFor(() => (slack.postsIn("C0ONCALL").length === 1 ? true : undefined));
      const timestamp = String(Math.floor(Date.now() / 1000));
      const body = new URLSearchParams({ command: "/firewatch", text: "list", user_id: "U0ALICE", channel_id: "C0ONCALL", response_url: slack.responseUrl("cli"), team_id: "T0FAKE", trigger_id: "t" }).toString();
      const res = await fetch(`http://127.0.0.1:${port}/slack/events`, {
        method: "POST",
        body,
        headers: { "content-type": "application/x-www-form-urlencoded", "x-slack-request-timestamp": timestamp, "x-slack-signature": signSlackRequest(secret, timestamp, body) },
      });
      expect(res.status).toBe(200);
      const reply = await slack.waitFor(() => slack.responses.find((r) => r.id === "cli")?.body);
      expect(JSON.stringify(reply)).toContain("fw-");
      expect(slack.postsIn("C0ONCALL")).toHaveLength(1);
    } finally {
      ctl.abort();
      await run;
    }
  });

  test("--config firewatch.yaml: Slack, store and guard from the file; without a token secret the buttons are off and say why", async () => {
    const secret = "cli-signing-secret-456";
    const file = path.join(dir.path, "firewatch.yaml");
    await writeFile(
      file,
      [
        "store:",
        `  url: "file:${dir.path}"`,
        "slack:",
        `  apiUrl: "${slack.apiUrl}"`,
        "  port: 0",
        "  routing: { channel: C0ONCALL }",
        "guard:",
        "  actions:",
        "    kill_port_owner: { users: [U0ALICE, U0BOB], channels: [C0ONCALL], hosts: [local], ports: [9003], targets: [\"transcription-*\"] }",
      ].join("\n"),
    );
    const env = { FIREWATCH_SLACK__BOT_TOKEN: "xoxb-test-token", FIREWATCH_SLACK__SIGNING_SECRET: secret };
    const run = async (extra: Record<string, string>): Promise<string> => {
      const ctl = new AbortController();
      const stderr: string[] = [];
      let ready: () => void = () => undefined;
      const started = new Promise<void>((resolve) => (ready = resolve));
      const done = program({ ...env, ...extra }, { signal: ctl.signal, onReady: () => ready(), stderr }).parseAsync(["node", "firewatch", "bot", "--config", file]);
      await Promise.race([started, done]);
      ctl.abort();
      await done;
      return stderr.join("");
    };
    const off = await run({});
    expect(off).toContain("remediation buttons are off: no action token secret");
    expect(off).toContain("listening on http://127.0.0.1:");
    const on = await run({ FIREWATCH_GUARD__SECRET: "0123456789abcdef0123456789abcdef-cli" });
    expect(on).not.toContain("remediation buttons are off");
    expect(on).toContain("listening on http://127.0.0.1:");
  });

  test("--config without a slack section says that Slack is off", async () => {
    const file = path.join(dir.path, "no-slack.yaml");
    await writeFile(file, "store:\n  url: \"file:/tmp\"\n");
    await expect(program({}).parseAsync(["node", "firewatch", "bot", "--config", file])).rejects.toMatchObject({ code: "usage", message: expect.stringContaining("has no slack section") });
  });
});
