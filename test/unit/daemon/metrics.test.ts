// The daemon's metrics: names, labels and values in the Prometheus exposition text, one registry per daemon.
import { describe, expect, test } from "vitest";
import { createDaemonMetrics } from "../../../src/daemon/metrics.js";

/** The value of one sample line `name{labels} value` in the exposition text, undefined when absent. */
function sample(text: string, series: string): number | undefined {
  for (const line of text.split("\n")) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  }
  return undefined;
}

describe("createDaemonMetrics", () => {
  test("exposes every interface metric with its labels and the values given", async () => {
    const m = createDaemonMetrics();
    m.linesRead("journal@web1", 3);
    m.linesRead("journal@web1", 4);
    m.lagSeconds("journal@web1", 1.5);
    m.reconnect("journal@web1");
    m.reconnect("journal@web1");
    m.dropped("app-log", 2, "too_long");
    m.ruleHit("eaddrinuse_loop", 5);
    m.incident("created");
    m.incident("updated");
    m.incident("updated");
    m.commitSeconds(0.004);
    m.commitSeconds(0.3);
    m.queueDepth("app-log", 17);
    m.sourceUp("journal@web1", true);
    m.sourceUp("app-log", false);
    m.lagBytes("app-log", 4096);
    m.lost("app-log", "bytes", 1200);
    m.lost("app-log", "bytes", 34);
    m.lost("journal@web1", "entries", 5);
    const text = await m.registry.metrics();

    expect(sample(text, 'firewatch_lines_read_total{source="journal@web1"}')).toBe(7);
    expect(sample(text, 'firewatch_source_lag_seconds{source="journal@web1"}')).toBe(1.5);
    expect(sample(text, 'firewatch_source_reconnects_total{source="journal@web1"}')).toBe(2);
    expect(sample(text, 'firewatch_lines_dropped_total{source="app-log",reason="too_long"}')).toBe(2);
    expect(sample(text, 'firewatch_rule_hits_total{rule="eaddrinuse_loop"}')).toBe(5);
    expect(sample(text, 'firewatch_incident_changes_total{outcome="created"}')).toBe(1);
    expect(sample(text, 'firewatch_incident_changes_total{outcome="updated"}')).toBe(2);
    expect(sample(text, "firewatch_commit_duration_seconds_count")).toBe(2);
    expect(sample(text, "firewatch_commit_duration_seconds_sum")).toBeCloseTo(0.304, 6);
    expect(sample(text, 'firewatch_commit_duration_seconds_bucket{le="0.005"}')).toBe(1);
    expect(sample(text, 'firewatch_commit_duration_seconds_bucket{le="0.5"}')).toBe(2);
    expect(sample(text, 'firewatch_source_queue_records{source="app-log"}')).toBe(17);
    expect(sample(text, 'firewatch_source_up{source="journal@web1"}')).toBe(1);
    expect(sample(text, 'firewatch_source_up{source="app-log"}')).toBe(0);
    expect(sample(text, 'firewatch_source_lag_bytes{source="app-log"}')).toBe(4096);
    expect(sample(text, 'firewatch_source_lost_total{source="app-log",unit="bytes"}')).toBe(1234);
    expect(sample(text, 'firewatch_source_lost_total{source="journal@web1",unit="entries"}')).toBe(5);
    expect(text).toContain("# TYPE firewatch_lines_read_total counter");
    expect(text).toContain("# TYPE firewatch_source_lag_seconds gauge");
    expect(text).toContain("# TYPE firewatch_commit_duration_seconds histogram");
  });

  test("registers Node's default process metrics on the daemon's own registry", async () => {
    const text = await createDaemonMetrics().registry.metrics();
    expect(sample(text, "process_resident_memory_bytes")).toBeGreaterThan(0);
    expect(text).toContain("# TYPE process_cpu_seconds_total counter");
    expect(text).toContain("# TYPE nodejs_heap_size_used_bytes gauge");
  });

  test("two daemons in one process keep separate registries and counts", async () => {
    const a = createDaemonMetrics();
    const b = createDaemonMetrics();
    a.linesRead("s", 10);
    b.linesRead("s", 1);
    expect(a.registry).not.toBe(b.registry);
    expect(sample(await a.registry.metrics(), 'firewatch_lines_read_total{source="s"}')).toBe(10);
    expect(sample(await b.registry.metrics(), 'firewatch_lines_read_total{source="s"}')).toBe(1);
  });

  test("a negative or NaN count is ignored instead of throwing into the pipeline", async () => {
    const m = createDaemonMetrics();
    m.linesRead("s", 2);
    expect(() => m.linesRead("s", -1)).not.toThrow();
    expect(() => m.ruleHit("r", Number.NaN)).not.toThrow();
    expect(() => m.dropped("s", -3, "bad_json")).not.toThrow();
    const text = await m.registry.metrics();
    expect(sample(text, 'firewatch_lines_read_total{source="s"}')).toBe(2);
    expect(sample(text, 'firewatch_rule_hits_total{rule="r"}')).toBeUndefined();
  });

  test("label values are escaped in the exposition text", async () => {
    const m = createDaemonMetrics();
    m.linesRead('file "a\\b"', 1);
    expect(await m.registry.metrics()).toContain('firewatch_lines_read_total{source="file \\"a\\\\b\\""} 1');
  });

  test("the registry's content type is the Prometheus text format 0.0.4", () => {
    expect(createDaemonMetrics().registry.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
  });
});

test("scale-out gauges read the leases at each scrape; fenced commits count", async () => {
  const m = createDaemonMetrics();
  let held = 4;
  m.scale(() => ({ held, watchers: 3 }));
  m.fenced();
  let text = await m.registry.metrics();
  expect(text).toContain("firewatch_leases_held 4");
  expect(text).toContain("firewatch_watchers_live 3");
  expect(text).toContain("firewatch_fenced_commits_total 1");
  held = 6;
  text = await m.registry.metrics();
  expect(text).toContain("firewatch_leases_held 6");
});
