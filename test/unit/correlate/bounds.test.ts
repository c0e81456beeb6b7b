import { describe, expect, test } from "vitest";
import { createCadenceTracker } from "../../../src/correlate/cadence.js";
import { createCorrelator } from "../../../src/correlate/index.js";
import { MIN, rule, sig, T0 } from "./make-signal.js";

describe("group cap", () => {
  const r = rule({ id: "eaddrinuse_loop", kind: "threshold", threshold: { count: 2, within: "5m" }, group_by: ["port"] });
  const at = (port: string, t: number) => sig({ rule: "eaddrinuse_loop", time: t, fields: { port } });

  test("evicts the least recently updated group and counts it", () => {
    const c = createCorrelator([r], { maxGroupsPerRule: 2 });
    c.push(at("1", T0));
    c.push(at("2", T0 + 1));
    c.push(at("1", T0 + 2)); // port 1 is now the most recently updated
    c.push(at("3", T0 + 3)); // evicts port 2
    expect(c.stats()).toMatchObject({ groups: 2, droppedGroups: 1, signals: 4 });
    expect(c.findings().map((f) => [f.fields.port, f.state])).toEqual([
      ["1", "firing"],
      ["3", "observed"],
    ]);
    c.push(at("2", T0 + 4)); // starts afresh, evicts port 1
    expect(c.stats()).toMatchObject({ groups: 2, droppedGroups: 2 });
    expect(c.findings().map((f) => [f.fields.port, f.count])).toEqual([
      ["3", 1],
      ["2", 1],
    ]);
  });
  test("the cap is per rule", () => {
    const other = rule({ id: "other", group_by: ["port"] });
    const c = createCorrelator([r, other], { maxGroupsPerRule: 1 });
    c.push(at("1", T0));
    c.push(sig({ rule: "other", time: T0, fields: { port: "9" } }));
    expect(c.stats()).toMatchObject({ groups: 2, droppedGroups: 0 });
  });
  test("a signal for a rule it was not given is counted, not fatal", () => {
    const c = createCorrelator([r]);
    c.push(sig({ rule: "nope", time: T0 }));
    expect(c.stats()).toEqual({ groups: 0, droppedGroups: 0, signals: 1, unknownRuleSignals: 1 });
    expect(c.findings()).toEqual([]);
  });
  test("bad options and duplicate rule ids are refused", () => {
    expect(() => createCorrelator([r], { maxGroupsPerRule: 0 })).toThrow(expect.objectContaining({ code: "usage" }));
    expect(() => createCorrelator([r, r])).toThrow(expect.objectContaining({ code: "rule_invalid" }));
  });
});

describe("cadence", () => {
  test("min, max, span are exact and the median stays right past the sample size", () => {
    const t = createCadenceTracker({ tolerance: 0.5, foldMs: 0, sampleSize: 16 });
    let at = T0;
    for (let i = 0; i < 1000; i++) {
      at += i === 500 ? 60 * MIN : 10 * MIN + (i % 3) * 1000;
      t.observe(at);
    }
    t.observe(T0 - MIN); // out of order: widens the span, makes no interval
    const c = t.snapshot();
    expect(c?.minMs).toBe(10 * MIN);
    expect(c?.maxMs).toBe(60 * MIN);
    expect(c?.spanMs).toBe(at - (T0 - MIN));
    expect(c?.medianMs).toBeGreaterThanOrEqual(10 * MIN);
    expect(c?.medianMs).toBeLessThanOrEqual(10 * MIN + 2000);
    expect(c?.steady).toBe(true);
    expect(t.occurrences()).toBe(1000);
  });
  test("one signal has no cadence; two have one", () => {
    const t = createCadenceTracker({ tolerance: 0.5, foldMs: 0 });
    t.observe(T0);
    expect(t.snapshot()).toBeUndefined();
    t.observe(T0 + 30_000);
    expect(t.snapshot()).toEqual({ medianMs: 30_000, minMs: 30_000, maxMs: 30_000, steady: true, spanMs: 30_000 });
  });
  test("one stray interval in ten is forgiven, more is not", () => {
    const feed = (strays: number) => {
      const t = createCadenceTracker({ tolerance: 0.2, foldMs: 0 });
      let at = T0;
      t.observe(at);
      for (let i = 0; i < 20; i++) {
        at += i < strays ? 3 * MIN : MIN;
        t.observe(at);
      }
      return t.snapshot()?.steady;
    };
    expect(feed(2)).toBe(true);
    expect(feed(3)).toBe(false);
  });
  test("a finding's cadence is computed from its match signals' times", () => {
    const c = createCorrelator([rule({ id: "docker_restart_loop" })]);
    for (const s of [0, 20, 45, 65]) c.push(sig({ rule: "docker_restart_loop", time: T0 + s * 1000 }));
    expect(c.findings()[0]?.cadence).toEqual({ medianMs: 20_000, minMs: 20_000, maxMs: 25_000, steady: true, spanMs: 65_000 });
  });
});
