import { describe, expect, test } from "vitest";
import type { Finding } from "../../../src/correlate/index.js";
import { coveredBy, stillFiring } from "../../../src/incidents/index.js";

const NOW = Date.UTC(2026, 11, 7, 3, 0, 0);
function finding(rule: string, service: string, fields: Record<string, string>, over: Partial<Finding> = {}): Finding {
  return { rule, severity: "critical", state: "firing", count: 5, firstSeen: NOW - 60_000, lastSeen: NOW - 1000, host: "local", service, groupKey: `${rule}{${service}}`, fields, evidence: [], cadence: undefined, table: undefined, recoveredAt: undefined, ...over };
}

describe("a fix covers its own member only (issue 14)", () => {
  const portConflict = finding("eaddrinuse_loop", "loop-main", { port: "9003" });
  const loop = finding("docker_restart_loop", "loop-main", { container: "loop-main" });
  const oomOne = finding("docker_restart_loop", "oom-one", { container: "oom-one" });

  test("killing the holder of port 9003 for loop-main covers its EADDRINUSE lines and its restart loop", () => {
    const fix = { port: "9003", container: "loop-main" };
    expect([portConflict, loop].every((f) => coveredBy(f, fix))).toBe(true);
    expect(stillFiring([portConflict, loop], [fix], { now: NOW })).toEqual([]);
  });

  test("restarting oom-two leaves oom-one firing; a quiet or observed finding does not hold the incident open", () => {
    expect(stillFiring([oomOne], [{ container: "oom-two" }], { now: NOW })).toEqual([oomOne]);
    const quiet = { ...oomOne, lastSeen: NOW - 16 * 60_000 };
    expect(stillFiring([quiet], [{ container: "oom-two" }], { now: NOW })).toEqual([]);
    expect(stillFiring([quiet], [{ container: "oom-two" }], { now: NOW, quietMs: () => 60 * 60_000 })).toEqual([quiet]);
    expect(stillFiring([{ ...oomOne, state: "observed" }], [], { now: NOW })).toEqual([]);
  });

  test("a unit fix covers the unit's findings with or without .service; a queue fix its queue", () => {
    const unitLoop = finding("systemd_restart_loop", "systemd", { unit: "transcription-palantir" });
    expect(coveredBy(unitLoop, { unit: "transcription-palantir.service" })).toBe(true);
    expect(coveredBy(finding("stale_job_queue", "api", { queue: "transcription" }), { queue: "transcription" })).toBe(true);
    expect(coveredBy(finding("stale_job_queue", "api", { queue: "other" }), { queue: "transcription" })).toBe(false);
  });
});
