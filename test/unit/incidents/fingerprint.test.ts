import { describe, expect, test } from "vitest";
import { createCorrelator } from "../../../src/correlate/index.js";
import { fingerprintIncident, groupIntoIncidents, incidentId } from "../../../src/incidents/index.js";
import { rule, sig, T0 } from "../correlate/make-signal.js";

describe("fingerprint", () => {
  const parts = { host: "mithrandir", service: "transcription-palantir", rule: "eaddrinuse_loop", groupKey: 'eaddrinuse_loop{port="9003"}' };

  test("is the sha256 hex of its parts and the id is fw- + 8 hex", () => {
    const fp = fingerprintIncident(parts);
    expect(fp).toMatch(/^[0-9a-f]{64}$/);
    expect(fingerprintIncident({ ...parts })).toBe(fp);
    expect(incidentId(fp)).toBe(`fw-${fp.slice(0, 8)}`);
  });
  test("every part matters, and parts cannot run into each other", () => {
    const fp = fingerprintIncident(parts);
    expect(fingerprintIncident({ ...parts, host: "other" })).not.toBe(fp);
    expect(fingerprintIncident({ ...parts, service: undefined })).not.toBe(fp);
    expect(fingerprintIncident({ ...parts, groupKey: 'eaddrinuse_loop{port="9004"}' })).not.toBe(fp);
    expect(fingerprintIncident({ host: "a b", service: "c", rule: "r", groupKey: "k" })).not.toBe(
      fingerprintIncident({ host: "a", service: "b c", rule: "r", groupKey: "k" }),
    );
  });
  test("stays the same when the incident grows (restart counter 476 → 485, later lines)", () => {
    const rules = [
      rule({ id: "systemd_restart_loop", severity: "high", kind: "threshold", threshold: { count: 3, within: "10m" }, fields: { counter: "max" } }),
    ];
    const c = createCorrelator(rules);
    const push = (i: number) => c.push(sig({ rule: "systemd_restart_loop", time: T0 + i * 8000, fields: { counter: String(476 + i) } }));
    for (let i = 0; i < 3; i++) push(i);
    const before = groupIntoIncidents(c.findings(), rules)[0];
    for (let i = 3; i < 10; i++) push(i);
    const after = groupIntoIncidents(c.findings(), rules)[0];
    expect(after?.findings[0]?.count).toBe(10);
    expect(after?.findings[0]?.fields.counter).toBe("485");
    expect(after?.lastSeen).not.toBe(before?.lastSeen);
    expect(after?.fingerprint).toBe(before?.fingerprint);
    expect(after?.id).toBe(before?.id);
  });
});

describe("fingerprint anchor", () => {
  const rules = [
    rule({ id: "eaddrinuse_loop", title: "Port {port} in use", severity: "critical", kind: "threshold", threshold: { count: 3, within: "5m" }, group_by: ["host", "port"] }),
    rule({ id: "stale_job_queue", title: "Stale jobs", severity: "high", kind: "threshold", threshold: { count: 2, within: "1h" }, group_by: ["host"] }),
  ];
  test("stays when a more severe finding already in the incident starts firing; the title follows what fires", () => {
    const c = createCorrelator(rules);
    c.push(sig({ rule: "stale_job_queue", time: T0 }));
    c.push(sig({ rule: "stale_job_queue", time: T0 + 1000 }));
    c.push(sig({ rule: "eaddrinuse_loop", time: T0 + 2000, fields: { port: "9003" } }));
    const before = groupIntoIncidents(c.findings(), rules);
    expect(before.map((i) => i.title)).toEqual(["Stale jobs"]);
    c.push(sig({ rule: "eaddrinuse_loop", time: T0 + 3000, fields: { port: "9003" } }));
    c.push(sig({ rule: "eaddrinuse_loop", time: T0 + 4000, fields: { port: "9003" } }));
    const after = groupIntoIncidents(c.findings(), rules);
    expect(after.map((i) => i.title)).toEqual(["Port 9003 in use"]);
    expect(after[0]?.fingerprint).toBe(before[0]?.fingerprint);
  });
});
