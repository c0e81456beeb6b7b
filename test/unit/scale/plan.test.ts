import { describe, expect, test } from "vitest";
import { planLeases } from "../../../src/scale/index.js";
import { STORE_VERSION, type LeaseSurvey } from "../../../src/store/index.js";

const SOURCES = Array.from({ length: 12 }, (_, i) => `s${String(i).padStart(2, "0")}`);

/** A survey of `owners` (source → watcher) with `watchers` live. */
function survey(watchers: readonly string[], owners: ReadonlyMap<string, string>): LeaseSurvey {
  return {
    watchers: watchers.map((id) => ({ info: { v: STORE_VERSION, id, host: "h", pid: 1, startedAt: 0, sources: 0 }, expiresInMs: 1000 })),
    leases: SOURCES.map((source) => ({ source, owner: owners.get(source), token: 1, ttlMs: owners.has(source) ? 1000 : 0 })),
  };
}

/** Rounds of every live watcher in turn (sheds applied at once, takes won by whoever asks first) until nothing moves. */
function settle(watchers: readonly string[], owners: Map<string, string>): number {
  for (let round = 1; round <= 20; round++) {
    let moved = false;
    for (const me of watchers) {
      const held = new Set([...owners].filter(([, w]) => w === me).map(([s]) => s));
      const plan = planLeases(me, held, SOURCES, survey(watchers, owners));
      for (const s of plan.shed) owners.delete(s);
      for (const s of plan.take) if (!owners.has(s)) owners.set(s, me);
      moved ||= plan.shed.length > 0 || plan.take.length > 0;
    }
    if (!moved) return round;
  }
  throw new Error("did not settle in 20 rounds");
}

const loads = (owners: ReadonlyMap<string, string>) => [...new Set(owners.values())].map((w) => [...owners.values()].filter((x) => x === w).length).sort();

describe("planLeases", () => {
  test("three watchers starting together end 4/4/4 over 12 sources", () => {
    const owners = new Map<string, string>();
    settle(["wa", "wb", "wc"], owners);
    expect(loads(owners)).toEqual([4, 4, 4]);
  });

  test("one watcher alone takes all; two more join and it sheds down to its share", () => {
    const owners = new Map<string, string>();
    settle(["wa"], owners);
    expect(loads(owners)).toEqual([12]);
    settle(["wa", "wb", "wc"], owners);
    expect(loads(owners)).toEqual([4, 4, 4]);
  });

  test("a dead watcher's sources go to the survivors, 6/6, once its leases ran out", () => {
    const owners = new Map<string, string>();
    settle(["wa", "wb", "wc"], owners);
    for (const [s, w] of owners) if (w === "wa") owners.delete(s);
    settle(["wb", "wc"], owners);
    expect(loads(owners)).toEqual([6, 6]);
  });

  test("the least-loaded watcher takes first: a fuller one leaves it the room below its share", () => {
    // wa holds 4 (its share), wc 1, wb none; 7 free. wb takes 4; wc leaves wb those 4 and takes 3 of the other 3.
    const owners = new Map([...SOURCES.slice(0, 4).map((s) => [s, "wa"] as const), [SOURCES[4] ?? "", "wc"] as const]);
    const s = survey(["wa", "wb", "wc"], owners);
    expect(planLeases("wa", new Set(SOURCES.slice(0, 4)), SOURCES, s).take).toEqual([]);
    expect(planLeases("wb", new Set(), SOURCES, s).take).toHaveLength(4);
    expect(planLeases("wc", new Set([SOURCES[4] ?? ""]), SOURCES, s).take).toHaveLength(3);
  });

  test("a lease held by a watcher whose heartbeat is gone is not free until it runs out", () => {
    const owners = new Map(SOURCES.map((s) => [s, "dead"]));
    expect(planLeases("wa", new Set(), SOURCES, survey(["wa"], owners)).take).toEqual([]);
  });
});
