// The Store contract for the change feed (what any process changed, for the Slack poster) and records closed on resolve.
import { describe, expect, test } from "vitest";
import type { ChangeBatch, Store } from "../../../src/store/index.js";
import { useStoreHome, type StoreHome } from "./contract-kit.js";
import { snapshot } from "./support.js";

/** Reads the feed from `after` until it is drained; every change in order, and where it ended. */
async function drain(store: Store, after: string | undefined, limit?: number): Promise<{ kinds: string[]; ids: string[]; next: string; lost: boolean }> {
  const kinds: string[] = [];
  const ids: string[] = [];
  let at = after;
  let lost = false;
  for (let i = 0; i < 100; i++) {
    const b: ChangeBatch = await store.changes(at, limit);
    lost ||= b.lost;
    kinds.push(...b.changes.map((c) => c.kind));
    ids.push(...b.changes.map((c) => c.incident));
    if (b.changes.length === 0) return { kinds, ids, next: b.next, lost };
    at = b.next;
  }
  throw new Error("the feed never ended");
}

export function describeFeedContract(name: string, makeHome: () => Promise<StoreHome>): void {
  describe(`Store contract, change feed and closed requests: ${name}`, () => {
    const kit = useStoreHome(makeHome);
    const { open } = kit;

    test("without a mark the feed answers where it is now; then each change is one entry, saying why, in order", async () => {
      const store = await open();
      const a = snapshot();
      const b = snapshot({ fingerprint: "ffeeddccbbaa99887766554433221100", host: "gandalf" });
      await store.upsert(a);
      const start = await store.changes(undefined);
      expect(start.changes).toEqual([]);
      expect(start.lost).toBe(false);
      await store.upsert(b);
      await store.upsert(snapshot({ count: 9, lastSeen: Date.UTC(2025, 11, 26, 23, 0, 0) }));
      expect((await store.upsert(snapshot({ count: 9, lastSeen: Date.UTC(2025, 11, 26, 23, 0, 0) }))).outcome).toBe("unchanged");
      await store.acknowledge(a.id, "cli:alice");
      await store.setProbes(a.id, [{ probe: "port_owner", params: { port: 9003 }, host: "mithrandir", at: kit.clock.now(), ok: true, summary: "PID 1 holds 9003" }]);
      await store.setSlackRef(a.id, { channel: "C1", ts: "1.2" });
      await store.appendAudit({ actor: "cli:bob", action: "action.approval_requested", target: a.id, details: {} });
      await store.appendAudit({ actor: "cli:bob", action: "config.reloaded", target: a.id, details: {} });
      await store.resolve(b.id, "cli:alice");
      const got = await drain(store, start.next);
      expect(got.kinds).toEqual(["activity", "activity", "status", "probes", "slack", "action", "status"]);
      expect(got.ids).toEqual([b.id, a.id, a.id, a.id, a.id, a.id, b.id]);
      expect(got.lost).toBe(false);
      expect((await store.changes(got.next)).changes).toEqual([]);
    });

    test("a reopen by new activity is a status change; a commit's snapshots are in the feed too", async () => {
      const store = await open();
      const a = snapshot();
      await store.upsert(a);
      await store.resolve(a.id, "cli:alice");
      const mark = (await store.changes(undefined)).next;
      await store.commit({ snapshots: [snapshot({ count: 5, lastSeen: Date.UTC(2025, 11, 26, 23, 0, 0) }), snapshot({ fingerprint: "1234abcd1234abcd", host: "h2" })], cursors: { s: "1" } });
      const got = await drain(store, mark);
      expect(got.kinds).toEqual(["status", "activity"]);
      expect(got.ids).toEqual([a.id, "fw-1234abcd"]);
    });

    test("the feed is read in pages of `limit`, none lost between them", async () => {
      const store = await open();
      const mark = (await store.changes(undefined)).next;
      for (let i = 0; i < 7; i++) await store.upsert(snapshot({ fingerprint: `fp${i}aaaaaaaa`, host: `h${i}` }));
      const first = await store.changes(mark, 3);
      expect(first.changes).toHaveLength(3);
      const got = await drain(store, mark, 3);
      expect(got.ids).toEqual(Array.from({ length: 7 }, (_, i) => `fw-fp${i}aaaaa`));
    });

    test("a mark the feed never gave (ahead of it, or not one of its marks) is `lost`, answered with the current head", async () => {
      const store = await open();
      await store.upsert(snapshot());
      const head = (await store.changes(undefined)).next;
      for (const bad of ["not-a-mark", "99999999999999"]) {
        const b = await store.changes(bad);
        expect(b.lost).toBe(true);
        expect(b.changes).toEqual([]);
        expect(b.next).toBe(head);
      }
    });

    test("a silence marks the live incidents it covers at once (history, post), and its removal unmarks them", async () => {
      const store = await open();
      const a = snapshot();
      const other = snapshot({ fingerprint: "99887766aabbccdd", host: "gandalf" });
      await store.upsert(a);
      await store.upsert(other);
      const mark = (await store.changes(undefined)).next;
      const sil = await store.addSilence({ match: { host: "mithrandir" }, by: "cli:alice", durationMs: 3_600_000, reason: "maintenance" });
      const s = await store.get(a.id);
      expect(s?.silencedBy).toBe(sil.id);
      expect(s?.history.at(-1)).toMatchObject({ event: "silenced", by: "cli:alice" });
      expect((await store.get(other.id))?.silencedBy).toBeUndefined();
      expect(await store.removeSilence(sil.id, "cli:alice")).toBe(true);
      expect((await store.get(a.id))?.silencedBy).toBeUndefined();
      const got = await drain(store, mark);
      expect(got.kinds).toEqual(["silence", "silence"]);
      expect(got.ids).toEqual([a.id, a.id]);
    });

    test("resolving an incident deletes the records attached to it, in the same step, and audits which", async () => {
      const store = await open();
      const a = snapshot();
      const b = snapshot({ fingerprint: "99887766aabbccdd", host: "gandalf" });
      await store.upsert(a);
      await store.upsert(b);
      await store.putRecord("approval", "ap1", { n: 1 }, 60_000, { incident: a.id });
      await store.putRecord("approval", "ap2", { n: 2 }, 60_000, { incident: a.id });
      await store.putRecord("approval", "ap3", { n: 3 }, 60_000, { incident: b.id });
      await store.putRecord("grant", "g1", { n: 4 }, 60_000);
      await store.acknowledge(a.id, "cli:alice");
      expect(await store.getRecord("approval", "ap1")).toEqual({ n: 1 });
      await store.resolve(a.id, "cli:alice");
      expect(await store.getRecord("approval", "ap1")).toBeUndefined();
      expect(await store.getRecord("approval", "ap2")).toBeUndefined();
      expect(await store.getRecord("approval", "ap3")).toEqual({ n: 3 });
      expect(await store.getRecord("grant", "g1")).toEqual({ n: 4 });
      const audit = await store.listAudit({ target: a.id });
      expect(audit.map((e) => e.action)).toEqual(["incident.created", "incident.acknowledged", "incident.resolved", "incident.requests_closed"]);
      expect(audit.at(-1)).toMatchObject({ actor: "cli:alice", details: { count: 2, records: "approval/ap1,approval/ap2" } });
      // Resolving again closes nothing more and audits nothing more.
      await store.resolve(a.id, "cli:bob");
      expect((await store.listAudit({ target: a.id })).length).toBe(audit.length);
    });

    test("auto-resolve closes attached records too; an incident with none audits no closing", async () => {
      const store = await open();
      const a = snapshot();
      const b = snapshot({ fingerprint: "99887766aabbccdd", host: "gandalf" });
      await store.upsert(a);
      await store.upsert(b);
      await store.putRecord("approval", "ap1", { n: 1 }, 86_400_000, { incident: a.id });
      kit.clock.advance(10 * 60_000);
      expect((await store.autoResolve(() => 60_000)).map((s) => s.incident.id).sort()).toEqual([a.id, b.id].sort());
      expect(await store.getRecord("approval", "ap1")).toBeUndefined();
      expect((await store.listAudit({ action: "incident.requests_closed" })).map((e) => [e.target, e.actor, e.details["count"]])).toEqual([[a.id, "firewatch", 1]]);
    });

    test("an attached record's incident id is checked like a key", async () => {
      const store = await open();
      await expect(store.putRecord("approval", "ap1", {}, 60_000, { incident: "has space" })).rejects.toMatchObject({ reason: "invalid" });
    });
  });
}
