import { describe, expect, test } from "vitest";
import { createCorrelator, type Finding } from "../../../src/correlate/index.js";
import { describeIdentity, groupIntoIncidents } from "../../../src/incidents/index.js";
import type { Severity } from "../../../src/rules/schema.js";
import { MIN, rule, sig, T0 } from "../correlate/make-signal.js";

const RULES = [
  rule({
    id: "eaddrinuse_loop",
    title: "Crash loop — port {port} already in use by {owner}",
    severity: "critical",
    kind: "threshold",
    threshold: { count: 3, within: "5m" },
    group_by: ["host", "service", "port"],
  }),
  rule({ id: "systemd_restart_loop", title: "Restart loop of {service}", severity: "high", kind: "threshold", threshold: { count: 3, within: "10m" }, fields: { counter: "max" } }),
  rule({ id: "stale_job_queue", title: "Stale job queue", severity: "medium", kind: "threshold", threshold: { count: 5, within: "1h" }, group_by: ["host"] }),
];

function finding(over: Partial<Finding> & { rule: string }): Finding {
  return {
    severity: "medium",
    state: "firing",
    count: 1,
    firstSeen: T0,
    lastSeen: T0,
    host: "mithrandir",
    service: "svc",
    groupKey: `${over.rule}{}`,
    fields: {},
    evidence: [],
    cadence: undefined,
    table: undefined,
    recoveredAt: undefined,
    ...over,
  };
}

describe("groupIntoIncidents", () => {
  test("seed 000: port conflict, restart loop and stale jobs of one service make ONE incident", () => {
    const c = createCorrelator(RULES);
    for (let i = 0; i < 10; i++) {
      const t = T0 + i * 8000;
      c.push(sig({ rule: "eaddrinuse_loop", time: t, fields: { port: "9003" } }));
      c.push(sig({ rule: "systemd_restart_loop", time: t + 1000, fields: { counter: String(476 + i) } }));
    }
    for (let i = 0; i < 20; i++) c.push(sig({ rule: "stale_job_queue", time: T0 + 20 * MIN + i * 1000 }));
    const incidents = groupIntoIncidents(c.findings(), RULES);
    expect(incidents).toHaveLength(1);
    const [inc] = incidents;
    expect(inc).toMatchObject({
      title: "Crash loop — port 9003 already in use by {owner}",
      severity: "critical",
      status: "open",
      host: "mithrandir",
      service: "transcription-palantir",
      firstSeen: T0,
      lastSeen: T0 + 20 * MIN + 19_000,
    });
    expect(inc?.findings.map((f) => f.rule)).toEqual(["eaddrinuse_loop", "systemd_restart_loop", "stale_job_queue"]);
    expect(inc?.id).toMatch(/^fw-[0-9a-f]{8}$/);
    expect(inc?.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(inc?.id).toBe(`fw-${inc?.fingerprint.slice(0, 8)}`);
  });

  test("different hosts never merge", () => {
    const fs = [finding({ rule: "a", host: "h1" }), finding({ rule: "a", host: "h2" })];
    expect(groupIntoIncidents(fs, RULES).map((i) => i.host)).toEqual(expect.arrayContaining(["h1", "h2"]));
    expect(groupIntoIncidents(fs, RULES)).toHaveLength(2);
  });

  test("far-apart times on one host make separate incidents; the gap is inclusive", () => {
    const a = finding({ rule: "a", firstSeen: T0, lastSeen: T0 + 10 * MIN });
    const b = finding({ rule: "b", firstSeen: T0 + 40 * MIN, lastSeen: T0 + 41 * MIN });
    const c = finding({ rule: "c", firstSeen: T0 + 40 * MIN + 1, lastSeen: T0 + 50 * MIN });
    expect(groupIntoIncidents([a, b, c], RULES).map((i) => i.findings.map((f) => f.rule))).toEqual([["a", "b", "c"]]);
    const late = finding({ rule: "b", firstSeen: T0 + 40 * MIN + 1, lastSeen: T0 + 41 * MIN });
    expect(groupIntoIncidents([a, late], RULES).map((i) => i.findings.map((f) => f.rule))).toEqual([["a"], ["b"]]);
    expect(groupIntoIncidents([a, late], RULES, { gapMs: 0 })).toHaveLength(2);
    expect(groupIntoIncidents([a, late], RULES, { gapMs: 60 * MIN })).toHaveLength(1);
  });

  test("overlapping spans chain: a long finding bridges two short ones", () => {
    const long = finding({ rule: "long", firstSeen: T0, lastSeen: T0 + 5 * 60 * MIN });
    const early = finding({ rule: "early", firstSeen: T0 + MIN, lastSeen: T0 + 2 * MIN });
    const late = finding({ rule: "late", firstSeen: T0 + 4 * 60 * MIN, lastSeen: T0 + 4 * 60 * MIN });
    expect(groupIntoIncidents([late, early, long], RULES)).toHaveLength(1);
  });

  test("findings without times join their host's latest incident, or form one", () => {
    const a = finding({ rule: "a", firstSeen: T0, lastSeen: T0 });
    const b = finding({ rule: "b", firstSeen: T0 + 5 * 60 * MIN, lastSeen: T0 + 5 * 60 * MIN });
    const untimed = finding({ rule: "u", firstSeen: undefined, lastSeen: undefined });
    const grouped = groupIntoIncidents([untimed, a, b], RULES);
    expect(grouped.map((i) => i.findings.map((f) => f.rule))).toEqual([["a"], ["b", "u"]]);
    const alone = groupIntoIncidents([untimed, finding({ rule: "v", firstSeen: undefined, lastSeen: undefined })], RULES);
    expect(alone).toHaveLength(1);
    expect(alone[0]).toMatchObject({ firstSeen: undefined, lastSeen: undefined });
  });

  test("status, severity and anchor: the most severe FIRING finding gives title and host/service", () => {
    const sev = (s: Severity) => s;
    const observedCritical = finding({ rule: "eaddrinuse_loop", severity: sev("critical"), state: "observed", service: "b", fields: { port: "1" } });
    const firingHigh = finding({ rule: "systemd_restart_loop", severity: sev("high"), service: "b", fields: { service: "b" }, firstSeen: T0 + 1 });
    const [inc] = groupIntoIncidents([observedCritical, firingHigh], RULES);
    expect(inc).toMatchObject({ title: "Restart loop of b", severity: "critical", status: "open", service: "b" });
    expect(inc?.findings.map((f) => f.rule)).toEqual(["eaddrinuse_loop", "systemd_restart_loop"]);
    const [quiet] = groupIntoIncidents([observedCritical], RULES);
    expect(quiet).toMatchObject({ status: "observed", title: "Crash loop — port 1 already in use by {owner}" });
  });

  test("titles may name the count, host and service; an empty field stays a visible placeholder", () => {
    const titled = [rule({ id: "stale_job_queue", title: "{count} failed jobs on {host} ({port})" })];
    const f = finding({ rule: "stale_job_queue", count: 20, fields: { port: "" } });
    expect(groupIntoIncidents([f], titled)[0]?.title).toBe("20 failed jobs on mithrandir ({port})");
  });

  test("when the anchor names no service, the next finding that does gives it (seed 001: panic + restart loop)", () => {
    const panic = finding({ rule: "rust_panic", severity: "critical", service: undefined, firstSeen: T0 });
    const loop = finding({ rule: "docker_restart_loop", severity: "critical", service: "rust-ingester", firstSeen: T0 + MIN });
    const [inc] = groupIntoIncidents([loop, panic], RULES);
    expect(inc?.findings[0]?.rule).toBe("rust_panic");
    expect(inc?.service).toBe("rust-ingester");
  });

  test("a rule without a title, or unknown, is titled by its id", () => {
    expect(groupIntoIncidents([finding({ rule: "mystery" })], RULES)[0]?.title).toBe("mystery");
  });

  test("output order is by firstSeen then fingerprint, whatever the input order", () => {
    const fs = [
      finding({ rule: "x", host: "h2", firstSeen: T0 + MIN, lastSeen: T0 + MIN }),
      finding({ rule: "y", host: "h1", firstSeen: T0, lastSeen: T0 }),
      finding({ rule: "z", host: "h3", firstSeen: T0, lastSeen: T0 }),
    ];
    const forward = groupIntoIncidents(fs, RULES);
    expect(groupIntoIncidents([...fs].reverse(), RULES)).toEqual(forward);
    expect(forward[2]?.host).toBe("h2");
    expect((forward[0]?.fingerprint ?? "") < (forward[1]?.fingerprint ?? "")).toBe(true);
  });

  test("a negative gap is refused", () => {
    expect(() => groupIntoIncidents([], RULES, { gapMs: -1 })).toThrow(expect.objectContaining({ code: "usage" }));
  });
});

describe("incident titles", () => {
  const stuck = rule({ id: "segment_rotation_stuck", title: "Segment rotation stuck for stream {stream} ({count} failures)", severity: "critical" });
  test("name every firing group of the anchor's rule, and add their counts (seed 004: four streams)", () => {
    const fs = ["345", "348", "404", "413"].map((stream, i) =>
      finding({ rule: "segment_rotation_stuck", severity: "critical", groupKey: `s{${stream}}`, fields: { stream }, count: 10 + i, firstSeen: T0 + i, lastSeen: T0 + i }),
    );
    const [incident] = groupIntoIncidents(fs, [stuck]);
    expect(incident?.title).toBe("Segment rotation stuck for stream 345, 348, 404, 413 (46 failures)");
  });
  test("an observed sibling does not speak for the firing anchor", () => {
    const fs = [
      finding({ rule: "segment_rotation_stuck", severity: "critical", groupKey: "a", fields: { stream: "345" }, count: 3 }),
      finding({ rule: "segment_rotation_stuck", severity: "critical", groupKey: "b", fields: { stream: "351" }, count: 1, state: "observed" }),
    ];
    expect(groupIntoIncidents(fs, [stuck])[0]?.title).toBe("Segment rotation stuck for stream 345 (3 failures)");
  });
});

describe("incident identity: one failing thing on one host (issue 14)", () => {
  const PORT = rule({ id: "eaddrinuse_loop", severity: "critical", group_by: ["host", "service", "port"], same_cause: ["port"] });
  const LOOP = rule({ id: "docker_restart_loop", severity: "critical", group_by: ["host", "container"] });
  const OOM = rule({ id: "oom_kill", severity: "high", group_by: ["host"] });
  const PG = rule({ id: "pg_too_many_clients", severity: "critical", group_by: ["host"] });
  const PG_CLIENT = rule({ id: "postgres_unreachable", severity: "critical", group_by: ["host"], cause_service: "postgres" });
  const IDENTITY_RULES = [PORT, LOOP, OOM, PG, PG_CLIENT];
  const rulesOf = (i: { findings: readonly Finding[] }) => i.findings.map((f) => `${f.rule}:${f.service ?? f.fields.container ?? "-"}`).sort();

  test("two port conflicts and an OOM kill on one Docker host are three incidents, each with its restart loop", () => {
    const fs = [
      finding({ rule: "eaddrinuse_loop", service: "loop-main", groupKey: "p1", fields: { port: "9003" } }),
      finding({ rule: "docker_restart_loop", service: "loop-main", groupKey: "l1", fields: { container: "loop-main" } }),
      finding({ rule: "eaddrinuse_loop", service: "loop-two", groupKey: "p2", fields: { port: "9004" }, firstSeen: T0 + MIN }),
      finding({ rule: "docker_restart_loop", service: "loop-two", groupKey: "l2", fields: { container: "loop-two" }, firstSeen: T0 + MIN }),
      finding({ rule: "oom_kill", service: "oom-one", groupKey: "o1", fields: { container: "oom-one" }, firstSeen: T0 + 2 * MIN }),
      finding({ rule: "docker_restart_loop", service: "oom-one", groupKey: "l3", fields: { container: "oom-one" }, firstSeen: T0 + 2 * MIN }),
    ];
    const incidents = groupIntoIncidents(fs, IDENTITY_RULES);
    expect(incidents.map(rulesOf)).toEqual([
      ["docker_restart_loop:loop-main", "eaddrinuse_loop:loop-main"],
      ["docker_restart_loop:loop-two", "eaddrinuse_loop:loop-two"],
      ["docker_restart_loop:oom-one", "oom_kill:oom-one"],
    ]);
    expect(new Set(incidents.map((i) => i.fingerprint)).size).toBe(3);
    expect(incidents.map((i) => i.host)).toEqual(["mithrandir", "mithrandir", "mithrandir"]);
  });

  test("the same port on the same host is one cause across a unit and a container; on another host it is not", () => {
    const unit = finding({ rule: "eaddrinuse_loop", service: "transcription-palantir", groupKey: "u", fields: { port: "9003" } });
    const container = finding({ rule: "eaddrinuse_loop", service: "palantir-api", groupKey: "c", fields: { port: "9003" } });
    const loop = finding({ rule: "docker_restart_loop", service: "palantir-api", groupKey: "l", fields: { container: "palantir-api" } });
    expect(groupIntoIncidents([unit, container, loop], IDENTITY_RULES)).toHaveLength(1);
    expect(groupIntoIncidents([unit, { ...container, host: "web1" }, { ...loop, host: "web1" }], IDENTITY_RULES)).toHaveLength(2);
    // A rule that declares no same_cause does not link by an equal field.
    expect(groupIntoIncidents([unit, container], [rule({ id: "eaddrinuse_loop", severity: "critical" })])).toHaveLength(2);
  });

  test("a client failing to reach PostgreSQL joins postgres's own incident (cause_service)", () => {
    const server = finding({ rule: "pg_too_many_clients", service: "postgres", groupKey: "s" });
    const client = finding({ rule: "postgres_unreachable", service: "analysis_service", groupKey: "c" });
    expect(groupIntoIncidents([server, client], IDENTITY_RULES)).toHaveLength(1);
    expect(groupIntoIncidents([server, client], [PG, rule({ id: "postgres_unreachable", severity: "critical", group_by: ["host"] })])).toHaveLength(2);
  });

  test("a compose replica's container is its service; findings naming nothing join the host's only failing thing", () => {
    const loop = finding({ rule: "docker_restart_loop", service: "file_watcher", groupKey: "l", fields: { container: "file_watcher_1" } });
    const own = finding({ rule: "inotify_limit", service: "file_watcher", groupKey: "i" });
    expect(groupIntoIncidents([loop, own], IDENTITY_RULES)).toHaveLength(1);
    const nameless = finding({ rule: "rust_panic", service: undefined, groupKey: "p" });
    expect(groupIntoIncidents([loop, nameless], IDENTITY_RULES)).toHaveLength(1);
    const other = finding({ rule: "oom_kill", service: "other", groupKey: "o", fields: { container: "other" } });
    expect(groupIntoIncidents([loop, other, nameless], IDENTITY_RULES)).toHaveLength(3);
  });

  test("a source down is about the watcher: nameless lines of that host do not join it, and it adopts none", () => {
    const down = finding({ rule: "firewatch_source_health", service: "firewatch", groupKey: "d", fields: { source: "box-app" } });
    const nameless = finding({ rule: "seq_line", service: undefined, groupKey: "n" });
    expect(groupIntoIncidents([nameless, down], IDENTITY_RULES)).toHaveLength(2);
    // With one real failing thing on the host, the nameless lines still go to it, not to the watcher's record.
    const loop = finding({ rule: "docker_restart_loop", service: "file_watcher", groupKey: "l", fields: { container: "file_watcher_1" } });
    expect(groupIntoIncidents([nameless, down, loop], IDENTITY_RULES).map(rulesOf).sort()).toEqual([["docker_restart_loop:file_watcher", "seq_line:-"], ["firewatch_source_health:firewatch"]]);
  });

  test("describeIdentity names the failing things, the host and the cause that ties them", () => {
    const unit = finding({ rule: "eaddrinuse_loop", service: "transcription-palantir", groupKey: "u", fields: { port: "9003" } });
    const loop = finding({ rule: "docker_restart_loop", service: "palantir-api", groupKey: "l", fields: { container: "palantir-api" } });
    expect(describeIdentity([unit, loop], "local", new Map(IDENTITY_RULES.map((r) => [r.id, r])))).toBe(
      "service transcription-palantir, container palantir-api on host local, one cause: port 9003",
    );
    expect(describeIdentity([finding({ rule: "disk_full", service: undefined })], "web1")).toBe("the host itself (its lines name no unit, container or service) on host web1");
  });
});
