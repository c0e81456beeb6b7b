import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { FileStore, isStoreError, RedisStore, SqliteStore, type Store } from "../../../src/store/index.js";
import { redisAvailability, startRedis, type RedisInstance } from "../../harness/redis.js";
import { snapshot, testClock, type TestClock } from "../../unit/store/support.js";

type Op =
  | { kind: "upsert"; fp: number; dt: number; count: number }
  | { kind: "ack" | "resolve"; fp: number }
  | { kind: "auto"; quietMin: number }
  | { kind: "advance"; min: number }
  | { kind: "silence"; host: string; min: number }
  | { kind: "commit"; fps: number[]; dt: number; count: number; run: string | undefined; cursor: number }
  | { kind: "claim" | "release"; key: number; owner: string }
  | { kind: "put" | "take"; key: number; value: number };

const FPS = ["fp-a", "fp-b", "fp-c"];
const HOSTS = ["h1", "h2"];
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("upsert" as const), fp: fc.nat(2), dt: fc.nat(100), count: fc.integer({ min: 1, max: 20 }) }),
  fc.record({ kind: fc.constantFrom("ack" as const, "resolve" as const), fp: fc.nat(2) }),
  fc.record({ kind: fc.constant("auto" as const), quietMin: fc.integer({ min: 1, max: 30 }) }),
  fc.record({ kind: fc.constant("advance" as const), min: fc.nat(30) }),
  fc.record({ kind: fc.constant("silence" as const), host: fc.constantFrom(...HOSTS), min: fc.integer({ min: 1, max: 30 }) }),
  fc.record({
    kind: fc.constant("commit" as const),
    fps: fc.array(fc.nat(2), { minLength: 0, maxLength: 3 }),
    dt: fc.nat(100),
    count: fc.integer({ min: 1, max: 20 }),
    run: fc.constantFrom(undefined, "run-1", "run-2"),
    cursor: fc.nat(1000),
  }),
  // Expiries of a day: longer than the test clock moves, since Redis expires by its own clock.
  fc.record({ kind: fc.constantFrom("claim" as const, "release" as const), key: fc.nat(2), owner: fc.constantFrom("a", "b") }),
  fc.record({ kind: fc.constantFrom("put" as const, "take" as const), key: fc.nat(2), value: fc.nat(100) }),
);
const DAY = 86_400_000;

/** Runs the ops and returns what an observer sees: each outcome (or error reason), then the final incidents. */
async function observe(store: Store, clock: TestClock, ops: readonly Op[]): Promise<unknown> {
  const seen: unknown[] = [];
  const base = Date.UTC(2025, 11, 26, 22, 0, 0);
  const mark = (await store.changes(undefined)).next;
  for (const o of ops) {
    try {
      if (o.kind === "upsert") {
        const fp = FPS[o.fp] ?? "fp-a";
        // The host is part of what the fingerprint stands for: keep it fixed per fingerprint.
        seen.push((await store.upsert(snapshot({ fingerprint: fp, count: o.count, lastSeen: base + o.dt * 60_000, host: HOSTS[o.fp % 2] ?? "h1" }))).outcome);
      } else if (o.kind === "ack" || o.kind === "resolve") {
        const fp = FPS[o.fp] ?? "";
        seen.push((await (o.kind === "ack" ? store.acknowledge(fp, "u") : store.resolve(fp, "u"))).status);
      }
      else if (o.kind === "auto") seen.push((await store.autoResolve(() => o.quietMin * 60_000)).map((s) => s.incident.fingerprint));
      else if (o.kind === "advance") clock.advance(o.min * 60_000);
      else if (o.kind === "silence") seen.push((await store.addSilence({ match: { host: o.host }, by: "u", durationMs: o.min * 60_000 })).expiresAt);
      else if (o.kind === "commit") {
        const snapshots = o.fps.map((i) => snapshot({ fingerprint: FPS[i] ?? "fp-a", count: o.count, lastSeen: base + o.dt * 60_000, host: HOSTS[i % 2] ?? "h1" }));
        const rs = await store.commit({ snapshots, cursors: { "journald:h1": String(o.cursor) }, ...(o.run ? { run: o.run } : {}) });
        seen.push(rs.map((r) => r.outcome), await store.getCursor("journald:h1"));
      } else if (o.kind === "claim") seen.push(await store.claim(`k${o.key}`, o.owner, DAY));
      else if (o.kind === "release") seen.push(await store.release(`k${o.key}`, o.owner));
      else if (o.kind === "put") await store.putRecord("approval", `r${o.key}`, { value: o.value }, DAY);
      else if (o.kind === "take") seen.push(await store.takeRecord("approval", `r${o.key}`));
    } catch (e) {
      if (!isStoreError(e)) throw e;
      seen.push(`error:${e.reason}`);
    }
  }
  const list = await store.list();
  seen.push(
    list.map((s) => ({
      fp: s.incident.fingerprint,
      status: s.status,
      counts: s.incident.findings.map((f) => f.count),
      lastSeen: s.incident.lastSeen,
      reopenCount: s.reopenCount,
      flapping: s.flapping,
      silenced: s.silencedBy !== undefined,
      history: s.history.map((h) => `${h.event}@${h.at}`),
    })),
  );
  // Silence ids are random: compare audit targets with them masked.
  seen.push((await store.listAudit()).map((a) => `${a.action}:${(a.target ?? "").replace(/^sil-.*/, "sil")}`));
  // The change feed names the same incidents for the same reasons, in the same order.
  const feed = await store.changes(mark, 10_000);
  seen.push(feed.changes.map((c) => `${c.kind}:${c.incident}@${c.at}`), feed.lost);
  return seen;
}

const redis = redisAvailability();
describe.skipIf(redis.missing !== undefined)(`FileStore, SqliteStore and RedisStore behave the same${redis.missing ? ` — SKIPPED: ${redis.missing}` : ""}`, () => {
  let server: RedisInstance;
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    await server?.cleanup();
  });

  test("property: any sequence of upserts, commits, acks, resolves, auto-resolves, silences, claims, records and time gives the same observations", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 25 }), async (ops) => {
        const dir = await mkdtemp(join(tmpdir(), "fw-equiv-"));
        const fileClock = testClock();
        const redisClock = testClock();
        const sqliteClock = testClock();
        const file = await FileStore.open(dir, { clock: fileClock, flap: { maxReopens: 1, windowMs: 3_600_000 } });
        const sqlite = await SqliteStore.open(join(dir, "eq.db"), { clock: sqliteClock, flap: { maxReopens: 1, windowMs: 3_600_000 } });
        const red = await RedisStore.connect(server.url, { clock: redisClock, flap: { maxReopens: 1, windowMs: 3_600_000 } }, { namespace: `eq${randomUUID().slice(0, 8)}` });
        try {
          const expected = await observe(file, fileClock, ops);
          expect(await observe(red, redisClock, ops)).toEqual(expected);
          expect(await observe(sqlite, sqliteClock, ops)).toEqual(expected);
        } finally {
          await file.close();
          await sqlite.close();
          await red.close();
          await rm(dir, { recursive: true, force: true });
        }
      }),
      { numRuns: 40 },
    );
  }, 120_000);
});
