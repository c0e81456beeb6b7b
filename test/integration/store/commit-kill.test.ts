// commit() under kill -9 of the committing process: the incidents and the cursor of a batch land together or not at all.
import { watch } from "node:fs";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { FileStore, RedisStore, SqliteStore, type Store } from "../../../src/store/index.js";
import { systemClock } from "../../../src/time.js";
import { spawnTs, type NodeChild } from "../../harness/node-child.js";
import { redisAvailability, startRedis, type RedisInstance } from "../../harness/redis.js";

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
const WRITER = fileURLToPath(new URL("./commit-writer-child.ts", import.meta.url));
const ROUNDS = 5;

/** The invariant: cursor N ⇔ every incident at count N (nothing stored ⇔ no cursor). Returns N (0 when empty). */
async function checkInvariant(store: Store, acked: number): Promise<number> {
  const cursor = await store.getCursor("journald:mithrandir");
  const counts = (await store.list()).map((s) => s.incident.findings[0]?.count);
  if (cursor === undefined) {
    expect(counts).toEqual([]);
    expect(acked).toBe(-1);
    return 0;
  }
  const n = Number(cursor);
  expect(counts, `cursor ${n}`).toEqual([n, n, n, n, n]);
  expect(n).toBeGreaterThanOrEqual(acked);
  return n;
}

/** Reads acknowledged lines for a while, then kills the child at `kill()`'s moment; the last acknowledged N. */
async function runAndKill(child: NodeChild, lines: number, kill: () => Promise<void>): Promise<number> {
  expect(await child.nextLine()).toBe("ready");
  let acked = -1;
  for (let i = 0; i < lines; i++) acked = Number((await child.nextLine()).slice(3));
  await kill();
  child.child.kill("SIGKILL");
  expect((await child.exit()).signal).toBe("SIGKILL");
  return acked;
}

test("file store: kill -9 mid-commit, five times over, never leaves incidents without their cursor or the reverse", async () => {
  const dir = await mkdtemp(join(tmpdir(), "fw-commit-kill-"));
  try {
    let next = 1;
    for (let round = 0; round < ROUNDS; round++) {
      const child = spawnTs(WRITER, [`file:${dir}`, "firewatch", String(next)], { cwd: ROOT });
      // Kill it while a write is in flight: on the (round+1)-th change the kernel reports in its directory.
      const acked = await runAndKill(child, 5 + round * 3, async () => {
        const watcher = watch(dir);
        let seen = 0;
        await new Promise<void>((resolve) => watcher.on("change", () => { if (++seen > round) resolve(); }));
        watcher.close();
      });
      const store = await FileStore.open(dir, { clock: systemClock });
      next = (await checkInvariant(store, acked)) + 1;
      await store.close();
    }
    expect((await readdir(dir)).filter((n) => n.includes("tmp") || n.includes("corrupt"))).toEqual([]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}, 90_000);

test("embedded database: kill -9 mid-commit, five times over, never leaves incidents without their cursor or the reverse", async () => {
  const dir = await mkdtemp(join(tmpdir(), "fw-commit-kill-sqlite-"));
  const db = join(dir, "firewatch.db");
  try {
    let next = 1;
    for (let round = 0; round < ROUNDS; round++) {
      const child = spawnTs(WRITER, [`sqlite:${db}`, "firewatch", String(next)], { cwd: ROOT });
      // Kill it while the next transaction is on its way (the WAL changes under our eyes: a write in flight).
      const acked = await runAndKill(child, 5 + round * 7, async () => {
        const watcher = watch(dir);
        await new Promise<void>((resolve) => watcher.once("change", () => resolve()));
        watcher.close();
      });
      const store = await SqliteStore.open(db, { clock: systemClock });
      next = (await checkInvariant(store, acked)) + 1;
      await store.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}, 90_000);

const redis = redisAvailability();
describe.skipIf(redis.missing !== undefined)(`commit on a real redis-server${redis.missing ? ` — SKIPPED: ${redis.missing}` : ""}`, () => {
  let server: RedisInstance;
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    await server?.cleanup();
  });

  test("redis store: kill -9 of the committing process, five times over, keeps the invariant", async () => {
    let next = 1;
    for (let round = 0; round < ROUNDS; round++) {
      const child = spawnTs(WRITER, [server.url, "killns", String(next)], { cwd: ROOT });
      // No file to watch here: kill right after an acknowledgement, while the next batch is on its way.
      const acked = await runAndKill(child, 5 + round * 7, async () => undefined);
      const store = await RedisStore.connect(server.url, { clock: systemClock }, { namespace: "killns" });
      next = (await checkInvariant(store, acked)) + 1;
      await store.close();
    }
  }, 90_000);

  test("redis-server itself killed with -9 mid-commits: after restart the invariant holds", async () => {
    const child = spawnTs(WRITER, [server.url, "srvkill", "1"], { cwd: ROOT });
    try {
      expect(await child.nextLine()).toBe("ready");
      let acked = -1;
      for (let i = 0; i < 20; i++) acked = Number((await child.nextLine()).slice(3));
      await server.kill9();
      child.child.kill("SIGKILL");
      await child.exit();
      await server.restart();
      const store = await RedisStore.connect(server.url, { clock: systemClock }, { namespace: "srvkill" });
      await checkInvariant(store, acked);
      await store.close();
    } finally {
      child.child.kill("SIGKILL");
    }
  }, 60_000);
});
