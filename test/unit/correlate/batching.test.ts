import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { createCorrelator } from "../../../src/correlate/index.js";
import type { Signal, SignalRole } from "../../../src/rules/signal.js";
import { MIN, rule, sig, T0 } from "./make-signal.js";

const RULES = [
  rule({ id: "single_rule", group_by: ["host", "port"], clears: "ok", fields: { port: "values" } }),
  rule({ id: "threshold_rule", kind: "threshold", threshold: { count: 3, within: "5m" }, group_by: ["host"], clears: "ok" }),
  rule({ id: "sequence_rule", kind: "sequence", then: "b", within: "2m", group_by: ["host"] }),
  rule({ id: "absence_rule", kind: "absence", expect: "b", until: "c", within: "3m", group_by: ["host"] }),
  rule({ id: "recurrence_rule", kind: "recurrence", recurrence: { min_count: 3, tolerance: 0.3 }, group_by: ["host"] }),
  rule({ id: "table_rule", group_by: ["host"], table: { title: "T", key: "file", key_label: "F", status: { rule: "ctx", key: "file", present: "y", absent: "n" } } }),
  rule({ id: "ctx", role: "context" }),
];

const ROLES: Record<string, SignalRole[]> = {
  single_rule: ["match", "clears"],
  threshold_rule: ["match", "clears"],
  sequence_rule: ["match", "then"],
  absence_rule: ["match", "expect", "until"],
  recurrence_rule: ["match"],
  table_rule: ["match"],
  ctx: ["match"],
};

const arbSignal = fc
  .record({
    rule: fc.constantFrom(...Object.keys(ROLES)),
    roleIndex: fc.nat(2),
    host: fc.constantFrom("a", "b"),
    port: fc.constantFrom("1", "2"),
    file: fc.constantFrom("x", "y", "z"),
    step: fc.integer({ min: 0, max: 4 * MIN }),
    timed: fc.boolean(),
  })
  .map((s) => ({ ...s, role: ROLES[s.rule]?.[s.roleIndex % (ROLES[s.rule]?.length ?? 1)] ?? "match" }));

function toSignals(specs: { rule: string; role: SignalRole; host: string; port: string; file: string; step: number; timed: boolean }[]): Signal[] {
  let t = T0;
  return specs.map((s) => {
    t += s.step;
    return sig({ rule: s.rule, role: s.role, host: s.host, time: s.timed ? t : undefined, fields: { port: s.port, file: s.file } });
  });
}

describe("batching", () => {
  test("findings do not depend on how signals are batched between findings() calls", () => {
    fc.assert(
      fc.property(fc.array(arbSignal, { maxLength: 60 }), fc.array(fc.nat(60)), fc.option(fc.nat(20 * MIN)), (specs, cuts, extra) => {
        const signals = toSignals(specs);
        const lastTime = signals.reduce<number | undefined>((m, s) => s.record.time ?? m, undefined);
        const end = lastTime === undefined || extra === null ? lastTime : lastTime + extra;

        const whole = createCorrelator(RULES, { maxGroupsPerRule: 3 });
        for (const s of signals) whole.push(s);

        const batched = createCorrelator(RULES, { maxGroupsPerRule: 3 });
        const cutSet = new Set(cuts);
        let now: number | undefined;
        signals.forEach((s, i) => {
          if (cutSet.has(i)) batched.findings(now);
          batched.push(s);
          now = s.record.time ?? now;
        });
        expect(batched.findings(end)).toEqual(whole.findings(end));
        expect(batched.stats()).toEqual(whole.stats());
      }),
      { numRuns: 300 },
    );
  });
});
