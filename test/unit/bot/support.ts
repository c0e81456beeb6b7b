// Builders for bot tests: a stored incident shaped like seed 000's, and a clock the test moves.
import type { Evidence, Finding } from "../../../src/correlate/index.js";
import type { Incident } from "../../../src/incidents/index.js";
import type { StoredIncident } from "../../../src/store/index.js";
import type { Clock } from "../../../src/time.js";

export const T0 = Date.parse("2025-12-26T21:42:09Z");

export function evidence(text: string, line = 1): Evidence {
  return { ref: { file: "journal.log", line, endLine: line }, time: T0, text };
}

export function finding(over: Partial<Finding> = {}): Finding {
  return {
    rule: "eaddrinuse_loop",
    severity: "critical",
    state: "firing",
    count: 37,
    firstSeen: T0,
    lastSeen: T0 + 4_496_000,
    host: "mithrandir",
    service: "transcription-palantir",
    groupKey: 'eaddrinuse_loop{host="mithrandir",port="9003"}',
    fields: { host: "mithrandir", service: "transcription-palantir", port: "9003" },
    evidence: [evidence("Error: Failed to start server. Is port 9003 in use?")],
    cadence: { medianMs: 9000, minMs: 9000, maxMs: 9000, steady: true, spanMs: 4_496_000 },
    table: undefined,
    recoveredAt: undefined,
    ...over,
  };
}

export function incident(over: Partial<Incident> = {}): Incident {
  return {
    id: "fw-de060825",
    fingerprint: "de060825437ba55714f38413f305a5b08457ed5cfcf8c921da1df870947eee08",
    title: "Crash loop: transcription-palantir cannot bind port 9003 (already in use)",
    severity: "critical",
    status: "open",
    host: "mithrandir",
    service: "transcription-palantir",
    firstSeen: T0,
    lastSeen: T0 + 4_496_000,
    findings: [finding(), finding({ rule: "systemd_restart_loop", count: 485, fields: { unit: "transcription-palantir", counter: "485" } })],
    ...over,
  };
}

export function stored(over: Partial<StoredIncident> = {}, inc: Incident = incident()): StoredIncident {
  return {
    v: 1,
    incident: inc,
    status: inc.status,
    createdAt: T0,
    updatedAt: T0,
    lastActivityAt: T0,
    acknowledged: undefined,
    resolved: undefined,
    reopenTimes: [],
    reopenCount: 0,
    flapping: false,
    silencedBy: undefined,
    slack: undefined,
    history: [],
    carry: {},
    probes: [],
    ...over,
  };
}

export function manualClock(start: number): Clock & { advance(ms: number): void } {
  let now = start;
  return { now: () => now, sleep: () => Promise.resolve(), advance: (ms) => void (now += ms) };
}
