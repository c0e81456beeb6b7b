// Claims and records raced by two real processes on one redis-server, and on one SQLite file: each key is won by exactly one of them.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { claimOnce, takeOnce } from "../../../src/store/redis-claims.js";
import { RedisStore, SqliteStore, type Store } from "../../../src/store/index.js";
import { systemClock } from "../../../src/time.js";
import { spawnTs, type NodeChild } from "../../harness/node-child.js";
import { redisAvailability, startRedis, type RedisInstance } from "../../harness/redis.js";

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
const CHILD = fileURLToPath(new URL("./keyed-race-child.ts", import.meta.url));
const N = 200;

/** Sends one race command to both children at once; the keys each one won. */
async function race(children: readonly NodeChild[], command: string): Promise<string[][]> {
  for (const c of children) c.send(command);
  return Promise.all(children.map(async (c) => JSON.parse(await c.nextLine()) as string[]));
}

/** Every key won by exactly one of the two. */
function expectSplit(won: readonly string[][], prefix: string): void {
  const all = won.flat();
  expect(all).toHaveLength(N);
  expect(new Set(all)).toEqual(new Set(Array.from({ length: N }, (_, i) => `${prefix}-${i}`)));
}

const redis = redisAvailability();
describe.skipIf(redis.missing !== undefined)(`claims and records across processes${redis.missing ? ` — SKIPPED: ${redis.missing}` : ""}`, () => {
  let server: RedisInstance;
  let children: NodeChild[] = [];
  let store: Store;
  const namespace = "race";
  beforeAll(async () => {
    server = await startRedis();
    store = await RedisStore.connect(server.url, { clock: systemClock }, { namespace });
    children = [0, 1].map(() => spawnTs(CHILD, [server.url, namespace], { cwd: ROOT }));
    for (const c of children) expect(await c.nextLine()).toBe("ready");
  });
  afterAll(async () => {
    for (const c of children) c.send("exit");
    for (const c of children) await c.exit();
    await store?.close();
    await server?.cleanup();
  });

  test(`${N} claims raced by two processes: each key claimed exactly once, and the store names the winner`, async () => {
    const won = await race(children, `claim post ${N}`);
    expectSplit(won, "post");
    // The store names the winner of each key to a third caller.
    const holders = await Promise.all(won.flatMap((w, i) => w.map(async (k) => [i, (await store.claim(k, "someone-else", 60_000)).owner] as const)));
    const ownerOf = new Map<number, Set<string>>();
    for (const [i, o] of holders) ownerOf.set(i, (ownerOf.get(i) ?? new Set()).add(o));
    for (const [, owners] of ownerOf) expect(owners.size).toBe(1);
  });

  test("expired claims let a later claim win: keys claimed for 1 ms are won again, once each", async () => {
    for (let i = 0; i < N; i++) expect((await store.claim(`short-${i}`, "test", 1)).claimed).toBe(true);
    // The server expires them by its own clock; wait (in round trips, not sleeps) until every one is gone.
    const raw = new Redis(server.url);
    const keys = Array.from({ length: N }, (_, i) => `${namespace}:v1:claim:short-${i}`);
    for (let i = 0; i < 10_000 && (await raw.exists(...keys)) > 0; i++);
    expect(await raw.exists(...keys)).toBe(0);
    raw.disconnect();
    const won = await race(children, `claim short ${N}`);
    expectSplit(won, "short");
  });

  test(`${N} records taken by two processes at once: each one taken exactly once, then gone`, async () => {
    for (let i = 0; i < N; i++) await store.putRecord("approval", `ap-${i}`, { i }, 60_000);
    const won = await race(children, `take ap ${N}`);
    expectSplit(won, "ap");
    for (let i = 0; i < N; i++) expect(await store.getRecord("approval", `ap-${i}`)).toBeUndefined();
  });

  test("a claim or take re-run after a lost reply answers as its first run did; any other call does not get it", async () => {
    const raw = new Redis(server.url);
    try {
      const claim = claimOnce("lost:claim", "owner-a", 60_000);
      expect(await claim(raw)).toEqual({ claimed: true, owner: "owner-a" });
      expect(await claim(raw)).toEqual({ claimed: true, owner: "owner-a" });
      expect(await claimOnce("lost:claim", "owner-a", 60_000)(raw)).toEqual({ claimed: false, owner: "owner-a" });
      await raw.set("lost:record", '{"v":1}');
      const take = takeOnce("lost:record", "lost:taken");
      expect(await take(raw)).toBe('{"v":1}');
      expect(await take(raw)).toBe('{"v":1}');
      expect(await takeOnce("lost:record", "lost:taken")(raw)).toBeUndefined();
    } finally {
      raw.disconnect();
    }
  });
});

describe("claims and records across processes on the embedded database", () => {
  let dir: string;
  let children: NodeChild[] = [];
  let store: Store;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "fw-sqlite-race-"));
    const db = join(dir, "firewatch.db");
    store = await SqliteStore.open(db, { clock: systemClock });
    children = [0, 1].map(() => spawnTs(CHILD, [`sqlite:${db}`, ""], { cwd: ROOT }));
    for (const c of children) expect(await c.nextLine()).toBe("ready");
  });
  afterAll(async () => {
    for (const c of children) c.send("exit");
    for (const c of children) await c.exit();
    await store?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test(`${N} claims and ${N} takes raced by two processes: each key won exactly once`, async () => {
    expectSplit(await race(children, `claim post ${N}`), "post");
    for (let i = 0; i < N; i++) await store.putRecord("approval", `ap-${i}`, { i }, 60_000);
    expectSplit(await race(children, `take ap ${N}`), "ap");
    for (let i = 0; i < N; i++) expect(await store.getRecord("approval", `ap-${i}`)).toBeUndefined();
  });
});
