// End to end: seed 000's journal through the real pipeline into the store, then into Slack (the local fake).
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createSlackClient } from "../../../src/bot/client.js";
import { createIncidentPoster } from "../../../src/bot/poster.js";
import { SlackRoutingSchema } from "../../../src/bot/routing.js";
import { SlackAccessSchema } from "../../../src/bot/access.js";
import { runCommand } from "../../../src/bot/slash-command.js";
import { runAnalyze } from "../../../src/cli/analyze.js";
import { loadRules } from "../../../src/rules/index.js";
import { FileStore, type Store } from "../../../src/store/index.js";
import { startFakeSlack, type FakeSlack } from "../../harness/fake-slack.js";
import { makeTempDir } from "../../harness/program.js";

const FIXTURE = path.resolve("fixtures/seed-000-port-conflict");
const CH = "C0ONCALL";

let slack: FakeSlack;
let dir: { path: string; remove(): Promise<void> };
let store: Store;
let now = Date.parse("2025-12-26T22:56:00Z");
const clock = { now: () => now, sleep: () => Promise.resolve() };

beforeAll(async () => {
  slack = await startFakeSlack({ now: clock.now });
  dir = await makeTempDir("bot-seed000");
  store = await FileStore.open(path.join(dir.path, "state"), { clock });
});
afterAll(async () => {
  await store.close();
  await slack.close();
  await dir.remove();
});

const blocksText = (blocks: unknown[] | undefined) => JSON.stringify(blocks ?? []);

describe("seed 000 in Slack", () => {
  test("one post when the loop is seen at restart 476, then the same message updated to 485", async () => {
    const journal = await readFile(path.join(FIXTURE, "journal.log"), "utf8");
    const lines = journal.split("\n");
    const cut = lines.findIndex((l) => l.includes("restart counter is at 477."));
    expect(cut).toBeGreaterThan(0);
    expect(lines.slice(0, cut).join("\n")).toContain("restart counter is at 476.");
    const partial = path.join(dir.path, "journal-until-476.log");
    await writeFile(partial, lines.slice(0, cut).join("\n") + "\n");

    const poster = createIncidentPoster({
      client: createSlackClient({ token: "xoxb-test-token", apiUrl: slack.apiUrl }),
      store,
      clock,
      routing: SlackRoutingSchema.parse({ channel: CH }),
    });
    const feed = async (paths: string[]) => {
      const result = await runAnalyze(paths, { rules: [] }, { now: () => now });
      for (const incident of result.incidents) poster.notify(await store.upsert(incident));
      return poster.flush();
    };

    expect(await feed([partial, path.join(FIXTURE, "app.log")])).toMatchObject({ posted: 1, updated: 0, dropped: 0 });
    const [post] = slack.postsIn(CH);
    expect(slack.postsIn(CH)).toHaveLength(1);
    expect(blocksText(post?.blocks)).toContain("restart counter *476*");
    expect(blocksText(post?.blocks)).toContain("port *9003*");
    expect(blocksText(post?.blocks)).toContain("mithrandir");

    now += 60_000;
    expect(await feed([path.join(FIXTURE, "journal.log"), path.join(FIXTURE, "app.log")])).toMatchObject({ posted: 0, updated: 1, dropped: 0 });
    expect(slack.postsIn(CH)).toHaveLength(1);
    expect(slack.callsOf("chat.update")).toHaveLength(1);
    expect(slack.callsOf("chat.update")[0]?.args["ts"]).toBe(post?.ts);
    expect(blocksText(slack.postsIn(CH)[0]?.blocks)).toContain("restart counter *485*");
    // Evidence went to the thread, once.
    expect(slack.repliesTo(CH, post?.ts ?? "")).toHaveLength(1);
    const stored = await store.list();
    expect(stored.map((s) => s.slack?.ts)).toEqual([post?.ts]);

    // The postmortem is reachable from /firewatch report, with the figures the post shows.
    const id = stored[0]?.incident.id ?? "";
    const rules = new Map((await loadRules({ dirs: [] })).map((r) => [r.id, r]));
    const reply = await runCommand(`report ${id}`, { userId: "U0ONCALL", channelId: CH }, { store, clock, access: SlackAccessSchema.parse({ default: { users: ["U0ONCALL"] } }), rules: () => Promise.resolve(rules) });
    expect(reply.file?.filename).toBe(`${id}.md`);
    expect(reply.file?.content).toMatch(/^# Incident Report: /);
    expect(reply.file?.content).toContain("485");
    expect(reply.file?.content).toContain("9003");
  });
});
