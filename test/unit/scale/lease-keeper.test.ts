// The lease keeper against an in-memory board: what it reads under, when it says so, and what it gives back when.
import pino from "pino";
import { describe, expect, test } from "vitest";
import { createLeaseKeeper } from "../../../src/scale/index.js";
import type { LeaseBoard, LeaseSurvey, WatcherInfo } from "../../../src/store/index.js";
import type { Clock } from "../../../src/time.js";

/** Leases and heartbeats in memory, with expiry on a clock the test moves. */
function memoryBoard(clock: { t: number }) {
  const leases = new Map<string, { owner: string; token: number; until: number }>();
  const fences = new Map<string, number>();
  const beats = new Map<string, { info: WatcherInfo; until: number }>();
  const live = (s: string) => {
    const l = leases.get(s);
    return l !== undefined && l.until > clock.t ? l : undefined;
  };
  const board: LeaseBoard & { leases: typeof leases } = {
    leases,
    async heartbeat(info, ttl) {
      beats.set(info.id, { info, until: clock.t + ttl });
    },
    async survey(sources): Promise<LeaseSurvey> {
      const names = [...new Set([...sources, ...fences.keys()])].sort();
      return {
        watchers: [...beats.values()].filter((b) => b.until > clock.t).map((b) => ({ info: b.info, expiresInMs: b.until - clock.t })),
        leases: names.map((source) => ({ source, owner: live(source)?.owner, token: fences.get(source) ?? 0, ttlMs: (live(source)?.until ?? clock.t) - clock.t })),
      };
    },
    async acquire(source, watcher, ttl) {
      if (live(source)) return undefined;
      const token = (fences.get(source) ?? 0) + 1;
      fences.set(source, token);
      leases.set(source, { owner: watcher, token, until: clock.t + ttl });
      return token;
    },
    async renew(source, watcher, token, ttl) {
      const l = live(source);
      if ((l && l.owner === watcher && l.token === token) || (!l && fences.get(source) === token)) {
        leases.set(source, { owner: watcher, token, until: clock.t + ttl });
        return true;
      }
      return false;
    },
    async release(source, watcher, token) {
      const l = live(source);
      if (!l || l.owner !== watcher || l.token !== token) return false;
      leases.delete(source);
      return true;
    },
    async leave(watcher) {
      beats.delete(watcher);
    },
    async close() {},
  };
  return board;
}

const SOURCES = ["s0", "s1", "s2", "s3"];

function setup() {
  const clock = { t: 1_000_000 };
  // sleep never resolves on its own: rounds run only when the test calls refresh().
  const c: Clock = { now: () => clock.t, sleep: (_ms, signal) => new Promise((_r, reject) => signal?.addEventListener("abort", () => reject(new Error("aborted")))) };
  const board = memoryBoard(clock);
  const stop = new AbortController();
  const keeper = (id: string) => createLeaseKeeper({ board, clock: c, log: pino({ level: "silent" }) }, { id, host: "h", pid: 1, sources: SOURCES, leaseMs: 3_000, renewMs: 1_000 });
  return { clock, board, stop, keeper };
}

describe("createLeaseKeeper", () => {
  test("alone it reads every source; a lease taken over while it paused is dropped and said at its next round", async () => {
    const { clock, board, stop, keeper } = setup();
    const a = keeper("wa");
    let changes = 0;
    a.onChange(() => (changes += 1));
    await a.start(stop.signal);
    expect([...a.owned().keys()].sort()).toEqual(SOURCES);
    expect(changes).toBe(1);
    // wa pauses past the lease time; wb takes s2.
    clock.t += 4_000;
    expect(await board.acquire("s2", "wb", 3_000)).toBe(2);
    await a.refresh();
    expect(a.owned().has("s2")).toBe(false);
    expect(a.owned().get("s0")).toBe(1);
    expect(changes).toBe(2);
    stop.abort();
  });

  test("a watcher joining makes the other shed: held (and renewed) until settle, then released, never taken back", async () => {
    const { clock, board, stop, keeper } = setup();
    const a = keeper("wa");
    await a.start(stop.signal);
    const b = keeper("wb");
    await b.start(stop.signal);
    expect(b.owned().size).toBe(0);
    await a.refresh();
    // wa's share is 2 now: two sources are being shed; it no longer reads them, but still holds them.
    expect(a.owned().size).toBe(2);
    expect(a.state().shedding).toHaveLength(2);
    clock.t += 2_000;
    await a.refresh();
    expect([...board.leases.values()].filter((l) => l.owner === "wa" && l.until > clock.t)).toHaveLength(4);
    // settle() and a round queued behind it: the round must not renew what settle released.
    await Promise.all([a.settle(), a.refresh()]);
    expect(a.state().shedding).toEqual([]);
    expect(Object.keys(a.state().held)).toHaveLength(2);
    await b.refresh();
    expect(b.owned().size).toBe(2);
    stop.abort();
  });

  test("stop gives every lease back and leaves: another watcher takes them at once", async () => {
    const { board, stop, keeper } = setup();
    const a = keeper("wa");
    await a.start(stop.signal);
    await a.stop();
    const s = await board.survey(SOURCES);
    expect(s.watchers).toEqual([]);
    expect(s.leases.every((l) => l.owner === undefined)).toBe(true);
    const b = keeper("wb");
    await b.start(stop.signal);
    expect(b.owned().size).toBe(4);
    stop.abort();
  });
});
