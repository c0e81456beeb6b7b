// The poster on the shared Redis store: a second process (a new poster, a new connection) adopts a post it never stored.
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createSlackClient } from "../../../src/bot/client.js";
import { createIncidentPoster } from "../../../src/bot/poster.js";
import { SlackRoutingSchema } from "../../../src/bot/routing.js";
import { runAnalyze } from "../../../src/cli/analyze.js";
import { RedisStore, type Store } from "../../../src/store/index.js";
import { systemClock } from "../../../src/time.js";
import { startFakeSlack, type FakeSlack } from "../../harness/fake-slack.js";
import { redisAvailability, startRedis, type RedisInstance } from "../../harness/redis.js";

const CH = "C0ONCALL";
const routing = SlackRoutingSchema.parse({ channel: CH });
let now = Date.parse("2025-12-26T23:00:00Z");
// Time moves when the test says; waiting for the Redis connection waits for real.
const clock = { now: () => now, sleep: systemClock.sleep };

const redis = redisAvailability();
describe.skipIf(redis.missing !== undefined)(`incident posts on a Redis store${redis.missing ? ` — SKIPPED: ${redis.missing}` : ""}`, () => {
  let server: RedisInstance;
  let slack: FakeSlack;
  beforeAll(async () => {
    server = await startRedis();
    slack = await startFakeSlack({ now: clock.now });
  });
  afterAll(async () => {
    await slack?.close();
    await server?.cleanup();
  });

  const poster = (store: Store) => createIncidentPoster({ client: createSlackClient({ token: "xoxb-test-token", apiUrl: slack.apiUrl }), store, clock, routing });

  test("a post whose answer was lost is adopted by another connection; later growth updates it in place", async () => {
    const fixture = path.resolve("fixtures/seed-000-port-conflict");
    const [incident] = (await runAnalyze([path.join(fixture, "journal.log")], { rules: [] }, { now: clock.now })).incidents;
    if (!incident) throw new Error("seed 000 gave no incident");

    const first = await RedisStore.connect(server.url, { clock }, { namespace: "bot" });
    const p1 = poster(first);
    slack.loseAnswerNext("chat.postMessage", 1);
    p1.notify(await first.upsert(incident));
    expect(await p1.flush()).toMatchObject({ posted: 0, deferred: 1 });
    await first.close();

    const second = await RedisStore.connect(server.url, { clock }, { namespace: "bot" });
    try {
      const p2 = poster(second);
      await p2.resync();
      await p2.flush();
      const posts = slack.postsIn(CH);
      expect(posts).toHaveLength(1);
      expect((await second.get(incident.id))?.slack?.ts).toBe(posts[0]?.ts);
      expect(slack.repliesTo(CH, posts[0]?.ts ?? "")).toHaveLength(1);

      now += 60_000;
      const grown = { ...incident, lastSeen: (incident.lastSeen ?? 0) + 60_000, findings: incident.findings.map((f) => (f.rule === "systemd_restart_loop" ? { ...f, count: f.count + 5, fields: { ...f.fields, counter: "490" }, lastSeen: (f.lastSeen ?? 0) + 60_000 } : f)) };
      p2.notify(await second.upsert(grown));
      expect(await p2.flush()).toMatchObject({ posted: 0, updated: 1 });
      expect(slack.postsIn(CH)).toHaveLength(1);
      expect(JSON.stringify(slack.postsIn(CH)[0]?.blocks)).toContain("restart counter *490*");
    } finally {
      await second.close();
    }
  });
});
