// The Store contract for commit(): batches of snapshots and cursors, equal to upserts one by one; run-aware carry.
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import type { Store, UpsertResult } from "../../../src/store/index.js";
import { useStoreHome, type StoreHome } from "./contract-kit.js";
import { snapshot, testClock } from "./support.js";

const BASE = Date.UTC(2025, 11, 26, 22, 0, 0);

/** What an observer of a store sees, without the random parts (audit ids). */
async function observe(store: Store): Promise<unknown> {
  const audit = (await store.listAudit()).map(({ id: _id, ...rest }) => rest);
  return { incidents: await store.list(), audit };
}

const outcomes = (rs: readonly UpsertResult[]) => rs.map((r) => r.outcome);

export function describeCommitContract(name: string, makeHome: () => Promise<StoreHome>): void {
  describe(`Store contract, commit: ${name}`, () => {
    const kit = useStoreHome(makeHome);
    const { open, restart } = kit;

    test("a batch stores every snapshot and every cursor, with the outcomes and audit of upsert", async () => {
      const store = await open();
      const rs = await store.commit({
        snapshots: [snapshot({ fingerprint: "fp-a" }), snapshot({ fingerprint: "fp-b", host: "h2" })],
        cursors: { "journald:mithrandir": "s=1;i=a", "file:/var/log/x.log": "1234" },
      });
      expect(outcomes(rs)).toEqual(["created", "created"]);
      expect(rs.map((r) => r.incident.incident.fingerprint)).toEqual(["fp-a", "fp-b"]);
      expect(await store.getCursor("journald:mithrandir")).toBe("s=1;i=a");
      expect(await store.getCursor("file:/var/log/x.log")).toBe("1234");
      expect((await store.listAudit({ action: "incident.created" })).map((a) => a.details.fingerprint)).toEqual(["fp-a", "fp-b"]);
      const again = await restart();
      expect(outcomes(await again.commit({ snapshots: [snapshot({ fingerprint: "fp-a" })], cursors: {} }))).toEqual(["unchanged"]);
      expect(await again.getCursor("file:/var/log/x.log")).toBe("1234");
      expect(await again.list()).toHaveLength(2);
    });

    test("snapshots of one fingerprint in one batch apply in order, the later on the earlier", async () => {
      const store = await open();
      const rs = await store.commit({
        snapshots: [snapshot({ count: 3 }), snapshot({ count: 7, lastSeen: BASE + 60_000 }), snapshot({ count: 3 })],
        cursors: { s: "3" },
      });
      expect(outcomes(rs)).toEqual(["created", "updated", "unchanged"]);
      expect(rs[2]?.incident.incident.findings[0]?.count).toBe(7);
      expect((await store.get(snapshot().id))?.incident.findings[0]?.count).toBe(7);
      expect(await store.listAudit({ action: "incident.created" })).toHaveLength(1);
    });

    test("a batch of cursors only moves them; an empty batch does nothing", async () => {
      const store = await open();
      expect(await store.commit({ snapshots: [], cursors: { s: "1" } })).toEqual([]);
      expect(await store.getCursor("s")).toBe("1");
      expect(await store.commit({ snapshots: [], cursors: {} })).toEqual([]);
      expect(await store.getCursor("s")).toBe("1");
      await expect(store.commit({ snapshots: [], cursors: { "": "1" } })).rejects.toMatchObject({ reason: "invalid" });
    });

    test("a batch honours silences like upsert", async () => {
      const store = await open();
      const sil = await store.addSilence({ match: { host: "h2" }, by: "t", durationMs: 60_000 });
      const rs = await store.commit({ snapshots: [snapshot({ fingerprint: "fp-a" }), snapshot({ fingerprint: "fp-b", host: "h2" })], cursors: {} });
      expect(rs.map((r) => [r.outcome, r.silenceId])).toEqual([["created", undefined], ["suppressed", sil.id]]);
    });

    test("run-aware carry: a restarted daemon adds its counts to the stored ones exactly once, equal timestamps too", async () => {
      const store = await open();
      const t = BASE;
      const count = async () => (await store.get(snapshot().id))?.incident.findings[0]?.count;
      await store.commit({ snapshots: [snapshot({ count: 1, firstSeen: t, lastSeen: t }), snapshot({ count: 2, firstSeen: t, lastSeen: t })], cursors: { s: "2" }, run: "run-1" });
      expect(await count()).toBe(2);
      // The same run commits the same snapshot again (a retry): nothing changes.
      expect(outcomes(await store.commit({ snapshots: [snapshot({ count: 2, firstSeen: t, lastSeen: t })], cursors: { s: "2" }, run: "run-1" }))).toEqual(["unchanged"]);
      const again = await restart();
      for (const k of [1, 2, 3]) await again.commit({ snapshots: [snapshot({ count: k, firstSeen: t, lastSeen: t })], cursors: { s: String(2 + k) }, run: "run-2" });
      expect((await again.get(snapshot().id))?.incident.findings[0]).toMatchObject({ count: 5, firstSeen: t });
      const third = await restart();
      const [r] = await third.commit({ snapshots: [snapshot({ count: 4, firstSeen: t, lastSeen: t })], cursors: { s: "9" }, run: "run-3" });
      expect(r?.outcome).toBe("updated");
      expect(r?.incident.incident.findings[0]?.count).toBe(9);
      expect(await third.list()).toHaveLength(1);
    });

    test("within a run the latest commit is the truth: a recovered finding is stored as observed", async () => {
      const store = await open();
      await store.commit({ snapshots: [snapshot({ count: 4 })], cursors: {}, run: "r1" });
      const recovered = snapshot({ count: 4, state: "observed" });
      const [r] = await store.commit({ snapshots: [recovered], cursors: {}, run: "r1" });
      expect(r?.outcome).toBe("updated");
      expect(r?.incident.incident.findings[0]).toMatchObject({ count: 4, state: "observed" });
    });

    test("run-aware carry also continues an incident stored by plain upserts", async () => {
      const store = await open();
      await store.upsert(snapshot({ count: 485 }));
      const [r] = await store.commit({ snapshots: [snapshot({ count: 9 })], cursors: {}, run: "daemon-1" });
      expect(r?.incident.incident.findings[0]?.count).toBe(494);
    });

    test("property: committing one snapshot at a time equals upserting it (outcomes, incidents, audit)", async () => {
      const step = fc.record({ fp: fc.constantFrom("fp-a", "fp-b"), dt: fc.nat(600), count: fc.integer({ min: 1, max: 40 }), advance: fc.nat(5) });
      await fc.assert(
        fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 10 }), async (steps) => {
          const homes = [await makeHome(), await makeHome()];
          const clocks = [testClock(), testClock()];
          const [viaUpsert, viaCommit] = [await homes[0]!.open({ clock: clocks[0]! }), await homes[1]!.open({ clock: clocks[1]! })];
          try {
            for (const s of steps) {
              const snap = snapshot({ fingerprint: s.fp, count: s.count, lastSeen: BASE + s.dt * 1000 });
              const a = await viaUpsert.upsert(snap);
              const [b] = await viaCommit.commit({ snapshots: [snap], cursors: {} });
              expect(b).toEqual(a);
              for (const c of clocks) c.advance(s.advance * 60_000);
            }
            expect(await observe(viaCommit)).toEqual(await observe(viaUpsert));
          } finally {
            await viaUpsert.close();
            await viaCommit.close();
            for (const h of homes) await h.cleanup();
          }
        }),
        { numRuns: 15 },
      );
    });
  });
}

