import fc from "fast-check";
import { describe, expect, test } from "vitest";
import type { Finding } from "../../../src/correlate/index.js";
import { groupIntoIncidents } from "../../../src/incidents/index.js";
import { MIN, rule, T0 } from "../correlate/make-signal.js";

const RULES = [rule({ id: "r1", severity: "critical" }), rule({ id: "r2", severity: "low" })];
const GAP = 30 * MIN;

const arbFinding = fc
  .record({
    rule: fc.constantFrom("r1", "r2"),
    host: fc.constantFrom("h1", "h2", undefined),
    start: fc.option(fc.nat(6 * 60), { nil: undefined }),
    length: fc.nat(90),
    firing: fc.boolean(),
  })
  .map(({ rule: id, host, start, length, firing }): Finding => ({
    rule: id,
    severity: id === "r1" ? "critical" : "low",
    state: firing ? "firing" : "observed",
    count: 1,
    firstSeen: start === undefined ? undefined : T0 + start * MIN,
    lastSeen: start === undefined ? undefined : T0 + (start + length) * MIN,
    host,
    service: undefined,
    groupKey: "",
    fields: {},
    evidence: [],
    cadence: undefined,
    table: undefined,
    recoveredAt: undefined,
  }));

/** Findings with distinct group keys, as a correlator makes them. */
const arbFindings = fc.array(arbFinding, { maxLength: 25 }).map((fs) => fs.map((f, i) => ({ ...f, groupKey: `${f.rule}{i="${i}"}` })));

describe("groupIntoIncidents properties", () => {
  test("every finding lands in exactly one incident, hosts never mix, and input order does not matter", () => {
    fc.assert(
      fc.property(arbFindings, fc.nat(), (findings, seed) => {
        const incidents = groupIntoIncidents(findings, RULES);
        const placed = incidents.flatMap((i) => i.findings.map((f) => f.groupKey)).sort();
        expect(placed).toEqual(findings.map((f) => f.groupKey).sort());
        for (const inc of incidents) expect(new Set(inc.findings.map((f) => f.host)).size).toBe(1);
        const shuffled = [...findings].sort((a, b) => ((a.groupKey.length * 31 + seed) % 7) - ((b.groupKey.length * 17 + seed) % 5));
        expect(groupIntoIncidents(shuffled.reverse(), RULES)).toEqual(incidents);
      }),
      { numRuns: 300 },
    );
  });
  test("timed findings of one incident are chained by gaps of at most gapMs; separate incidents of a host are farther apart", () => {
    fc.assert(
      fc.property(arbFindings, (findings) => {
        const timed = findings.filter((f) => f.firstSeen !== undefined);
        const incidents = groupIntoIncidents(timed, RULES);
        const spans = (i: (typeof incidents)[number]) => i.findings.map((f) => [f.firstSeen ?? 0, f.lastSeen ?? 0] as const);
        for (const inc of incidents) {
          const s = [...spans(inc)].sort((a, b) => a[0] - b[0]);
          let end = -Infinity;
          for (const [start, stop] of s) {
            if (end !== -Infinity) expect(start).toBeLessThanOrEqual(end + GAP);
            end = Math.max(end, stop);
          }
        }
        // Incidents of one host do not interleave: whatever of b starts after a started lies beyond a's end + gap.
        for (const a of incidents)
          for (const b of incidents) {
            if (a === b || a.host !== b.host) continue;
            for (const [s1] of spans(a)) for (const [s2] of spans(b)) if (s2 >= s1) expect(s2).toBeGreaterThan((a.lastSeen ?? 0) + GAP);
          }
      }),
      { numRuns: 300 },
    );
  });
});
