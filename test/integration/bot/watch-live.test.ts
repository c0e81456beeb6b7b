// `firewatch watch` posting live: seed 000's crash loop appended to a followed file → one post, updated in place.
import { appendFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startFakeSlack, type FakeSlack } from "../../harness/fake-slack.js";
import { makeTempDir } from "../../harness/program.js";
import { startWatch, writeConfig, type WatchProcess } from "../daemon/watch-process.js";
import { crashLoop } from "./rogue.js";

const CH = "C0ONCALL";
const UNIT = "transcription-palantir";
const MESSAGE = "Error: Failed to start server. Is port 9003 in use?";
const ENV = { FIREWATCH_SLACK__BOT_TOKEN: "xoxb-test-token", FIREWATCH_SLACK__SIGNING_SECRET: "watch-signing-secret" };

describe("firewatch watch with a slack section", () => {
  let slack: FakeSlack;
  let dir: { path: string; remove(): Promise<void> };
  let w: WatchProcess | undefined;
  const saved = new Map<string, string | undefined>();

  beforeAll(async () => {
    slack = await startFakeSlack();
    dir = await makeTempDir("bot-watch");
    // The child inherits the environment: tokens come from there, never from the file.
    for (const [k, v] of Object.entries(ENV)) {
      saved.set(k, process.env[k]);
      process.env[k] = v;
    }
  });
  afterAll(async () => {
    if (w) await w.term().catch(() => undefined);
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await slack?.close();
    await dir?.remove();
  });

  test("posts the incident once at counter 476, then updates the same message to 485", async () => {
    const log = path.join(dir.path, "journal.log");
    const end = Date.now();
    await writeFile(log, crashLoop(UNIT, 466, 476, end - 81_000, MESSAGE));
    const config = await writeConfig(path.join(dir.path, "fw.yaml"), {
      sources: [{ kind: "file", name: "journal", paths: [log], startAt: "beginning", poll: "100ms" }],
      store: { url: `file:${path.join(dir.path, "state")}` },
      slack: { apiUrl: slack.apiUrl, port: 0, minUpdateInterval: 1000, routing: { channel: CH } },
    });
    w = startWatch(config);
    const first = await slack.waitFor(() => slack.postsIn(CH).find((m) => JSON.stringify(m.blocks).includes("restart counter *476*")), 60_000);
    expect(JSON.stringify(first.blocks)).toContain("port *9003*");

    await appendFile(log, crashLoop(UNIT, 477, 485, end, MESSAGE));
    await slack.waitFor(() => (JSON.stringify(slack.postsIn(CH)[0]?.blocks).includes("restart counter *485*") ? true : undefined), 60_000);
    const posts = slack.postsIn(CH);
    expect(posts).toHaveLength(1);
    expect(posts[0]?.ts).toBe(first.ts);
    expect(posts[0]?.edits).toBeGreaterThan(0);
    expect(slack.repliesTo(CH, first.ts).length).toBeGreaterThan(0);
    expect(await w.term()).toBe(0);
    // What an operator reads on stderr at start: Slack on, and where its receiver and /healthz listen.
    expect(w.proc.stderr()).toMatch(/"msg":"Slack is on: its HTTP receiver listens on http:\/\/127\.0\.0\.1:\d+\/slack\/events\."/);
    expect(w.proc.stderr()).toMatch(/"host":"127\.0\.0\.1","port":\d+,"msg":"Serving \/healthz and \/metrics\."/);
    w = undefined;
  }, 120_000);
});
