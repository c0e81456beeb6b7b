// Source-health records through the real engine: the built-in rules make one incident per source, and recovery clears it.
import { beforeAll, describe, expect, test } from "vitest";
import { createCorrelator } from "../../../src/correlate/index.js";
import { createSourceHealth, type SourceHealth } from "../../../src/daemon/source-health.js";
import { groupIntoIncidents, type Incident } from "../../../src/incidents/index.js";
import type { LogRecord } from "../../../src/parsers/record.js";
import { renderMarkdown } from "../../../src/report/index.js";
import { compileRules, createMatcher, loadBuiltinRules, type Rule } from "../../../src/rules/index.js";

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 23, 16, 0, 0);

let rules: Rule[];
let byId: Map<string, Rule>;
beforeAll(async () => {
  rules = await loadBuiltinRules();
  byId = new Map(rules.map((r) => [r.id, r]));
});

/** The daemon's path for these records: matcher → correlator → incidents, with the clock as the correlator's now. */
function pipeline() {
  const match = createMatcher(compileRules(rules));
  const correlator = createCorrelator(rules);
  let last = T0;
  return {
    feed(records: readonly LogRecord[]) {
      for (const r of records) for (const s of match(r)) correlator.push(s);
      if (records.length > 0) last = records[records.length - 1]?.time ?? last;
    },
    incidents(): Incident[] {
      return groupIntoIncidents(correlator.findings(last), rules);
    },
  };
}

function run(h: SourceHealth, p: ReturnType<typeof pipeline>, from: number, to: number): void {
  for (let t = from; t <= to; t += 1000) p.feed(h.tick(t));
}

describe("firewatch_source_quiet and firewatch_source_health", () => {
  test("a quiet journal becomes a medium incident titled after the source, and lines clear it", () => {
    const h = createSourceHealth({ quietMs: () => 10 * MIN, clock: { now: () => T0, sleep: () => Promise.resolve() } });
    const p = pipeline();
    h.seen("journald:web1", "web1", T0);
    run(h, p, T0, T0 + 10 * MIN);
    const [incident, ...others] = p.incidents();
    expect(others).toEqual([]);
    expect(incident).toMatchObject({ title: "Log source journald:web1 is quiet", severity: "medium", status: "open", host: "web1", service: "firewatch" });
    expect(incident?.findings.map((f) => [f.rule, f.state, f.fields.source, f.fields.silent_for])).toEqual([
      ["firewatch_source_quiet", "firing", "journald:web1", "10 min"],
    ]);

    h.seen("journald:web1", "web1", T0 + 10 * MIN + 500);
    run(h, p, T0 + 10 * MIN + 1000, T0 + 10 * MIN + 1000);
    const [recovered] = p.incidents();
    expect(recovered?.findings[0]?.recoveredAt).toBe(T0 + 10 * MIN + 1000);
    expect(recovered?.status).toBe("observed");
  });

  test("a failed link is a high incident; two sources on two hosts are two incidents", () => {
    const h = createSourceHealth({ quietMs: () => undefined, clock: { now: () => T0, sleep: () => Promise.resolve() } });
    const p = pipeline();
    h.state("journald:web1", "web1", "failed", "ssh: connect ECONNREFUSED 10.0.0.5:22", T0);
    h.state("docker:web2", "web2", "failed", "connect ENOENT /var/run/docker.sock", T0);
    run(h, p, T0 + 1000, T0 + 20 * MIN);
    const incidents = p.incidents();
    expect(incidents.map((i) => [i.host, i.title, i.severity]).sort()).toEqual([
      ["web1", "Log source journald:web1 is down", "high"],
      ["web2", "Log source docker:web2 is down", "high"],
    ]);
    // The repeats while down add to the same finding instead of making new ones: one finding per source.
    expect(incidents.map((i) => [i.findings.length, i.findings[0]?.count])).toEqual([
      [1, 1 + Math.floor((20 * MIN - 1000) / (4 * MIN))],
      [1, 1 + Math.floor((20 * MIN - 1000) / (4 * MIN))],
    ]);
    expect(incidents[0]?.findings[0]?.fields.reason).toMatch(/^link failed: /);
  });

  test("the report names the source, the reason and the exact commands on the source's host", () => {
    const h = createSourceHealth({ quietMs: () => undefined, clock: { now: () => T0, sleep: () => Promise.resolve() } });
    const p = pipeline();
    h.state("journald:web1", "web1", "failed", "ssh: connect ECONNREFUSED 10.0.0.5:22", T0);
    run(h, p, T0 + 1000, T0 + 1000);
    const [incident] = p.incidents();
    if (incident === undefined) throw new Error("no incident");
    const md = renderMarkdown(incident, byId);
    expect(md).toContain("# Incident Report: Log source journald:web1 is down");
    expect(md).toContain("Log source journald:web1 is down: link failed: ssh: connect ECONNREFUSED 10.0.0.5:22");
    expect(md).toContain("ssh web1 true");
    expect(md).toContain("Check journald on web1 (journald sources)");
    expect(md).toContain("curl -s http://127.0.0.1:9464/healthz");
  });
});
