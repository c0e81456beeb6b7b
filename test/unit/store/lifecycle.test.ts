import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { mergeSnapshots, resolveAfterByRule, silenceMatches } from "../../../src/store/lifecycle.js";
import type { StoredIncident } from "../../../src/store/index.js";
import { snapshot } from "./support.js";

const stored = (rules: readonly string[]): StoredIncident => {
  const findings = rules.flatMap((rule, i) => snapshot({ rule }).findings.map((f) => ({ ...f, groupKey: `${rule}|${i}` })));
  const incident = { ...snapshot(), findings };
  return {
    v: 1, incident, status: "open", createdAt: 0, updatedAt: 0, lastActivityAt: 0, acknowledged: undefined, resolved: undefined,
    reopenTimes: [], reopenCount: 0, flapping: false, silencedBy: undefined, slack: undefined, history: [], carry: {}, probes: [],
  };
};

describe("resolveAfterByRule", () => {
  const byRule = new Map([["eaddrinuse_loop", 600_000], ["oom_kill", 3_600_000]]);
  test("takes the longest resolve_after among the incident's rules", () => {
    expect(resolveAfterByRule(byRule)(stored(["eaddrinuse_loop", "oom_kill"]))).toBe(3_600_000);
    expect(resolveAfterByRule(byRule)(stored(["eaddrinuse_loop", "rust_panic"]))).toBe(600_000);
  });
  test("is undefined (never auto-resolve) when none of its rules sets one", () => {
    expect(resolveAfterByRule(byRule)(stored(["rust_panic"]))).toBeUndefined();
  });
});

describe("silenceMatches", () => {
  const inc = snapshot({ host: "mithrandir", service: "transcription-palantir", rule: "eaddrinuse_loop" });
  test.each([
    [{ rule: "eaddrinuse_loop" }, true],
    [{ rule: "oom_kill" }, false],
    [{ host: "mithrandir", service: "transcription-palantir" }, true],
    [{ host: "mithrandir", service: "other" }, false],
    [{ fingerprint: inc.fingerprint }, true],
    [{ fingerprint: "nope", host: "mithrandir" }, false],
  ])("%j matches: %s", (m, expected) => {
    expect(silenceMatches({ rule: undefined, host: undefined, service: undefined, fingerprint: undefined, ...m }, inc)).toBe(expected);
  });
});

describe("mergeSnapshots", () => {
  test("a carry written before runs were kept apart (it names one run) continues exactly", () => {
    const prev = { ...snapshot({ count: 10 }) };
    const group = prev.findings[0]?.groupKey ?? "";
    // An older store: 6 counted before run-aware carry, the rest (4) by run "old".
    const legacy = { [group]: { carried: 6, since: undefined, windowStart: undefined, run: "old", runs: undefined } };
    const sameRun = mergeSnapshots(prev, legacy, snapshot({ count: 5 }), "old");
    expect(sameRun.incident.findings[0]?.count).toBe(11);
    const newRun = mergeSnapshots(prev, legacy, snapshot({ count: 2 }), "new");
    expect(newRun.incident.findings[0]?.count).toBe(12);
    expect(newRun.carry[group]?.runs).toEqual({ old: 4, new: 2 });
  });

  const arbSnap = fc
    .record({ dt: fc.integer({ min: 0, max: 10_000 }), count: fc.integer({ min: 1, max: 100 }), key: fc.constantFrom("a", "b") })
    .map(({ dt, count, key }) => {
      const s = snapshot({ count, lastSeen: Date.UTC(2025, 11, 26, 22) + dt * 1000 });
      return { ...s, findings: s.findings.map((f) => ({ ...f, groupKey: key })) };
    });

  test("merging the same snapshot again changes nothing (replays are idempotent)", () => {
    fc.assert(
      fc.property(arbSnap, arbSnap, (a, b) => {
        const once = mergeSnapshots(a, {}, b);
        const twice = mergeSnapshots(once.incident, once.carry, b);
        expect(twice.incident).toEqual(once.incident);
      }),
    );
  });

  test("last seen is the latest of both and every group of either is kept", () => {
    fc.assert(
      fc.property(arbSnap, arbSnap, (a, b) => {
        const m = mergeSnapshots(a, {}, b).incident;
        expect(m.lastSeen).toBe(Math.max(a.lastSeen ?? 0, b.lastSeen ?? 0));
        expect(new Set(m.findings.map((f) => f.groupKey))).toEqual(new Set([...a.findings, ...b.findings].map((f) => f.groupKey)));
      }),
    );
  });
});

describe("mergeSnapshots with a correlator run", () => {
  const T = Date.UTC(2025, 11, 26, 22, 0, 0);
  const snap = (count: number, lastSeen = T, firstSeen = T) => snapshot({ count, firstSeen, lastSeen });
  /** Merges the snapshots of one run after another onto `start`, as commits would. */
  const runAll = (start: ReturnType<typeof snap>, runs: ReadonlyArray<readonly [string, readonly number[]]>) => {
    let cur = { incident: start, carry: {} as Parameters<typeof mergeSnapshots>[1] };
    for (const [run, counts] of runs) for (const c of counts) cur = mergeSnapshots(cur.incident, cur.carry, snap(c), run);
    return cur.incident.findings[0];
  };

  test("a restarted run adds its counts 1..k to the stored n, even with every timestamp equal", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 500 }), fc.integer({ min: 1, max: 30 }), (n, k) => {
        const counts = Array.from({ length: k }, (_, i) => i + 1);
        expect(runAll(snap(n), [["run-2", counts]])?.count).toBe(n + k);
      }),
    );
  });

  test("two restarts in a row add up, and firstSeen stays the stored one", () => {
    const f = runAll(snap(485, T, T - 3_600_000), [["r1", [1, 2, 5]], ["r2", [1, 4]]]);
    expect(f).toMatchObject({ count: 494, firstSeen: T - 3_600_000 });
  });

  test("a later snapshot of the run that reaches back earlier (a second file read after the first) moves first seen back", () => {
    // Seed 000: app.log's EADDRINUSE at 21:42:09.295 committed first, the journal's 21:42:09 (no ms) after it.
    const first = mergeSnapshots(snap(10, T, T + 295), {}, snap(1, T, T + 295), "r1");
    const later = mergeSnapshots(first.incident, first.carry, snap(2, T, T), "r1");
    expect(later.incident.findings[0]).toMatchObject({ count: 12, firstSeen: T });
    expect(later.incident.firstSeen).toBe(T);
    // And a run after a restart still keeps the stored, earlier first seen.
    const restarted = mergeSnapshots(later.incident, later.carry, snap(1, T + 60_000, T + 60_000), "r2");
    expect(restarted.incident.findings[0]).toMatchObject({ count: 13, firstSeen: T });
  });

  test("the findings' order is the same whichever commit brought each in first (ties: rule, then group)", () => {
    // Two findings of one severity and one first-seen, as two files read in either order would commit them.
    const a = snapshot({ rule: "systemd_restart_loop" });
    const b = snapshot({ rule: "eaddrinuse_loop" });
    const both = (first: typeof a, second: typeof a) => {
      const one = mergeSnapshots(first, {}, first, "r1");
      return mergeSnapshots(one.incident, one.carry, { ...second, findings: [...first.findings, ...second.findings] }, "r1").incident.findings.map((f) => f.rule);
    };
    expect(both(a, b)).toEqual(["eaddrinuse_loop", "systemd_restart_loop"]);
    expect(both(b, a)).toEqual(["eaddrinuse_loop", "systemd_restart_loop"]);
  });

  test("the same snapshot of the same run again changes nothing", () => {
    const first = mergeSnapshots(snap(10), {}, snap(3), "r1");
    expect(first.incident.findings[0]?.count).toBe(13);
    const again = mergeSnapshots(first.incident, first.carry, snap(3), "r1");
    expect(again).toEqual(first);
  });

  test("the latest snapshot of a run is the truth: a recovery is stored, and so is a count the correlator reset", () => {
    const first = mergeSnapshots(snap(10), {}, snap(3), "r1");
    const recovered = { ...snap(3), status: "observed" as const, findings: snap(3).findings.map((f) => ({ ...f, state: "observed" as const, recoveredAt: T + 5_000 })) };
    const r = mergeSnapshots(first.incident, first.carry, recovered, "r1");
    expect(r.incident.findings[0]).toMatchObject({ count: 13, state: "observed", recoveredAt: T + 5_000 });
    expect(mergeSnapshots(r.incident, r.carry, snap(1), "r1").incident.findings[0]?.count).toBe(11);
  });

  test("a finding new in this run counts from zero, and last seen never moves back", () => {
    const other = { ...snap(4, T - 60_000), findings: snap(4, T - 60_000).findings.map((f) => ({ ...f, groupKey: "other" })) };
    const a = mergeSnapshots(snap(10, T + 60_000), {}, other, "r1");
    const b = mergeSnapshots(a.incident, a.carry, { ...other, findings: other.findings.map((f) => ({ ...f, count: 6 })) }, "r1");
    expect(b.incident.findings.find((f) => f.groupKey === "other")?.count).toBe(6);
    const c = mergeSnapshots(b.incident, b.carry, snap(2, T - 120_000), "r2");
    expect(c.incident.findings.find((f) => f.groupKey !== "other")).toMatchObject({ count: 12, lastSeen: T + 60_000 });
  });
});
