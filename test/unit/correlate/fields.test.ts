import { describe, expect, test } from "vitest";
import { createCorrelator, type Finding } from "../../../src/correlate/index.js";
import type { Rule } from "../../../src/rules/schema.js";
import type { Signal } from "../../../src/rules/signal.js";
import { rule, sig, T0 } from "./make-signal.js";

function run(rules: Rule[], signals: Signal[]): Finding[] {
  const c = createCorrelator(rules);
  for (const s of signals) c.push(s);
  return c.findings();
}

describe("field summaries", () => {
  const r = rule({
    id: "systemd_restart_loop",
    group_by: ["host", "service"],
    fields: { counter: "max", low: "min", firstPid: "first", codes: "values", pids: "count_distinct" },
  });
  const s = (f: Record<string, string>, t = T0) => sig({ rule: "systemd_restart_loop", time: t, fields: f });

  test("each mode summarises as documented; default is last", () => {
    const [f] = run([r], [
      s({ counter: "476", low: "476", firstPid: "11", codes: "1", pids: "11", unit: "a" }),
      s({ counter: "485", low: "485", firstPid: "12", codes: "137", pids: "12", unit: "b" }),
      s({ counter: "99", low: "99", firstPid: "13", codes: "1", pids: "11", unit: "c" }),
      s({ counter: "n/a", low: "", firstPid: "14", codes: "2", pids: "13" }),
    ]);
    expect(f?.fields).toEqual({
      host: "mithrandir",
      service: "transcription-palantir",
      counter: "485",
      low: "99",
      firstPid: "11",
      codes: "1, 137, 2",
      pids: "3",
      unit: "c",
    });
  });
  test("a declared field the pattern did not capture comes from the record's structured fields", () => {
    const stale = rule({ id: "stale", match: "failed: (?<file>\\S+)", group_by: ["host", "service"], fields: { queue: "last", file: "count_distinct" } });
    const job = (file: string, queue?: string) =>
      sig({ rule: "stale", time: T0, fields: { file }, recordFields: { ...(queue === undefined ? {} : { queue }), job_id: "7", file: "ignored" } });
    const [f] = run([stale], [job("a.m4a", "transcription"), job("b.m4a", "transcription-2"), job("b.m4a")]);
    const noFile = sig({ rule: "stale", time: T0, fields: {}, recordFields: { file: "from-record.m4a" } });
    expect(run([stale], [noFile])[0]?.fields).not.toHaveProperty("file");
    // A name the pattern captures never comes from the record; undeclared record fields (job_id) stay out.
    expect(f?.fields).toEqual({ host: "mithrandir", service: "transcription-palantir", file: "2", queue: "transcription-2" });
  });
  test("a field a structured alternative captures is never taken from the record", () => {
    const restart = rule({ id: "restart", match: { structured: [{ N_RESTARTS: "^(?<counter>\\d+)$" }] }, fields: { counter: "max" } });
    const [f] = run([restart], [sig({ rule: "restart", time: T0, fields: {}, recordFields: { counter: "999" } })]);
    expect(f?.fields).not.toHaveProperty("counter");
  });
  test("max compares numbers, not strings, and keeps the original text", () => {
    const [f] = run([r], [s({ counter: "0009" }), s({ counter: "10" }), s({ counter: "2" })]);
    expect(f?.fields.counter).toBe("10");
    const [g] = run([r], [s({ counter: "0009" }), s({ counter: "8" })]);
    expect(g?.fields.counter).toBe("0009");
  });
  test("values are bounded and say so", () => {
    const many = Array.from({ length: 60 }, (_, i) => s({ codes: `c${i}` }));
    const codes = run([r], many)[0]?.fields.codes ?? "";
    expect(codes.split(", ")).toHaveLength(51);
    expect(codes.endsWith(", …")).toBe(true);
    expect(codes.startsWith("c0, c1, ")).toBe(true);
  });
  test("group_by values and the record's host/service are fields too", () => {
    const byPort = rule({ id: "eaddrinuse_loop", group_by: ["port"] });
    const [f] = run([byPort], [sig({ rule: "eaddrinuse_loop", time: T0, recordFields: { port: "9003" } })]);
    expect(f?.fields).toEqual({ host: "mithrandir", service: "transcription-palantir", port: "9003" });
    expect(f?.groupKey).toBe('eaddrinuse_loop{port="9003"}');
  });
});

describe("derive", () => {
  const r = rule({
    id: "exit_trace",
    derive: [
      { when: { field: "result", matches: "^Ok\\(Err" }, set: { scenario: "task returned an error", next: "read the error of {task}" } },
      { when: { field: "result", matches: "^Err\\(JoinError" }, set: { scenario: "task panicked or was cancelled" } },
      { set: { scenario: "unknown exit of {task} ({missing})" } },
    ],
  });
  const s = (result: string) => sig({ rule: "exit_trace", time: T0, fields: { result, task: "recorder" } });

  test("the first entry whose condition holds sets fields, with placeholders filled", () => {
    expect(run([r], [s("Ok(Err(timeout))")])[0]?.fields).toMatchObject({ scenario: "task returned an error", next: "read the error of recorder" });
    expect(run([r], [s("Err(JoinError::Panic)")])[0]?.fields.scenario).toBe("task panicked or was cancelled");
  });
  test("an entry without when always applies; unknown placeholders stay visible", () => {
    expect(run([r], [s("Ok(Ok(()))")])[0]?.fields.scenario).toBe("unknown exit of recorder ({missing})");
  });
  test("derive looks at the summarised value (last by default)", () => {
    expect(run([r], [s("Err(JoinError::Panic)"), s("Ok(Err(x))")])[0]?.fields.scenario).toBe("task returned an error");
  });
  test("an invalid derive regex is refused when the correlator is built", () => {
    const bad = rule({ id: "bad", derive: [{ when: { field: "x", matches: "(" }, set: { y: "z" } }] });
    expect(() => createCorrelator([bad])).toThrow(expect.objectContaining({ code: "rule_invalid" }));
  });
});

describe("table", () => {
  const staleJobs = rule({
    id: "stale_job_queue",
    kind: "threshold",
    threshold: { count: 5, within: "1h" },
    group_by: ["host"],
    table: {
      title: "Affected Files",
      key: "file",
      key_label: "File Name",
      count_label: "Failed Jobs",
      max_rows: 3,
      status: { rule: "job_completed", key: "fileName", present: "✅ Already completed", absent: "❌ Not completed" },
    },
  });
  const completed = rule({ id: "job_completed", role: "context", group_by: ["host"] });
  const failed = (file: string) => sig({ rule: "stale_job_queue", time: T0, fields: { file } });
  const done = (fileName: string) => sig({ rule: "job_completed", time: T0 - 1000, fields: { fileName } });

  test("seed 000: rows by count then name, capped, with the completed status", () => {
    const fs = run([staleJobs, completed], [
      done("08 Masterclass.m4a"),
      done("04 Interview.m4a"),
      ...Array.from({ length: 7 }, () => failed("08 Masterclass.m4a")),
      ...["04 Interview.m4a", "07 Live Coaching 3.m4a", "06 Live Coaching 2.m4a"].flatMap((f) => [failed(f), failed(f)]),
      failed("04 Interview.m4a"),
      failed("05 Live Coaching 1.m4a"),
    ]);
    expect(fs).toHaveLength(1);
    expect(fs[0]?.table).toEqual({
      title: "Affected Files",
      columns: ["File Name", "Failed Jobs", "Status"],
      rows: [
        ["08 Masterclass.m4a", "7", "✅ Already completed"],
        ["04 Interview.m4a", "3", "✅ Already completed"],
        ["06 Live Coaching 2.m4a", "2", "❌ Not completed"],
      ],
      omitted: 2,
    });
    expect(fs[0]?.count).toBe(15);
  });
  test("context rules make no findings; a completion seen after the failures still counts", () => {
    const fs = run([staleJobs, completed], [failed("a.m4a"), done("a.m4a")]);
    expect(fs.map((f) => f.rule)).toEqual(["stale_job_queue"]);
    expect(fs[0]?.table?.rows).toEqual([["a.m4a", "1", "✅ Already completed"]]);
  });
  test("without a status the table has two columns", () => {
    const plain = rule({ id: "t", table: { title: "T", key: "k", key_label: "K" } });
    const [f] = run([plain], [sig({ rule: "t", time: T0, fields: { k: "x" } }), sig({ rule: "t", time: T0 })]);
    expect(f?.table).toEqual({ title: "T", columns: ["K", "Count"], rows: [["x", "1"]], omitted: 0 });
  });
});

describe("evidence", () => {
  test("keeps the first 3 and last 3 lines verbatim, in order", () => {
    const r = rule({ id: "e" });
    const signals = Array.from({ length: 10 }, (_, i) => sig({ rule: "e", time: T0 + i, text: `line ${i}` }));
    const [f] = run([r], signals);
    expect(f?.evidence.map((e) => e.text)).toEqual(["line 0", "line 1", "line 2", "line 7", "line 8", "line 9"]);
    expect(f?.evidence[0]).toEqual({ ref: signals[0]?.record.ref, time: T0, text: "line 0" });
  });
  test("few lines are all kept; evidencePerEnd changes the bound", () => {
    const r = rule({ id: "e" });
    const c = createCorrelator([r], { evidencePerEnd: 1 });
    for (let i = 0; i < 5; i++) c.push(sig({ rule: "e", time: T0 + i, text: `l${i}` }));
    expect(c.findings()[0]?.evidence.map((e) => e.text)).toEqual(["l0", "l4"]);
    expect(run([r], [sig({ rule: "e", time: T0, text: "only" })])[0]?.evidence.map((e) => e.text)).toEqual(["only"]);
    const none = createCorrelator([r], { evidencePerEnd: 0 });
    for (let i = 0; i < 5; i++) none.push(sig({ rule: "e", time: T0 + i }));
    expect(none.findings()[0]?.evidence).toEqual([]);
  });
});

describe("field names that are Object's own", () => {
  test("__proto__, constructor and toString are fields like any other", () => {
    const r = rule({ id: "odd", group_by: ["constructor"], fields: { toString: "values" } });
    const c = createCorrelator([r]);
    c.push(sig({ rule: "odd", time: T0, fields: { ["__proto__"]: "p", toString: "a" } }));
    c.push(sig({ rule: "odd", time: T0 + 1, fields: { toString: "b" } }));
    const [f] = c.findings();
    expect(f?.groupKey).toBe('odd{constructor=""}');
    expect(Object.hasOwn(f?.fields ?? {}, "__proto__")).toBe(true);
    expect(f?.fields["__proto__"]).toBe("p");
    expect(f?.fields.toString).toBe("a, b");
  });
});
