import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, test } from "vitest";
import { FileStore, StoreError, UpsertBuffer, type Store } from "../../../src/store/index.js";
import { snapshot, testClock } from "./support.js";

let dir: string;
let store: FileStore;
let offline = false;
let flaky: Store;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "fw-buffer-"));
  store = await FileStore.open(dir, { clock: testClock() });
  offline = false;
  // The real store, except that upsert fails as RedisStore does when Redis stays down past its bound.
  flaky = new Proxy(store, {
    get(target, prop) {
      if (prop === "upsert" && offline) return () => Promise.reject(new StoreError("unavailable", "Redis at 127.0.0.1:1 is unreachable"));
      const v: unknown = Reflect.get(target, prop);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
});
afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

test("while the store is down snapshots are kept (latest per fingerprint) and stored in order when it is back", async () => {
  const buffer = new UpsertBuffer(flaky);
  expect((await buffer.upsert(snapshot({ fingerprint: "a" }))).outcome).toBe("created");
  offline = true;
  expect(await buffer.upsert(snapshot({ fingerprint: "a", count: 7, lastSeen: Date.UTC(2025, 11, 27) }))).toEqual({ outcome: "deferred", fingerprint: "a", pending: 1 });
  expect(await buffer.upsert(snapshot({ fingerprint: "b" }))).toEqual({ outcome: "deferred", fingerprint: "b", pending: 2 });
  expect(await buffer.upsert(snapshot({ fingerprint: "a", count: 9, lastSeen: Date.UTC(2025, 11, 28) }))).toMatchObject({ pending: 2 });
  expect(await buffer.flush()).toEqual([]);
  expect(buffer.pending).toBe(2);
  offline = false;
  // The next snapshot first lets the kept ones through, then itself.
  const r = await buffer.upsert(snapshot({ fingerprint: "c" }));
  expect(r.outcome).toBe("created");
  expect(buffer.pending).toBe(0);
  expect((await store.get("b"))?.status).toBe("open");
  expect((await store.get("a"))?.incident.findings[0]?.count).toBe(9);
});

test("the buffer is bounded: past maxPending the oldest fingerprint is dropped and counted", async () => {
  const buffer = new UpsertBuffer(flaky, { maxPending: 2 });
  offline = true;
  for (const fp of ["x", "y", "z"]) await buffer.upsert(snapshot({ fingerprint: fp }));
  expect(buffer.pending).toBe(2);
  expect(buffer.dropped).toBe(1);
  offline = false;
  expect((await buffer.flush()).map((r) => r.incident.incident.fingerprint)).toEqual(["y", "z"]);
  expect(await store.get("x")).toBeUndefined();
});

test("errors other than unavailable are not swallowed", async () => {
  const buffer = new UpsertBuffer(flaky);
  await store.close();
  await expect(buffer.upsert(snapshot())).rejects.toMatchObject({ reason: "invalid" });
  store = await FileStore.open(dir, { clock: testClock() });
});
