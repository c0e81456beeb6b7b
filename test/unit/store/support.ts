// Test helpers for the store: a clock the test moves, and incident snapshots shaped like the pipeline's.
import type { Finding } from "../../../src/correlate/index.js";
import type { Incident } from "../../../src/incidents/index.js";
import type { Clock } from "../../../src/time.js";

export interface TestClock extends Clock {
  advance(ms: number): void;
  set(ms: number): void;
}

/** Time only moves when the test says so; `sleep` (used only while waiting for Redis) waits for real. */
export function testClock(start = Date.UTC(2025, 11, 26, 22, 0, 0)): TestClock {
  let t = start;
  return {
    now: () => t,
    advance: (ms) => { t += ms; },
    set: (ms) => { t = ms; },
    sleep: (ms, signal) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(resolve, ms);
        signal?.addEventListener("abort", () => { clearTimeout(timer); reject(signal.reason); }, { once: true });
      }),
  };
}

export interface SnapOptions {
  readonly fingerprint?: string;
  readonly rule?: string;
  readonly host?: string;
  readonly service?: string;
  readonly firstSeen?: number;
  readonly lastSeen?: number;
  readonly count?: number;
  readonly state?: Finding["state"];
  readonly fields?: Readonly<Record<string, string>>;
}

export const T0 = Date.UTC(2025, 11, 26, 21, 42, 0);

/** A one-finding incident snapshot, like the correlator emits for seed 000's port conflict. */
export function snapshot(o: SnapOptions = {}): Incident {
  const fingerprint = o.fingerprint ?? "0a1b2c3d4e5f60718293a4b5c6d7e8f9";
  const rule = o.rule ?? "eaddrinuse_loop";
  const host = "host" in o ? o.host : "mithrandir";
  const service = "service" in o ? o.service : "transcription-palantir";
  const firstSeen = o.firstSeen ?? T0;
  const lastSeen = o.lastSeen ?? T0 + 60_000;
  const state = o.state ?? "firing";
  const finding: Finding = {
    rule,
    severity: "critical",
    state,
    count: o.count ?? 3,
    firstSeen,
    lastSeen,
    host,
    service,
    groupKey: `${rule}|${host ?? ""}|${service ?? ""}|9003`,
    fields: o.fields ?? { port: "9003", restart_counter: "485" },
    evidence: [{ ref: { file: "palantir.log", line: 1, endLine: 1 }, time: firstSeen, text: "Error: listen EADDRINUSE: address already in use :::9003" }],
    cadence: undefined,
    table: undefined,
    recoveredAt: undefined,
  };
  return {
    id: `fw-${fingerprint.slice(0, 8)}`,
    fingerprint,
    title: "Crash loop — port 9003 already in use",
    severity: "critical",
    status: state === "firing" ? "open" : "observed",
    host,
    service,
    firstSeen,
    lastSeen,
    findings: [finding],
  };
}
