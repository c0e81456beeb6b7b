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
    reopenTimes: [], reopenCount: 0, flapping: false, silencedBy: undefined, slack: undefined, history: [], carry: {},
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
