// The Store contract: one suite every implementation must pass (FileStore here, RedisStore against a real redis-server).
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { describeCommitContract } from "./contract-commit.js";
import { describeFeedContract } from "./contract-feed.js";
import { useStoreHome, type StoreHome } from "./contract-kit.js";
import { describeKeyedContract } from "./contract-keyed.js";
import { snapshot, testClock } from "./support.js";

export type { StoreHome };

const MIN = 60_000;

export function describeStoreContract(name: string, makeHome: () => Promise<StoreHome>): void {
  describe(`Store contract: ${name}`, () => {
    const kit = useStoreHome(makeHome, { maxReopens: 2, windowMs: 60 * MIN });
    const { open, restart } = kit;

    test("a new fingerprint is created once, findable by short id and by fingerprint", async () => {
      const store = await open();
      const snap = snapshot();
      const r = await store.upsert(snap);
      expect(r.outcome).toBe("created");
      expect(r.incident.status).toBe("open");
      expect(r.incident.incident.status).toBe("open");
      expect((await store.get(snap.id))?.incident.fingerprint).toBe(snap.fingerprint);
      expect((await store.get(snap.fingerprint))?.incident.id).toBe(snap.id);
      expect(await store.get("fw-nothere")).toBeUndefined();
      expect((await store.get(snap.id))?.history.map((h) => h.event)).toEqual(["created"]);
    });

    test("the same snapshot again is unchanged; a grown one updates counts and last seen", async () => {
      const store = await open();
      await store.upsert(snapshot({ count: 3 }));
      expect((await store.upsert(snapshot({ count: 3 }))).outcome).toBe("unchanged");
      const grown = snapshot({ count: 9, lastSeen: Date.UTC(2025, 11, 26, 22, 56, 0), fields: { port: "9003", restart_counter: "494" } });
      const r = await store.upsert(grown);
      expect(r.outcome).toBe("updated");
      expect(r.incident.incident.findings[0]?.count).toBe(9);
      expect(r.incident.incident.findings[0]?.fields.restart_counter).toBe("494");
      expect(r.incident.incident.lastSeen).toBe(grown.lastSeen);
      expect(await store.list()).toHaveLength(1);
    });

    test("an older, smaller snapshot (a replay) does not roll the stored one back", async () => {
      const store = await open();
      await store.upsert(snapshot({ count: 9, lastSeen: Date.UTC(2025, 11, 26, 22, 56, 0) }));
      const r = await store.upsert(snapshot({ count: 2, lastSeen: Date.UTC(2025, 11, 26, 21, 43, 0) }));
      expect(r.outcome).toBe("unchanged");
      expect(r.incident.incident.findings[0]?.count).toBe(9);
    });

    test("dedup survives a restart: the same fingerprint after reopening is the same incident", async () => {
      const first = await open();
      await first.upsert(snapshot({ count: 3 }));
      const again = await restart();
      expect((await again.upsert(snapshot({ count: 3 }))).outcome).toBe("unchanged");
      expect((await again.upsert(snapshot({ count: 4, lastSeen: Date.UTC(2025, 11, 26, 23, 0, 0) }))).outcome).toBe("updated");
      expect(await again.list()).toHaveLength(1);
    });

    test("after a restart the correlator counts from the cursor again: the stored count carries on instead of dropping", async () => {
      const store = await open();
      const t = (h: number, m: number) => Date.UTC(2025, 11, 26, h, m, 0);
      await store.upsert(snapshot({ count: 485, firstSeen: t(16, 42), lastSeen: t(17, 57) }));
      // A new process resumed after 17:57: its finding starts there with a fresh count, then grows.
      expect((await store.upsert(snapshot({ count: 2, firstSeen: t(18, 0), lastSeen: t(18, 1) }))).incident.incident.findings[0]).toMatchObject({ count: 487, firstSeen: t(16, 42) });
      const grown = await store.upsert(snapshot({ count: 9, firstSeen: t(18, 0), lastSeen: t(18, 8) }));
      expect(grown.incident.incident.findings[0]).toMatchObject({ count: 494, firstSeen: t(16, 42), lastSeen: t(18, 8) });
      // Replays of either window change nothing.
      expect((await store.upsert(snapshot({ count: 485, firstSeen: t(16, 42), lastSeen: t(17, 57) }))).outcome).toBe("unchanged");
      expect((await store.upsert(snapshot({ count: 9, firstSeen: t(18, 0), lastSeen: t(18, 8) }))).outcome).toBe("unchanged");
      const again = await restart();
      expect((await again.upsert(snapshot({ count: 10, firstSeen: t(18, 0), lastSeen: t(18, 9) }))).incident.incident.findings[0]?.count).toBe(495);
    });

    test("concurrent upserts of one fingerprint in one process create exactly one incident", async () => {
      const store = await open();
      const results = await Promise.all(
        Array.from({ length: 40 }, (_, i) => store.upsert(snapshot({ count: 3 + i, lastSeen: Date.UTC(2025, 11, 26, 22, 0, i) }))),
      );
      expect(results.filter((r) => r.outcome === "created")).toHaveLength(1);
      expect(await store.list()).toHaveLength(1);
      expect((await store.get(snapshot().id))?.incident.findings[0]?.count).toBe(42);
    });

    test("acknowledge records who and when, keeps the status through updates, and is audited", async () => {
      const store = await open();
      const snap = snapshot();
      await store.upsert(snap);
      kit.clock.advance(5 * MIN);
      const acked = await store.acknowledge(snap.id, "slack:U42", "looking at it");
      expect(acked.status).toBe("acknowledged");
      expect(acked.acknowledged).toEqual({ by: "slack:U42", at: kit.clock.now() });
      const r = await store.upsert(snapshot({ count: 5, lastSeen: Date.UTC(2025, 11, 26, 23, 0, 0) }));
      expect(r.outcome).toBe("updated");
      expect(r.incident.status).toBe("acknowledged");
      const audit = await store.listAudit({ target: snap.id, action: "incident.acknowledged" });
      expect(audit).toHaveLength(1);
      expect(audit[0]).toMatchObject({ actor: "slack:U42", details: { note: "looking at it" } });
    });

    test("acknowledging or resolving an unknown id is a not_found error", async () => {
      const store = await open();
      await expect(store.acknowledge("fw-00000000", "cli:me")).rejects.toMatchObject({ reason: "not_found" });
      await expect(store.resolve("fw-00000000", "cli:me")).rejects.toMatchObject({ reason: "not_found" });
    });

    test("a resolved incident that fires again reopens (and says why) instead of duplicating", async () => {
      const store = await open();
      const snap = snapshot();
      await store.upsert(snap);
      const resolved = await store.resolve(snap.id, "cli:alice", "killed the rogue process");
      expect(resolved.status).toBe("resolved");
      expect(resolved.resolved).toMatchObject({ by: "cli:alice", auto: false });
      await expect(store.acknowledge(snap.id, "cli:bob")).rejects.toMatchObject({ reason: "invalid" });
      // The same lines again (a replay) do not reopen it.
      expect((await store.upsert(snap)).outcome).toBe("unchanged");
      kit.clock.advance(10 * MIN);
      const r = await store.upsert(snapshot({ count: 4, lastSeen: Date.UTC(2025, 11, 27, 1, 0, 0) }));
      expect(r.outcome).toBe("reopened");
      expect(r.incident.status).toBe("open");
      expect(r.incident.reopenCount).toBe(1);
      const reopen = r.incident.history.at(-1);
      expect(reopen?.event).toBe("reopened");
      expect(reopen?.note).toContain("cli:alice");
      expect(await store.list()).toHaveLength(1);
      expect((await store.listAudit({ action: "incident.reopened" })).map((a) => a.target)).toEqual([snap.id]);
    });

    test("auto-resolve waits for the quiet period of the incident's rule", async () => {
      const store = await open();
      const snap = snapshot();
      await store.upsert(snap);
      const after = (ms: number) => () => ms;
      kit.clock.advance(4 * MIN);
      expect(await store.autoResolve(after(5 * MIN))).toEqual([]);
      expect(await store.autoResolve(() => undefined)).toEqual([]);
      kit.clock.advance(2 * MIN);
      const done = await store.autoResolve(after(5 * MIN));
      expect(done.map((s) => s.incident.id)).toEqual([snap.id]);
      expect((await store.get(snap.id))?.status).toBe("resolved");
      expect((await store.get(snap.id))?.resolved).toMatchObject({ by: "firewatch", auto: true });
      expect(await store.listAudit({ action: "incident.auto_resolved" })).toHaveLength(1);
    });

    test("a flapping incident (reopened more than N times in the window) is held open", async () => {
      const store = await open();
      let last = Date.UTC(2025, 11, 26, 22, 0, 0);
      await store.upsert(snapshot({ lastSeen: last }));
      for (let i = 0; i < 3; i++) {
        kit.clock.advance(6 * MIN);
        expect(await store.autoResolve(() => 5 * MIN)).toHaveLength(1);
        last += 6 * MIN;
        expect((await store.upsert(snapshot({ lastSeen: last }))).outcome).toBe("reopened");
      }
      const s = await store.get(snapshot().id);
      expect(s?.flapping).toBe(true);
      expect(s?.history.some((h) => h.event === "flapping")).toBe(true);
      kit.clock.advance(6 * MIN);
      expect(await store.autoResolve(() => 5 * MIN)).toEqual([]);
      kit.clock.advance(60 * MIN);
      expect(await store.autoResolve(() => 5 * MIN)).toHaveLength(1);
      expect((await store.get(snapshot().id))?.flapping).toBe(false);
    });

    test("a silence by rule suppresses new incidents until it expires, and is audited", async () => {
      const store = await open();
      const sil = await store.addSilence({ match: { rule: "eaddrinuse_loop" }, by: "cli:alice", durationMs: 60 * MIN, reason: "maintenance" });
      expect((await store.listSilences()).map((s) => s.id)).toEqual([sil.id]);
      const r = await store.upsert(snapshot());
      expect(r.outcome).toBe("suppressed");
      expect(r.silenceId).toBe(sil.id);
      expect(r.incident.silencedBy).toBe(sil.id);
      expect((await store.upsert(snapshot({ fingerprint: "ffff0000aaaa", rule: "oom_kill" }))).outcome).toBe("created");
      kit.clock.advance(61 * MIN);
      expect(await store.listSilences()).toEqual([]);
      const later = await store.upsert(snapshot({ count: 5, lastSeen: Date.UTC(2025, 11, 27, 0, 0, 0) }));
      expect(later.outcome).toBe("updated");
      expect(later.incident.silencedBy).toBeUndefined();
      expect((await store.listAudit({ action: "silence.added" }))[0]).toMatchObject({ actor: "cli:alice", target: sil.id });
    });

    test("silences match by host, service or fingerprint, and only when every field they set matches", async () => {
      const store = await open();
      await store.addSilence({ match: { host: "gandalf" }, by: "t", durationMs: MIN });
      await store.addSilence({ match: { service: "palantir-api", host: "mithrandir" }, by: "t", durationMs: MIN });
      await store.addSilence({ match: { fingerprint: "fp-silenced" }, by: "t", durationMs: MIN });
      const outcome = async (o: Parameters<typeof snapshot>[0]) => (await store.upsert(snapshot(o))).outcome;
      expect(await outcome({ fingerprint: "fp-a", host: "gandalf" })).toBe("suppressed");
      expect(await outcome({ fingerprint: "fp-b", host: "mithrandir", service: "palantir-api" })).toBe("suppressed");
      expect(await outcome({ fingerprint: "fp-c", host: "other", service: "palantir-api" })).toBe("created");
      expect(await outcome({ fingerprint: "fp-silenced" })).toBe("suppressed");
      expect(await outcome({ fingerprint: "fp-d" })).toBe("created");
    });

    test("silences are listed until removed; removing twice says false; an empty match is refused", async () => {
      const store = await open();
      const a = await store.addSilence({ match: { host: "h1" }, by: "t", durationMs: 2 * MIN });
      const b = await store.addSilence({ match: { host: "h2" }, by: "t", durationMs: MIN });
      expect((await store.listSilences()).map((s) => s.id)).toEqual([b.id, a.id]);
      expect(await store.removeSilence(a.id, "cli:bob")).toBe(true);
      expect(await store.removeSilence(a.id, "cli:bob")).toBe(false);
      expect((await store.listSilences()).map((s) => s.id)).toEqual([b.id]);
      await expect(store.addSilence({ match: {}, by: "t", durationMs: MIN })).rejects.toMatchObject({ reason: "invalid" });
      await expect(store.addSilence({ match: { host: "h" }, by: "t", durationMs: 0 })).rejects.toMatchObject({ reason: "invalid" });
      expect(await store.listAudit({ action: "silence.removed" })).toHaveLength(1);
    });

    test("cursors, the Slack reference and the audit log survive a restart", async () => {
      const first = await open();
      expect(await first.getCursor("journald:mithrandir")).toBeUndefined();
      await first.setCursor("journald:mithrandir", "s=abc;i=1f");
      await first.setCursor("journald:mithrandir", "s=abc;i=20");
      const snap = snapshot();
      await first.upsert(snap);
      await first.setSlackRef(snap.id, { channel: "C0123", ts: "1735254000.000100" });
      await first.appendAudit({ actor: "slack:U42", action: "action.kill_port_owner", target: snap.id, details: { pid: 1573680, dryRun: true } });
      const again = await restart();
      expect(await again.getCursor("journald:mithrandir")).toBe("s=abc;i=20");
      expect((await again.get(snap.id))?.slack).toEqual({ channel: "C0123", ts: "1735254000.000100" });
      const audit = await again.listAudit({ target: snap.id });
      expect(audit.map((a) => a.action)).toEqual(["incident.created", "action.kill_port_owner"]);
      expect(audit[1]?.details).toEqual({ pid: 1573680, dryRun: true });
      expect(await again.listAudit({ limit: 1 })).toEqual([audit[1]]);
    });

    test("list filters by status, host and rule, most recently active first", async () => {
      const store = await open();
      await store.upsert(snapshot({ fingerprint: "fp-1", host: "a" }));
      kit.clock.advance(MIN);
      await store.upsert(snapshot({ fingerprint: "fp-2", host: "b", rule: "oom_kill" }));
      kit.clock.advance(MIN);
      await store.upsert(snapshot({ fingerprint: "fp-3", host: "a", state: "observed" }));
      await store.resolve("fp-1", "t");
      expect((await store.list()).map((s) => s.incident.fingerprint)).toEqual(["fp-3", "fp-2", "fp-1"]);
      expect((await store.list({ status: ["open", "observed"] })).map((s) => s.incident.fingerprint)).toEqual(["fp-3", "fp-2"]);
      expect((await store.list({ host: "a" })).map((s) => s.incident.fingerprint)).toEqual(["fp-3", "fp-1"]);
      expect((await store.list({ rule: "oom_kill" })).map((s) => s.incident.fingerprint)).toEqual(["fp-2"]);
      expect((await store.get("fp-3"))?.status).toBe("observed");
    });

    test("property: any order of growing snapshots gives one incident at the latest state, and a replay changes nothing", async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(fc.tuple(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 1, max: 50 })), { minLength: 1, maxLength: 12 }), async (steps) => {
          const place = await makeHome();
          const store = await place.open({ clock: testClock() });
          try {
            const snaps = steps.map(([dt, count]) => snapshot({ count, lastSeen: Date.UTC(2025, 11, 26, 22, 0, 0) + dt * 1000 }));
            const outcomes = [];
            for (const s of snaps) outcomes.push((await store.upsert(s)).outcome);
            expect(outcomes.filter((o) => o === "created")).toHaveLength(1);
            const all = await store.list();
            expect(all).toHaveLength(1);
            const maxLast = Math.max(...snaps.map((s) => s.lastSeen ?? 0));
            expect(all[0]?.incident.lastSeen).toBe(maxLast);
            for (const s of snaps) expect((await store.upsert(s)).outcome).toBe("unchanged");
          } finally {
            await store.close();
            await place.cleanup();
          }
        }),
        { numRuns: 15 },
      );
    });
  });
  describeCommitContract(name, makeHome);
  describeKeyedContract(name, makeHome);
  describeFeedContract(name, makeHome);
}
