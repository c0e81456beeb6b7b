// Two `firewatch bot` processes on one redis-server and one Slack: each incident is posted exactly once (store.claim).
import { createHash } from "node:crypto";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { POST_INTENT_ACTION } from "../../../src/bot/poster.js";
import { incidentId } from "../../../src/incidents/index.js";
import { RedisStore } from "../../../src/store/index.js";
import { systemClock } from "../../../src/time.js";
import { startFakeSlack, type FakeSlack } from "../../harness/fake-slack.js";
import { spawnTs, type NodeChild } from "../../harness/node-child.js";
import { redisAvailability, startRedis, type RedisInstance } from "../../harness/redis.js";
import { finding, incident, T0 } from "../../unit/bot/support.js";

const SCRIPT = path.resolve("test/integration/bot/bot-process.ts");
const CH = "C0ONCALL";
const N = 20;
const avail = redisAvailability();

describe.skipIf(avail.missing !== undefined)(`two bots, one Redis store ${avail.missing ?? ""}`, () => {
  let redis: RedisInstance;
  let slack: FakeSlack;
  let store: RedisStore;
  const children: NodeChild[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    slack = await startFakeSlack();
    store = await RedisStore.connect(redis.url, { clock: systemClock }, { namespace: "double" });
  });
  afterAll(async () => {
    for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill("SIGKILL");
    await store?.close();
    await slack?.close();
    await redis?.cleanup();
  });

  const snapshot = (n: number, counter: number) => {
    const fingerprint = createHash("sha256").update(`double-${n}`).digest("hex");
    const lastSeen = T0 + counter * 1000;
    return incident({ id: incidentId(fingerprint), fingerprint, lastSeen, findings: [finding({ rule: "systemd_restart_loop", lastSeen, fields: { unit: "x", counter: String(counter) } })] });
  };

  test(`${N} new incidents seen by both at once: ${N} posts, each updated in place afterwards`, async () => {
    for (let i = 0; i < 2; i++) children.push(spawnTs(SCRIPT, [redis.url, slack.apiUrl, "double"], { cwd: process.cwd() }));
    for (const c of children) expect(await c.nextLine()).toMatch(/^ready \d+$/);
    // Both are polling (every second) when the incidents appear: they race for every first post.
    await Promise.all(Array.from({ length: N }, (_, n) => store.upsert(snapshot(n, 476))));
    await slack.waitFor(() => (slack.postsIn(CH).length >= N ? true : undefined), 30_000);

    // Both keep polling; a change to every incident must reach the one post each has, never a second post.
    for (let n = 0; n < N; n++) await store.upsert(snapshot(n, 485));
    await slack.waitFor(() => (slack.postsIn(CH).filter((m) => JSON.stringify(m.blocks).includes("counter *485*")).length === N ? true : undefined), 30_000);
    for (const c of children) c.child.kill("SIGTERM");
    for (const c of children) expect((await c.exit()).code).toBe(0);

    const posts = slack.postsIn(CH);
    expect(posts).toHaveLength(N);
    const ids = posts.map((m) => JSON.stringify(m.metadata).match(/fw-[0-9a-f]{8}/)?.[0]);
    expect(new Set(ids).size).toBe(N);
    // Only the claim holder even tried: one post intent per incident.
    expect(await store.listAudit({ action: POST_INTENT_ACTION })).toHaveLength(N);
    for (const s of await store.list()) expect(posts.map((m) => m.ts)).toContain(s.slack?.ts);
  }, 90_000);
});
