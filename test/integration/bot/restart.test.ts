// A real restart mid-post: the bot process is killed after Slack created the message but before it got the answer.
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { FileStore } from "../../../src/store/index.js";
import { systemClock } from "../../../src/time.js";
import { startFakeSlack, type FakeSlack } from "../../harness/fake-slack.js";
import { spawnTs, type NodeChild } from "../../harness/node-child.js";
import { makeTempDir } from "../../harness/program.js";
import { storeSeed000 } from "./seed-store.js";

const SCRIPT = path.resolve("test/integration/bot/bot-process.ts");
const CH = "C0ONCALL";
let slack: FakeSlack;
let dir: { path: string; remove(): Promise<void> };
const children: NodeChild[] = [];

beforeAll(async () => {
  slack = await startFakeSlack();
  dir = await makeTempDir("bot-restart");
  await storeSeed000(dir.path);
});
afterAll(async () => {
  for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill("SIGKILL");
  await slack.close();
  await dir.remove();
});

function startBot(): NodeChild {
  const c = spawnTs(SCRIPT, [dir.path, slack.apiUrl], { cwd: process.cwd() });
  children.push(c);
  return c;
}

describe("firewatch bot killed mid-post", () => {
  test("the next process adopts the post: one message, its ts stored, one evidence reply", async () => {
    const first = startBot();
    slack.beforeAnswerOnce("chat.postMessage", async () => {
      first.child.kill("SIGKILL");
      await first.exit();
    });
    expect(await first.nextLine()).toMatch(/^ready \d+$/);
    expect((await first.exit()).signal).toBe("SIGKILL");
    expect(slack.postsIn(CH)).toHaveLength(1);

    const second = startBot();
    expect(await second.nextLine()).toMatch(/^ready \d+$/);
    const [post] = slack.postsIn(CH);
    await slack.waitFor(() => (slack.callsOf("chat.update").some((c) => c.ok && c.args["ts"] === post?.ts) ? true : undefined), 20_000);
    await slack.waitFor(() => (slack.repliesTo(CH, post?.ts ?? "").length > 0 ? true : undefined), 20_000);
    second.child.kill("SIGTERM");
    expect((await second.exit()).code).toBe(0);

    expect(slack.postsIn(CH)).toHaveLength(1);
    expect(slack.repliesTo(CH, post?.ts ?? "")).toHaveLength(1);
    const store = await FileStore.open(dir.path, { clock: systemClock });
    try {
      const stored = await store.list();
      expect(stored.filter((s) => s.slack !== undefined).map((s) => s.slack?.ts)).toEqual([post?.ts]);
    } finally {
      await store.close();
    }
  }, 60_000);
});
