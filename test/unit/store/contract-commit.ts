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

    test("runs committing one finding at once (two watchers, two sources of it) each add their own count", async () => {
      const store = await open();
      const t = BASE;
      const count = async () => (await store.get(snapshot().id))?.incident.findings[0]?.count;
      const commit = (run: string, k: number) => store.commit({ snapshots: [snapshot({ count: k, firstSeen: t, lastSeen: t + k * 1000 })], cursors: {}, run });
      await commit("watcher-a", 3);
      await commit("watcher-b", 2);
      expect(await count()).toBe(5);
      await commit("watcher-a", 4);
      await commit("watcher-b", 5);
      await commit("watcher-a", 4); // a retry of a's commit: nothing more
      expect(await count()).toBe(9);
      // Watcher a restarts (a new run): a's last count stays, the new run's counts add.
      await commit("watcher-a2", 1);
      expect(await count()).toBe(10);
      // Many runs over time: the oldest are folded into the base, nothing lost or added.
      for (let i = 0; i < 12; i++) await commit(`later-${i}`, 2);
      expect(await count()).toBe(34);
      await commit("later-11", 3);
      expect(await count()).toBe(35);
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

    describe("merges: a snapshot that took in incidents stored apart (issue 14)", () => {
      // Seed 000's two halves: the container's loop (fp-a) and the unit's port conflict (fp-b), stored apart, then one
      // snapshot under fp-a holding both once the port tied them.
      const A = "aaaaaaaa00000000aaaaaaaa00000000";
      const B = "bbbbbbbb00000000bbbbbbbb00000000";
      const loop = (count: number) => snapshot({ fingerprint: A, rule: "docker_restart_loop", service: "palantir-api", count });
      const port = (count: number) => snapshot({ fingerprint: B, count });
      const joined = (loopCount: number, portCount: number) => {
        const a = loop(loopCount);
        return { ...a, findings: [...a.findings, ...port(portCount).findings] };
      };
      const counts = (i: { incident: { findings: readonly { rule: string; count: number }[] } } | undefined) => Object.fromEntries((i?.incident.findings ?? []).map((f) => [f.rule, f.count]));

      test("after a restart: the stored counts of both carry into the merged one, the other resolves as merged, once", async () => {
        const store = await open();
        await store.commit({ snapshots: [loop(4), port(3)], cursors: {}, run: "r1" });
        await store.putRecord("approval", "ap-b", { n: 1 }, 60_000, { incident: port(3).id });
        const again = await restart();
        const mark = (await again.changes(undefined)).next;
        const [r, ...rest] = await again.commit({ snapshots: [joined(2, 5)], cursors: { s: "9" }, merges: { [A]: [B] }, run: "r2" });
        expect(rest).toEqual([]);
        expect(r?.outcome).toBe("updated");
        expect(counts(r?.incident)).toEqual({ docker_restart_loop: 6, eaddrinuse_loop: 8 });
        expect(r?.merged?.map((m) => [m.incident.id, m.status, m.resolved?.mergedInto])).toEqual([[port(3).id, "resolved", loop(4).id]]);
        const b = await again.get(B);
        expect(b).toMatchObject({ status: "resolved", resolved: { by: "firewatch", auto: false, mergedInto: loop(4).id } });
        expect(b?.history.at(-1)).toMatchObject({ event: "merged", note: expect.stringContaining(loop(4).id) });
        expect((await again.get(A))?.history.at(-1)).toMatchObject({ event: "merged", note: expect.stringContaining(port(3).id) });
        expect(await again.getRecord("approval", "ap-b")).toBeUndefined();
        expect((await again.listAudit({ target: port(3).id })).map((e) => e.action)).toEqual(["incident.created", "incident.merged", "incident.requests_closed"]);
        expect(await again.getCursor("s")).toBe("9");
        // The feed says both changed: the other's post shows it merged, this one's its new findings.
        const feed = (await again.changes(mark)).changes.map((c) => [c.incident, c.kind]);
        expect(feed).toEqual(expect.arrayContaining([[port(3).id, "status"], [loop(4).id, "activity"]]));
        // The same run committing on (its counts grow) adds to the carried base, not to the merge a second time.
        const [next] = await again.commit({ snapshots: [joined(3, 6)], cursors: {}, merges: { [A]: [B] }, run: "r2" });
        expect(next?.merged).toBeUndefined();
        expect(counts(next?.incident)).toEqual({ docker_restart_loop: 7, eaddrinuse_loop: 9 });
        expect((await again.list({ status: ["open", "observed", "acknowledged"] })).map((s) => s.incident.id)).toEqual([loop(4).id]);
      });

      test("within one run: the run's own counts are the truth, nothing is added twice", async () => {
        const store = await open();
        await store.commit({ snapshots: [loop(4), port(3)], cursors: {}, run: "r1" });
        const [r] = await store.commit({ snapshots: [joined(4, 3)], cursors: {}, merges: { [A]: [B] }, run: "r1" });
        // Nothing new was counted, but what it holds changed: still an update, so its post follows.
        expect(r?.outcome).toBe("updated");
        expect(counts(r?.incident)).toEqual({ docker_restart_loop: 4, eaddrinuse_loop: 3 });
        expect(r?.merged).toHaveLength(1);
      });

      test("an incident no longer live (resolved by someone) is not merged, nor one that is absent", async () => {
        const store = await open();
        await store.commit({ snapshots: [loop(4), port(3)], cursors: {}, run: "r1" });
        await store.resolve(B, "cli:alice");
        const [r] = await store.commit({ snapshots: [joined(5, 4)], cursors: {}, merges: { [A]: [B, "cccccccc00000000cccccccc00000000"] }, run: "r1" });
        expect(r?.merged).toBeUndefined();
        expect(await store.get(B)).toMatchObject({ status: "resolved", resolved: { by: "cli:alice", mergedInto: undefined } });
        expect(await store.listAudit({ action: "incident.merged" })).toEqual([]);
      });
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

