import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { createCorrelator } from "../../../src/correlate/index.js";
import type { SignalRole } from "../../../src/rules/signal.js";
import { rule, sig, T0 } from "./make-signal.js";

// Windows checked against brute-force oracles that see every signal at once.

const N = 3;
const W = 100;

function stateOf(r: ReturnType<typeof rule>, events: { role: SignalRole; t: number }[], now?: number): string | undefined {
  const c = createCorrelator([r]);
  for (const e of events) c.push(sig({ rule: r.id, role: e.role, time: T0 + e.t }));
  return c.findings(now === undefined ? undefined : T0 + now)[0]?.state;
}

describe("threshold window", () => {
  const r = rule({ id: "thr", kind: "threshold", threshold: { count: N, within: `${W}ms` } });
  const oracle = (times: number[]) => {
    const s = [...times].sort((a, b) => a - b);
    return s.some((_, i) => i + N <= s.length && (s[i + N - 1] ?? 0) - (s[i] ?? 0) <= W);
  };

  test("in time order, fires exactly when some N signals lie within W", () => {
    fc.assert(
      fc.property(fc.array(fc.nat(60), { minLength: 1, maxLength: 30 }), (steps) => {
        let t = 0;
        const times = steps.map((s) => (t += s));
        const fired = stateOf(r, times.map((x) => ({ role: "match", t: x }))) === "firing";
        expect(fired).toBe(oracle(times));
      }),
      { numRuns: 500 },
    );
  });
  test("in any order, never fires when no N signals lie within W", () => {
    fc.assert(
      fc.property(fc.array(fc.nat(2000), { minLength: 1, maxLength: 30 }), (times) => {
        const fired = stateOf(r, times.map((x) => ({ role: "match", t: x }))) === "firing";
        if (!oracle(times)) expect(fired).toBe(false);
      }),
      { numRuns: 500 },
    );
  });
});

describe("absence window", () => {
  const r = rule({ id: "abs", kind: "absence", expect: "b", until: "c", within: `${W}ms` });

  /** Some A whose next B or C (in order) is a C, or a B later than W, or none while `now` is past W. */
  const oracle = (events: { role: SignalRole; t: number }[], now: number) =>
    events.some((e, i) => {
      if (e.role !== "match") return false;
      const next = events.slice(i + 1).find((x) => x.role === "expect" || x.role === "until");
      if (next === undefined) return now - e.t > W;
      return next.role === "until" || next.t - e.t > W;
    });

  test("in time order, fires exactly when an A goes unanswered for longer than W", () => {
    const arbRole = fc.constantFrom<SignalRole>("match", "match", "expect", "until");
    fc.assert(
      fc.property(fc.array(fc.tuple(arbRole, fc.nat(80)), { minLength: 1, maxLength: 25 }), fc.nat(200), (steps, extra) => {
        let t = 0;
        const events = steps.map(([role, s]) => ({ role, t: (t += s) }));
        if (!events.some((e) => e.role === "match")) return;
        const now = t + extra;
        expect(stateOf(r, events, now) === "firing").toBe(oracle(events, now));
      }),
      { numRuns: 500 },
    );
  });
});

describe("sequence window", () => {
  const r = rule({ id: "seq", kind: "sequence", then: "b", within: `${W}ms` });
  const oracle = (events: { role: SignalRole; t: number }[]) =>
    events.some((b, j) => b.role === "then" && events.slice(0, j).some((a) => a.role === "match" && b.t - a.t >= 0 && b.t - a.t <= W));

  test("in time order, fires exactly when some B comes within W after an A", () => {
    const arbRole = fc.constantFrom<SignalRole>("match", "then");
    fc.assert(
      fc.property(fc.array(fc.tuple(arbRole, fc.nat(70)), { minLength: 1, maxLength: 40 }), (steps) => {
        let t = 0;
        const events = steps.map(([role, s]) => ({ role, t: (t += s) }));
        if (!events.some((e) => e.role === "match")) return;
        expect(stateOf(r, events) === "firing").toBe(oracle(events));
      }),
      { numRuns: 500 },
    );
  });
  test("in any arrival order, fires exactly when some B lies within [A, A + W] in time (ties: A first)", () => {
    const arbRole = fc.constantFrom<SignalRole>("match", "then");
    fc.assert(
      fc.property(fc.array(fc.tuple(arbRole, fc.nat(400)), { minLength: 1, maxLength: 12 }), (steps) => {
        const events = steps.map(([role, t]) => ({ role, t }));
        if (!events.some((e) => e.role === "match")) return;
        const follows = (a: { t: number }, i: number, b: { t: number }, j: number) => (b.t > a.t || (b.t === a.t && i < j)) && b.t - a.t <= W;
        const byTime = events.some((b, j) => b.role === "then" && events.some((a, i) => a.role === "match" && follows(a, i, b, j)));
        expect(stateOf(r, events) === "firing").toBe(byTime);
      }),
      { numRuns: 500 },
    );
  });
});
