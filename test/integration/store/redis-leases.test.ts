// Source leases and fenced commits on a real redis-server: tokens grow per tenure, a stale token cannot commit.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { RedisStore, STORE_VERSION, type WatcherInfo } from "../../../src/store/index.js";
import { systemClock } from "../../../src/time.js";
import { redisAvailability, startRedis, type RedisInstance } from "../../harness/redis.js";
import { snapshot } from "../../unit/store/support.js";

const avail = redisAvailability();

describe.skipIf(avail.missing !== undefined)(`source leases on Redis ${avail.missing ?? ""}`, () => {
  let server: RedisInstance;
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    await server?.cleanup();
  });
  const open = async () => {
    const store = await RedisStore.connect(server.url, { clock: systemClock }, { namespace: `l${randomUUID().slice(0, 8)}` });
    return { store, board: store.leaseBoard(2_000) };
  };

  test("a commit under a lease taken over since is refused `fenced` and writes nothing; the new holder's lands", async () => {
    const { store, board } = await open();
    try {
      const a = await board.acquire("s1", "wa", 200);
      expect(a).toBe(1);
      expect(await board.acquire("s1", "wb", 200)).toBeUndefined();
      await store.commit({ snapshots: [snapshot({ fingerprint: "fp1" })], cursors: { s1: "10" }, run: "ra", fences: { s1: 1 } });
      // wa stops renewing (a pause longer than the lease): wb takes the source over with a newer token.
      await new Promise((r) => setTimeout(r, 300));
      const b = await board.acquire("s1", "wb", 5_000);
      expect(b).toBe(2);
      await expect(store.commit({ snapshots: [snapshot({ fingerprint: "fp2" })], cursors: { s1: "20" }, run: "ra", fences: { s1: 1 } })).rejects.toMatchObject({ reason: "fenced" });
      expect(await store.getCursor("s1")).toBe("10");
      expect(await store.get("fp2")).toBeUndefined();
      // wa's renewal says it lost the lease; wb commits.
      expect(await board.renew("s1", "wa", 1, 5_000)).toBe(false);
      await store.commit({ snapshots: [], cursors: { s1: "15" }, run: "rb", fences: { s1: 2 } });
      expect(await store.getCursor("s1")).toBe("15");
    } finally {
      await board.close();
      await store.close();
    }
  });

  test("a lease that ran out but was not taken is renewed under the same token; release gives it up", async () => {
    const { store, board } = await open();
    try {
      const t = await board.acquire("s1", "wa", 100);
      await new Promise((r) => setTimeout(r, 200));
      expect((await board.survey(["s1"])).leases[0]?.owner).toBeUndefined();
      expect(await board.renew("s1", "wa", t ?? 0, 5_000)).toBe(true);
      expect((await board.survey(["s1"])).leases[0]).toMatchObject({ owner: "wa", token: 1 });
      expect(await board.release("s1", "wb", 1)).toBe(false);
      expect(await board.release("s1", "wa", 1)).toBe(true);
      expect(await board.acquire("s1", "wb", 5_000)).toBe(2);
    } finally {
      await board.close();
      await store.close();
    }
  });

  test("the survey lists live watchers only, with every source ever leased", async () => {
    const { store, board } = await open();
    try {
      const info = (id: string): WatcherInfo => ({ v: STORE_VERSION, id, host: "h", pid: 1, startedAt: 0, sources: 0 });
      await board.heartbeat(info("w1"), 5_000);
      await board.heartbeat(info("w2"), 100);
      await board.acquire("old", "w1", 5_000);
      await new Promise((r) => setTimeout(r, 200));
      const s = await board.survey(["s1"]);
      expect(s.watchers.map((w) => w.info.id)).toEqual(["w1"]);
      expect(s.leases.map((l) => [l.source, l.owner])).toEqual([["old", "w1"], ["s1", undefined]]);
      await board.leave("w1");
      expect((await board.survey([])).watchers).toEqual([]);
    } finally {
      await board.close();
      await store.close();
    }
  });

  test("fences on a store without leases are refused", async () => {
    const { SqliteStore } = await import("../../../src/store/index.js");
    const { makeTempDir } = await import("../../harness/program.js");
    const tmp = await makeTempDir("fence-sqlite");
    const s = await SqliteStore.open(`${tmp.path}/fw.db`, { clock: systemClock });
    try {
      await expect(s.commit({ snapshots: [], cursors: { a: "1" }, fences: { a: 1 } })).rejects.toMatchObject({ reason: "invalid" });
    } finally {
      await s.close();
      await tmp.remove();
    }
  });
});
