// The Store contract for claims (set-if-absent with expiry) and small records with expiry (taken once).
import { describe, expect, test } from "vitest";
import type { ClaimResult, StoredProbe } from "../../../src/store/index.js";
import { useStoreHome, type StoreHome } from "./contract-kit.js";
import { snapshot, type TestClock } from "./support.js";

/**
 * Lets an expiry pass: the test clock moves (file store), and for a store that expires by a real clock (Redis
 * server TTL) the attempt is repeated until it sees the expiry, bounded by a number of round trips, not by sleeping.
 */
async function afterExpiry<T>(clock: TestClock, ms: number, attempt: () => Promise<T>, done: (t: T) => boolean): Promise<T> {
  clock.advance(ms + 1);
  let last = await attempt();
  for (let i = 0; i < 5_000 && !done(last); i++) last = await attempt();
  return last;
}

export function describeKeyedContract(name: string, makeHome: () => Promise<StoreHome>): void {
  describe(`Store contract, claims and records: ${name}`, () => {
    const kit = useStoreHome(makeHome);
    const { open, restart } = kit;

    test("a claim is set once: later callers (the same owner too) are told who holds it", async () => {
      const store = await open();
      expect(await store.claim("slack-post:0a1b2c", "instance-a", 60_000)).toEqual({ claimed: true, owner: "instance-a" });
      expect(await store.claim("slack-post:0a1b2c", "instance-b", 60_000)).toEqual({ claimed: false, owner: "instance-a" });
      expect(await store.claim("slack-post:0a1b2c", "instance-a", 60_000)).toEqual({ claimed: false, owner: "instance-a" });
      expect(await store.claim("slack-post:ffff", "instance-b", 60_000)).toEqual({ claimed: true, owner: "instance-b" });
    });

    test("concurrent claims of one key in one process: exactly one wins, every loser names the winner", async () => {
      const store = await open();
      const rs = await Promise.all(Array.from({ length: 25 }, (_, i) => store.claim("nonce:abc", `o${i}`, 60_000)));
      const winners = rs.filter((r) => r.claimed);
      expect(winners).toHaveLength(1);
      expect(new Set(rs.map((r) => r.owner))).toEqual(new Set([winners[0]?.owner]));
    });

    test("release drops a claim only for its owner; then another can claim it", async () => {
      const store = await open();
      await store.claim("k1", "a", 60_000);
      expect(await store.release("k1", "b")).toBe(false);
      expect((await store.claim("k1", "b", 60_000)).claimed).toBe(false);
      expect(await store.release("k1", "a")).toBe(true);
      expect(await store.release("k1", "a")).toBe(false);
      expect(await store.claim("k1", "b", 60_000)).toEqual({ claimed: true, owner: "b" });
      expect(await store.release("never-claimed", "a")).toBe(false);
    });

    test("an expired claim lets a later claim win", async () => {
      const store = await open();
      expect((await store.claim("k-exp", "a", 5)).claimed).toBe(true);
      const later = await afterExpiry(kit.clock, 5, () => store.claim("k-exp", "b", 60_000), (r: ClaimResult) => r.claimed);
      expect(later).toEqual({ claimed: true, owner: "b" });
      expect(await store.release("k-exp", "a")).toBe(false);
    });

    test("a claim outlives a restart of the store", async () => {
      const first = await open();
      await first.claim("nonce:Zm9v", "guard-1", 60_000);
      const again = await restart();
      expect(await again.claim("nonce:Zm9v", "guard-2", 60_000)).toEqual({ claimed: false, owner: "guard-1" });
    });

    test("a record is read until taken, taken once, and namespaces keep the same key apart", async () => {
      const store = await open();
      const approval = { plan: { incident: "fw-0a1b2c3d", action: "kill_port_owner", params: { pid: "1573680", port: "9003" } }, expiresAt: 1_766_790_000_000 };
      await store.putRecord("approval", "ap-1", approval, 60_000);
      await store.putRecord("grant", "ap-1", { other: true }, 60_000);
      expect(await store.getRecord("approval", "ap-1")).toEqual(approval);
      expect(await store.getRecord("approval", "ap-1")).toEqual(approval);
      expect(await store.takeRecord("approval", "ap-1")).toEqual(approval);
      expect(await store.takeRecord("approval", "ap-1")).toBeUndefined();
      expect(await store.getRecord("approval", "ap-1")).toBeUndefined();
      expect(await store.getRecord("grant", "ap-1")).toEqual({ other: true });
      expect(await store.getRecord("approval", "never")).toBeUndefined();
    });

    test("putting a record again replaces it; records outlive a restart", async () => {
      const first = await open();
      await first.putRecord("grant", "g-1", { n: 1 }, 60_000);
      await first.putRecord("grant", "g-1", { n: 2, list: [1, "two", null] }, 60_000);
      const again = await restart();
      expect(await again.getRecord("grant", "g-1")).toEqual({ n: 2, list: [1, "two", null] });
    });

    test("concurrent takes of one record in one process: exactly one gets it", async () => {
      const store = await open();
      await store.putRecord("approval", "ap-race", "the value", 60_000);
      const got = await Promise.all(Array.from({ length: 25 }, () => store.takeRecord("approval", "ap-race")));
      expect(got.filter((g) => g !== undefined)).toEqual(["the value"]);
    });

    test("an expired record is gone for get and take", async () => {
      const store = await open();
      await store.putRecord("approval", "ap-exp", 42, 5);
      expect(await afterExpiry(kit.clock, 5, () => store.getRecord("approval", "ap-exp"), (v) => v === undefined)).toBeUndefined();
      expect(await store.takeRecord("approval", "ap-exp")).toBeUndefined();
    });

    test("bad namespaces, keys and values of records are refused with 'invalid'", async () => {
      const store = await open();
      for (const ns of ["", "Approval", "a:b", "x".repeat(33), "1st"]) {
        await expect(store.putRecord(ns, "k", 1, 1_000)).rejects.toMatchObject({ reason: "invalid", message: expect.stringContaining("namespace") });
        await expect(store.getRecord(ns, "k")).rejects.toMatchObject({ reason: "invalid" });
      }
      await expect(store.takeRecord("approval", "has space")).rejects.toMatchObject({ reason: "invalid", message: expect.stringContaining("record key") });
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      for (const value of [undefined, () => 1, 10n, cyclic, "x".repeat(70_000)]) {
        await expect(store.putRecord("approval", "k", value, 1_000)).rejects.toMatchObject({ reason: "invalid" });
      }
      await expect(store.putRecord("approval", "k", 1, 0)).rejects.toMatchObject({ reason: "invalid" });
    });

    test("setProbes replaces an incident's probe results; they outlive a restart and later upserts", async () => {
      const first = await open();
      const snap = snapshot();
      expect((await first.upsert(snap)).incident.probes).toEqual([]);
      const owner: StoredProbe = {
        probe: "port_owner",
        params: { port: 9003, unit: "transcription-palantir", all: true },
        host: "mithrandir",
        at: kit.clock.now(),
        ok: true,
        summary: "PID 1573680 (node) holds 9003, PPID 1, outside the unit",
        data: { holders: [{ pid: 1573680, comm: "node", ppid: 1 }] },
      };
      const failed: StoredProbe = { probe: "unit_status", params: {}, host: "mithrandir", at: kit.clock.now(), ok: false, summary: "ssh: connection refused" };
      kit.clock.advance(1_000);
      const set = await first.setProbes(snap.id, [owner, failed]);
      expect(set.probes).toEqual([owner, failed]);
      expect(set.updatedAt).toBe(kit.clock.now());
      await first.upsert(snapshot({ count: 9, lastSeen: Date.UTC(2025, 11, 26, 23) }));
      const again = await restart();
      expect((await again.get(snap.fingerprint))?.probes).toEqual([owner, failed]);
      expect((await again.setProbes(snap.fingerprint, [failed])).probes).toEqual([failed]);
      expect((await again.get(snap.id))?.probes).toEqual([failed]);
    });

    test("setProbes refuses malformed results and unknown incidents", async () => {
      const store = await open();
      await store.upsert(snapshot());
      const bad = [{ probe: "", params: {}, host: "h", at: 1, ok: true, summary: "s" }] as StoredProbe[];
      await expect(store.setProbes(snapshot().id, bad)).rejects.toMatchObject({ reason: "invalid" });
      await expect(store.setProbes(snapshot().id, [{ probe: "p", params: {}, host: "h", at: 1, ok: true, summary: "s", data: 10n }])).rejects.toMatchObject({ reason: "invalid" });
      await expect(store.setProbes("fw-nothere", [])).rejects.toMatchObject({ reason: "not_found" });
      expect((await store.get(snapshot().id))?.probes).toEqual([]);
    });

    test("bad keys, owners and expiries are refused with a clear 'invalid' error", async () => {
      const store = await open();
      for (const key of ["", "has space", "-leading", "x".repeat(201), "new\nline"]) {
        await expect(store.claim(key, "a", 1_000)).rejects.toMatchObject({ reason: "invalid", message: expect.stringContaining("claim key") });
      }
      await expect(store.claim("k", "", 1_000)).rejects.toMatchObject({ reason: "invalid" });
      await expect(store.claim("k", "two words", 1_000)).rejects.toMatchObject({ reason: "invalid" });
      for (const ttl of [0, -1, 1.5, Number.NaN, 31 * 86_400_000]) {
        await expect(store.claim("k", "a", ttl)).rejects.toMatchObject({ reason: "invalid", message: expect.stringContaining("expiry") });
      }
    });
  });
}
