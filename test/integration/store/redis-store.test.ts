import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { RedisStore, UpsertBuffer, type Store } from "../../../src/store/index.js";
import { systemClock, type Clock } from "../../../src/time.js";
import { spawnTs } from "../../harness/node-child.js";
import { redisAvailability, startRedis, type RedisInstance } from "../../harness/redis.js";
import { describeStoreContract } from "../../unit/store/contract.js";
import { snapshot, testClock } from "../../unit/store/support.js";

const redis = redisAvailability();
const ROOT = fileURLToPath(new URL("../../..", import.meta.url));

describe.skipIf(redis.missing !== undefined)(`RedisStore on a real redis-server${redis.missing ? ` — SKIPPED: ${redis.missing}` : ""}`, () => {
  let server: RedisInstance;
  let raw: Redis;
  const stores: Store[] = [];
  const connect = async (namespace: string, opts: { unavailableAfterMs?: number; retentionMs?: number } = {}, clock: Clock = testClock()) => {
    const s = await RedisStore.connect(server.url, { clock }, { namespace, ...opts });
    stores.push(s);
    return s;
  };
  const ns = () => `t${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    server = await startRedis();
    raw = new Redis(server.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => 50 });
    raw.on("error", () => undefined);
  });
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
  });
  afterAll(async () => {
    raw?.disconnect();
    await server?.cleanup();
  });

  describeStoreContract("RedisStore", async () => {
    const namespace = ns();
    return { open: (deps) => RedisStore.connect(server.url, deps, { namespace }), cleanup: async () => undefined };
  });

  test("keys are namespaced and versioned: NAMESPACE:version and NAMESPACE:v1:*", async () => {
    const n = ns();
    const store = await connect(n);
    await store.upsert(snapshot());
    await store.addSilence({ match: { host: "x" }, by: "t", durationMs: 60_000 });
    await store.setCursor("journald:h", "c1");
    const keys = await raw.keys(`${n}*`);
    expect(keys.length).toBeGreaterThanOrEqual(7);
    for (const k of keys) expect(k).toMatch(new RegExp(`^${n}:(version|v1:.+)$`));
    expect(await raw.get(`${n}:version`)).toBe("1");
  });

  test("TTLs: resolved incidents expire after the retention, silences at their expiry; live incidents and cursors never", async () => {
    const n = ns();
    const store = await connect(n, { retentionMs: 7 * 86_400_000 });
    const live = snapshot({ fingerprint: "fp-live" });
    const done = snapshot({ fingerprint: "fp-done" });
    await store.upsert(live);
    await store.upsert(done);
    await store.resolve(done.id, "t");
    await store.addSilence({ match: { host: "x" }, by: "t", durationMs: 3_600_000 });
    await store.setCursor("journald:h", "c1");
    expect(await raw.pttl(`${n}:v1:incident:fp-live`)).toBe(-1);
    const resolvedTtl = await raw.pttl(`${n}:v1:incident:fp-done`);
    expect(resolvedTtl).toBeGreaterThan(7 * 86_400_000 - 60_000);
    expect(resolvedTtl).toBeLessThanOrEqual(7 * 86_400_000);
    const [silenceKey] = await raw.keys(`${n}:v1:silence:*`);
    const silenceTtl = await raw.pttl(silenceKey ?? "");
    expect(silenceTtl).toBeGreaterThan(3_600_000 - 60_000);
    expect(silenceTtl).toBeLessThanOrEqual(3_600_000);
    expect(await raw.pttl(`${n}:v1:cursors`)).toBe(-1);
    // It reopens: the TTL goes away again.
    await store.upsert(snapshot({ fingerprint: "fp-done", count: 8, lastSeen: Date.UTC(2025, 11, 27) }));
    expect(await raw.pttl(`${n}:v1:incident:fp-done`)).toBe(-1);
  });

  test("a namespace written by another layout version is refused with a clear error", async () => {
    const n = ns();
    await raw.set(`${n}:version`, "2");
    await raw.set(`${n}:v2:incident:abc`, '{"v":2}');
    await expect(RedisStore.connect(server.url, { clock: testClock() }, { namespace: n })).rejects.toMatchObject({
      reason: "version",
      message: expect.stringContaining("layout version 2"),
    });
  });

  test("a value of another version or not JSON is reported with its key, not misread", async () => {
    const n = ns();
    const store = await connect(n);
    await raw.set(`${n}:v1:incident:fp-v2`, JSON.stringify({ v: 2, incident: {} }));
    await raw.set(`${n}:v1:incident:fp-junk`, "}{ not json");
    await expect(store.get("fp-v2")).rejects.toMatchObject({ reason: "version", message: expect.stringContaining(`${n}:v1:incident:fp-v2`) });
    await expect(store.get("fp-junk")).rejects.toMatchObject({ reason: "corrupt", message: expect.stringContaining(`${n}:v1:incident:fp-junk`) });
  });

  test("two real processes racing on the same fingerprints create each incident exactly once", async () => {
    const n = ns();
    const script = fileURLToPath(new URL("./race-child.ts", import.meta.url));
    const children = [0, 1].map(() => spawnTs(script, [server.url, n, "200", "5"], { cwd: ROOT }));
    for (const c of children) expect(await c.nextLine()).toBe("ready");
    for (const c of children) c.send("go");
    const outcomes = await Promise.all(children.map(async (c) => JSON.parse(await c.nextLine()) as Record<string, number>));
    for (const c of children) expect((await c.exit()).code).toBe(0);
    const created = outcomes.reduce((n2, o) => n2 + (o.created ?? 0), 0);
    expect(created).toBe(200);
    const store = await connect(n);
    const all = await store.list();
    expect(all).toHaveLength(200);
    for (const s of all) {
      expect(s.incident.findings[0]?.count).toBe(5);
      expect(s.history.filter((h) => h.event === "created")).toHaveLength(1);
    }
    expect(await store.listAudit({ action: "incident.created" })).toHaveLength(200);
  });

  test("Redis stopped mid-run: an operation waits, nothing crashes, and it lands when Redis returns", async () => {
    const n = ns();
    const store = await connect(n, {}, systemClock);
    await store.upsert(snapshot({ fingerprint: "before" }));
    await server.stop();
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on("warning", onWarning);
    // Many operations waiting at once share one wait for the connection (no listener leak warning).
    const pending = Array.from({ length: 50 }, (_, i) => store.upsert(snapshot({ fingerprint: `during-${i}` })));
    await server.restart();
    const outcomes = await Promise.all(pending);
    process.off("warning", onWarning);
    expect(outcomes.every((r) => r.outcome === "created")).toBe(true);
    expect(await store.list()).toHaveLength(51);
    expect(warnings).toEqual([]);
  });

  test("Redis down longer than the bound: a clear 'unavailable' error, then recovery when it is back", async () => {
    const n = ns();
    // Longer than the client's longest reconnect backoff (1 s), so the first operation after the restart gets through.
    const store = await connect(n, { unavailableAfterMs: 1_500 }, systemClock);
    await store.upsert(snapshot({ fingerprint: "kept" }));
    await server.stop();
    await expect(store.upsert(snapshot({ fingerprint: "refused" }))).rejects.toMatchObject({
      reason: "unavailable",
      message: expect.stringMatching(/Redis at 127\.0\.0\.1:\d+ is unreachable .*did not happen/),
    });
    await server.restart();
    expect((await store.upsert(snapshot({ fingerprint: "after" }))).outcome).toBe("created");
    expect((await store.list()).map((s) => s.incident.fingerprint).sort()).toEqual(["after", "kept"]);
  });

  test("Redis down past the bound: a commit fails 'unavailable' having written nothing, and lands whole when retried", async () => {
    const n = ns();
    const store = await connect(n, { unavailableAfterMs: 1_500 }, systemClock);
    await store.commit({ snapshots: [snapshot({ fingerprint: "c-1", count: 1 })], cursors: { s: "1" } });
    await server.stop();
    const batch = { snapshots: [snapshot({ fingerprint: "c-1", count: 2, lastSeen: Date.UTC(2025, 11, 27) }), snapshot({ fingerprint: "c-2" })], cursors: { s: "2" } };
    await expect(store.commit(batch)).rejects.toMatchObject({ reason: "unavailable", message: expect.stringContaining("did not happen") });
    await server.restart();
    expect(await store.getCursor("s")).toBe("1");
    expect((await store.get("c-1"))?.incident.findings[0]?.count).toBe(1);
    expect((await store.commit(batch)).map((r) => r.outcome)).toEqual(["updated", "created"]);
    expect(await store.getCursor("s")).toBe("2");
  });

  test("Redis down past the bound behind an UpsertBuffer: snapshots are kept and stored once Redis is back", async () => {
    const n = ns();
    const store = await connect(n, { unavailableAfterMs: 1_500 }, systemClock);
    const buffer = new UpsertBuffer(store);
    await server.stop();
    expect((await buffer.upsert(snapshot({ fingerprint: "while-down", count: 3 }))).outcome).toBe("deferred");
    await server.restart();
    const stored = await buffer.flush();
    expect(stored.map((r) => [r.incident.incident.fingerprint, r.outcome])).toEqual([["while-down", "created"]]);
    expect(buffer.pending).toBe(0);
    expect((await store.get("while-down"))?.incident.findings[0]?.count).toBe(3);
  });

  test("redis-server killed with -9 and restarted: every acknowledged write is still there", async () => {
    const n = ns();
    const store = await connect(n, {}, systemClock);
    for (let i = 0; i < 20; i++) await store.upsert(snapshot({ fingerprint: `k-${i}` }));
    await store.acknowledge("k-3", "cli:alice");
    await server.kill9();
    await server.restart();
    const all = await store.list();
    expect(all).toHaveLength(20);
    expect((await store.get("k-3"))?.status).toBe("acknowledged");
  });

  test("an incident record written before probes existed reads with probes [] and takes new ones", async () => {
    const n = ns();
    const store = await connect(n);
    const { readFile } = await import("node:fs/promises");
    const state = JSON.parse(await readFile(new URL("../../unit/store/fixtures/state-before-probes.json", import.meta.url), "utf8")) as { incidents: { incident: { fingerprint: string } }[] };
    const old = state.incidents[0];
    if (!old) throw new Error("fixture has no incident");
    await raw.set(`${n}:v1:incident:${old.incident.fingerprint}`, JSON.stringify(old));
    await raw.zadd(`${n}:v1:incidents`, 1, old.incident.fingerprint);
    await raw.hset(`${n}:v1:ids`, "fw-0a1b2c3d", old.incident.fingerprint);
    expect((await store.get("fw-0a1b2c3d"))?.probes).toEqual([]);
    const probe = { probe: "port_owner", params: { port: 9003 }, host: "mithrandir", at: 1, ok: true, summary: "PID 1 holds 9003" };
    expect((await store.setProbes("fw-0a1b2c3d", [probe])).probes).toEqual([probe]);
    expect((await store.list()).map((s) => s.probes)).toEqual([[probe]]);
  });
});
