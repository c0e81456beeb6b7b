import { describe, expect, test } from "vitest";
import { createCorrelator, type Finding } from "../../../src/correlate/index.js";
import type { Signal } from "../../../src/rules/signal.js";
import { MIN, rule, sig, T0 } from "./make-signal.js";

function run(r: ReturnType<typeof rule>, signals: Signal[], now?: number): Finding[] {
  const c = createCorrelator([r]);
  for (const s of signals) c.push(s);
  return c.findings(now);
}

function only(findings: Finding[]): Finding {
  expect(findings).toHaveLength(1);
  const [f] = findings;
  if (f === undefined) throw new Error("no finding");
  return f;
}

describe("single", () => {
  const r = rule({ id: "rust_panic", kind: "single", severity: "high" });
  test("fires on the first match", () => {
    const f = only(run(r, [sig({ rule: "rust_panic", time: T0 })]));
    expect(f).toMatchObject({ rule: "rust_panic", state: "firing", count: 1, severity: "high", firstSeen: T0, lastSeen: T0 });
  });
  test("no match, no finding", () => {
    expect(run(r, [])).toEqual([]);
  });
});

describe("threshold", () => {
  const r = rule({ id: "eaddrinuse_loop", kind: "threshold", threshold: { count: 3, within: "5m" }, group_by: ["host", "service"] });
  const at = (...mins: number[]) => mins.map((m) => sig({ rule: "eaddrinuse_loop", time: T0 + m * MIN }));

  test("fires when N signals fall within W, exactly W included", () => {
    expect(only(run(r, at(0, 2, 5))).state).toBe("firing");
  });
  test("stays observed when the window is missed by a millisecond", () => {
    const signals = [sig({ rule: "eaddrinuse_loop", time: T0 }), ...at(2), sig({ rule: "eaddrinuse_loop", time: T0 + 5 * MIN + 1 })];
    const f = only(run(r, signals));
    expect(f).toMatchObject({ state: "observed", count: 3 });
  });
  test("spread-out signals never reach it, a later burst does", () => {
    expect(only(run(r, at(0, 6, 12, 18))).state).toBe("observed");
    expect(only(run(r, at(0, 6, 12, 18, 19, 20))).state).toBe("firing");
  });
  test("out-of-order timestamps still complete a window", () => {
    expect(only(run(r, at(10, 0, 3, 1))).state).toBe("firing");
    expect(only(run(r, at(10, 20, 12))).state).toBe("observed");
  });
  test("signals without a time are counted but never satisfy the window", () => {
    const untimed = (n: number) => Array.from({ length: n }, () => sig({ rule: "eaddrinuse_loop", time: undefined }));
    const f = only(run(r, untimed(5)));
    expect(f).toMatchObject({ state: "observed", count: 5, firstSeen: undefined, cadence: undefined });
    // Two timed ones and untimed ones around them are still two in the window.
    expect(only(run(r, [...at(0, 1), ...untimed(3)])).state).toBe("observed");
    expect(only(run(r, [...at(0, 1, 2), ...untimed(1)])).state).toBe("firing");
  });
  test("groups split by a captured field", () => {
    const byPort = rule({ id: "eaddrinuse_loop", kind: "threshold", threshold: { count: 2, within: "5m" }, group_by: ["host", "port"] });
    const fs = run(byPort, [
      sig({ rule: "eaddrinuse_loop", time: T0, fields: { port: "9003" } }),
      sig({ rule: "eaddrinuse_loop", time: T0 + 1, fields: { port: "9004" } }),
      sig({ rule: "eaddrinuse_loop", time: T0 + 2, fields: { port: "9003" } }),
    ]);
    expect(fs.map((f) => [f.groupKey, f.state, f.count])).toEqual([
      ['eaddrinuse_loop{host="mithrandir",port="9003"}', "firing", 2],
      ['eaddrinuse_loop{host="mithrandir",port="9004"}', "observed", 1],
    ]);
    expect(fs[0]?.fields).toMatchObject({ host: "mithrandir", port: "9003" });
  });
  test("a missing group value is the empty string", () => {
    const byPort = rule({ id: "eaddrinuse_loop", kind: "single", group_by: ["host", "port"] });
    expect(only(run(byPort, [sig({ rule: "eaddrinuse_loop", time: T0 })])).groupKey).toBe('eaddrinuse_loop{host="mithrandir",port=""}');
  });
});

describe("sequence", () => {
  const r = rule({ id: "oom_after_select", kind: "sequence", then: "Killed", within: "1m" });
  const a = (t: number | undefined) => sig({ rule: "oom_after_select", time: t });
  const b = (t: number | undefined) => sig({ rule: "oom_after_select", role: "then", time: t });

  test("fires when B follows A within W (boundary included)", () => {
    expect(only(run(r, [a(T0), b(T0 + MIN)])).state).toBe("firing");
  });
  test("too late, or B before A, does not fire", () => {
    expect(only(run(r, [a(T0), b(T0 + MIN + 1)])).state).toBe("observed");
    expect(only(run(r, [b(T0), a(T0 + 1)])).state).toBe("observed");
  });
  test("B arriving before A (out of order) but later in time fires", () => {
    expect(only(run(r, [b(T0 + 30_000), a(T0)])).state).toBe("firing");
  });
  test("only B, no finding (count counts A)", () => {
    expect(run(r, [b(T0)])).toEqual([]);
  });
  test("without a time on either side nothing is within W: it does not fire", () => {
    expect(only(run(r, [a(undefined), b(undefined)])).state).toBe("observed");
    expect(only(run(r, [a(undefined), b(T0)])).state).toBe("observed");
    expect(only(run(r, [a(T0), b(undefined)])).state).toBe("observed");
    expect(only(run(r, [a(undefined), a(T0), b(T0 + 1)])).state).toBe("firing");
  });
});

describe("absence", () => {
  const r = rule({
    id: "segment_rotation_stuck",
    kind: "absence",
    match: "Rotating segment for stream (?<stream>\\d+)",
    expect: "Successfully rotated",
    until: "Rotating segment",
    within: "5m",
    group_by: ["host", "stream"],
  });
  const s = (role: "match" | "expect" | "until", t: number | undefined, stream = "348") =>
    sig({ rule: "segment_rotation_stuck", role, time: t, fields: { stream } });

  test("B within W: no finding, even when findings(now) is far later (an answered A is the normal case)", () => {
    expect(run(r, [s("match", T0), s("expect", T0 + 5 * MIN)], T0 + 60 * MIN)).toEqual([]);
  });
  test("fires once time passes W with no B (via findings(now)); until then there is no finding", () => {
    expect(run(r, [s("match", T0)], T0 + 5 * MIN)).toEqual([]);
    const f = only(run(r, [s("match", T0)], T0 + 5 * MIN + 1));
    expect(f).toMatchObject({ state: "firing", count: 1 });
  });
  test("fires when later signals of any group show W has passed; the waiting group has no finding", () => {
    const fs = run(r, [s("match", T0), s("match", T0 + 10 * MIN, "404")]);
    expect(fs.map((f) => [f.fields.stream, f.state])).toEqual([["348", "firing"]]);
  });
  test("a late B does not undo the miss", () => {
    expect(only(run(r, [s("match", T0), s("expect", T0 + 6 * MIN)])).state).toBe("firing");
  });
  test("fires when C (until) comes first with no B", () => {
    expect(only(run(r, [s("match", T0), s("until", T0 + MIN)])).state).toBe("firing");
    expect(run(r, [s("match", T0), s("expect", T0 + MIN), s("until", T0 + 2 * MIN)])).toEqual([]);
  });
  test("counts the misses, not the A's: the A still waiting at the end is not one", () => {
    const cycles = [0, 1, 2].flatMap((k) => [s("match", T0 + k * MIN), s("until", T0 + k * MIN + 30_000)]);
    expect(only(run(r, [...cycles, s("match", T0 + 3 * MIN)], T0 + 3 * MIN + 1000))).toMatchObject({ state: "firing", count: 3 });
  });
  test("a later findings(now) with no signal between counts the A whose window passed since (the count follows now)", () => {
    const c = createCorrelator([r]);
    for (const x of [s("match", T0), s("until", T0 + 30_000), s("match", T0 + MIN)]) c.push(x);
    expect(only(c.findings(T0 + MIN + 1000))).toMatchObject({ count: 1, fields: { stream: "348" } });
    expect(only(c.findings(T0 + 6 * MIN + 1))).toMatchObject({ count: 2 });
  });
  test("a line that is both A and C is one event, not A then C", () => {
    const a = s("match", T0);
    const sameLine = { ...s("until", T0), record: a.record };
    expect(run(r, [a, sameLine])).toEqual([]);
    expect(only(run(r, [a, sameLine, s("until", T0)])).state).toBe("firing");
  });
  test("without times only until can show the miss", () => {
    expect(run(r, [s("match", undefined)], T0 + 100 * MIN)).toEqual([]);
    expect(only(run(r, [s("match", undefined), s("until", undefined)])).state).toBe("firing");
  });
  test("B of another group does not answer", () => {
    expect(run(r, [s("match", T0), s("expect", T0 + MIN, "404")], T0 + 10 * MIN).map((f) => f.state)).toEqual(["firing"]);
  });
  test("lastDeadline: the last time a later `now` can still change the findings", () => {
    const c = createCorrelator([r]);
    expect(c.lastDeadline()).toBeUndefined();
    c.push(s("match", T0));
    c.push(s("match", T0 + MIN, "404"));
    expect(c.lastDeadline()).toBe(T0 + 6 * MIN);
    // Past it, every `now` gives the same findings; at it, the answer differs from one past it.
    expect(c.findings(T0 + 6 * MIN)).not.toEqual(c.findings(T0 + 6 * MIN + 1));
    expect(c.findings(T0 + 6 * MIN + 1)).toEqual(c.findings(T0 + 600 * MIN));
    c.push(s("expect", T0 + 2 * MIN, "404"));
    expect(c.lastDeadline()).toBe(T0 + 5 * MIN);
    c.push(s("expect", T0 + 3 * MIN));
    expect(c.lastDeadline()).toBeUndefined();
  });
});

describe("recurrence", () => {
  const r = rule({
    id: "segment_rotation_error",
    kind: "recurrence",
    recurrence: { min_count: 4, tolerance: 0.2 },
    group_by: ["host", "stream"],
  });
  const at = (times: number[]) => times.map((t) => sig({ rule: "segment_rotation_error", time: t, fields: { stream: "348" } }));

  test("seed 004: every ~10 min for 9 days fires with that cadence", () => {
    const times = Array.from({ length: 9 * 24 * 6 }, (_, i) => T0 + i * 10 * MIN + ((i * 7919) % 5000));
    const f = only(run(r, at(times)));
    expect(f.state).toBe("firing");
    expect(f.count).toBe(1296);
    expect(f.cadence?.steady).toBe(true);
    expect(Math.abs((f.cadence?.medianMs ?? 0) - 10 * MIN)).toBeLessThan(5000);
    expect(f.cadence?.spanMs).toBe((times[times.length - 1] ?? 0) - T0);
  });
  test("irregular intervals do not fire", () => {
    const f = only(run(r, at([T0, T0 + MIN, T0 + 10 * MIN, T0 + 12 * MIN, T0 + 40 * MIN])));
    expect(f.state).toBe("observed");
    expect(f.cadence?.steady).toBe(false);
  });
  test("fewer than min_count occurrences do not fire", () => {
    expect(only(run(r, at([T0, T0 + 10 * MIN, T0 + 20 * MIN]))).state).toBe("observed");
  });
  test("lines at the same instant are not a recurrence", () => {
    expect(only(run(r, at([T0, T0, T0, T0, T0]))).state).toBe("observed");
  });
  test("min_interval folds a burst into one occurrence", () => {
    const folded = rule({ id: "segment_rotation_error", kind: "recurrence", recurrence: { min_count: 3, tolerance: 0.2, min_interval: "1m" } });
    const times = [0, 1, 2, 10, 11, 20, 21, 22].map((s) => T0 + s * MIN / 2);
    const f = only(run(folded, at(times)));
    expect(f.state).toBe("firing");
    expect(f.cadence?.medianMs).toBe(5 * MIN);
  });
});

describe("clears", () => {
  const r = rule({ id: "eaddrinuse_loop", kind: "threshold", threshold: { count: 2, within: "5m" }, clears: "Server listening" });
  const m = (t: number) => sig({ rule: "eaddrinuse_loop", time: t });
  const c = (t: number) => sig({ rule: "eaddrinuse_loop", role: "clears", time: t });

  test("a clears line after the last match recovers the finding", () => {
    const f = only(run(r, [m(T0), m(T0 + 1000), c(T0 + 2000)]));
    expect(f).toMatchObject({ state: "observed", recoveredAt: T0 + 2000, count: 2 });
    expect(f.evidence.map((e) => e.time)).toEqual([T0, T0 + 1000, T0 + 2000]);
  });
  test("a new match starts again; reaching the threshold re-fires", () => {
    const again = only(run(r, [m(T0), m(T0 + 1000), c(T0 + 2000), m(T0 + 3000)]));
    expect(again).toMatchObject({ state: "observed", recoveredAt: undefined, count: 3 });
    expect(only(run(r, [m(T0), m(T0 + 1000), c(T0 + 2000), m(T0 + 3000), m(T0 + 4000)])).state).toBe("firing");
  });
  test("a clears line older than the last match changes nothing", () => {
    expect(only(run(r, [m(T0), m(T0 + 1000), c(T0 + 500)])).state).toBe("firing");
  });
  test("a clears line without the group field clears every group it fits", () => {
    const byPort = rule({ id: "eaddrinuse_loop", kind: "single", group_by: ["host", "port"], clears: "Server listening" });
    const fs = run(byPort, [
      sig({ rule: "eaddrinuse_loop", time: T0, fields: { port: "9003" } }),
      sig({ rule: "eaddrinuse_loop", time: T0, fields: { port: "9004" } }),
      sig({ rule: "eaddrinuse_loop", role: "clears", time: T0 + 1 }),
    ]);
    expect(fs.map((f) => f.state)).toEqual(["observed", "observed"]);
  });
  test("only captured fields are wildcards: a clears line without a host clears no host's group", () => {
    const byPort = rule({ id: "eaddrinuse_loop", kind: "single", group_by: ["host", "port"], clears: "Server listening" });
    const fs = run(byPort, [
      sig({ rule: "eaddrinuse_loop", time: T0, fields: { port: "9003" } }),
      sig({ rule: "eaddrinuse_loop", role: "clears", host: undefined, time: T0 + 1 }),
    ]);
    expect(fs.map((f) => f.state)).toEqual(["firing"]);
  });
  test("a clears line before any match creates nothing", () => {
    expect(run(r, [c(T0)])).toEqual([]);
  });
});
