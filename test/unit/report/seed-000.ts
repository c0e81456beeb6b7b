// Test data in the shape of seed 000: a port-conflict crash loop (port 9003, restart counter 485) and 20 stale jobs over 6 files.
import { RuleSchema, type Rule } from "../../../src/rules/index.js";
import type { Evidence, Finding } from "../../../src/correlate/index.js";
import type { Incident } from "../../../src/incidents/index.js";

const EST = (hhmmss: string) => Date.parse(`2025-12-26T${hhmmss}-05:00`);

export const T_LOOP_START = EST("16:42:07");
export const T_LOOP_LAST = EST("17:57:01");
export const T_JOBS_FIRST = EST("16:42:30");
export const T_JOBS_LAST = EST("16:55:10");

export const eaddrinuseRule: Rule = RuleSchema.parse({
  id: "eaddrinuse_loop",
  kind: "threshold",
  title: "Port Conflict - {service} cannot bind port {port}",
  severity: "critical",
  match: { any: ["Is port (?<port>\\d+) in use", "restart counter is at (?<counter>\\d+)"] },
  group_by: ["host", "service"],
  fields: { counter: "max", port: "last" },
  threshold: { count: 3, within: "5m" },
  knowledge: {
    summary: "{service} on {host} is in a **crash loop**: port {port} is held by another process and systemd has restarted it {counter} times.",
    problem: [
      "Systemd service has attempted to restart **{counter}+ times** (restart counter at {counter})",
      "Each restart fails immediately with `EADDRINUSE` on port {port}",
      "Process {pid} holds the port",
    ],
    root_causes: ["A process outside systemd control is holding port {port}"],
    impact: ["**Production service DOWN**: {service} is not serving", "**API unavailable** (port {port} blocked)"],
    immediate_actions: [
      { title: "Kill the process holding port {port}", commands: ["ssh {host} \"kill -9 {pid}\""] },
      {
        title: "Restart the systemd service",
        commands: ["ssh {host} \"systemctl --user restart {service}\"", "ssh {host} \"systemctl --user status {service}\""],
      },
    ],
    hypothesis: "Manual intervention or a deployment script ran the service outside systemd",
    possible_causes: ["Manual `bun run dist/index.js` executed directly", "Testing session left a process running on {port}"],
    prevention: ["**Add process detection** - check for an existing process before starting", "**Add service health monitoring** - alert on crash loops"],
    docs: [{ title: "Service Management", ref: "docs/PRODUCTION_GUIDELINES.md" }, "Deployment Process: see the runbook"],
    next_steps: ["Execute immediate actions to restore service", "Investigate how the rogue process was started"],
  },
});

export const staleJobsRule: Rule = RuleSchema.parse({
  id: "stale_job_queue",
  kind: "threshold",
  title: "Stale Job Queue - {count} Failed Jobs",
  severity: "high",
  match: "Job (?<job>\\S+) failed: Input file not accessible: (?<path>.*/(?<file>[^/]+))$",
  group_by: ["host"],
  threshold: { count: 5, within: "1h" },
  table: {
    title: "Affected Files",
    key: "file",
    key_label: "File Name",
    count_label: "Failed Jobs",
    status: { rule: "job_completed", key: "file", present: "✅ Already completed", absent: "❓ Not completed" },
  },
  knowledge: {
    summary: "Additionally, there are {count} failed jobs in the queue for files that were already transcribed.",
    problem: ["{count} jobs marked as failed: \"Input file not accessible\""],
    root_causes: ["Duplicate jobs were created during service restarts or file watcher re-scans"],
    impact: ["**Queue pollution** - stale failed jobs clutter the queue", "**API unavailable** (port {port} blocked)"],
    immediate_actions: [{ title: "Clean failed jobs from the queue", commands: ["ssh {host} \"redis-cli -n 0 KEYS 'bull:transcription:*:failed'\""] }],
    hypothesis: "The file watcher re-scanned directories during service restarts",
    possible_causes: ["Service restarted many times", "processedFiles Set cleared on each restart"],
    prevention: ["**Implement job deduplication** - one job per file", "**Add service health monitoring** - alert on crash loops"],
    docs: [{ title: "Service Management", ref: "docs/PRODUCTION_GUIDELINES.md" }],
    next_steps: ["Execute immediate actions to restore service", "Create a GitHub issue for tracking"],
  },
});

export const seedRules: ReadonlyMap<string, Rule> = new Map([
  [eaddrinuseRule.id, eaddrinuseRule],
  [staleJobsRule.id, staleJobsRule],
]);

function ev(file: string, line: number, time: number, text: string): Evidence {
  return { ref: { file, line, endLine: line }, time, text };
}

const JOURNAL = "fixtures/seed-000-port-conflict/journal.log";
const JOBS = "fixtures/seed-000-port-conflict/failed-jobs.log";

export const portFinding: Finding = {
  rule: "eaddrinuse_loop",
  severity: "critical",
  state: "firing",
  count: 485,
  firstSeen: T_LOOP_START,
  lastSeen: T_LOOP_LAST,
  host: "mithrandir",
  service: "transcription-palantir",
  groupKey: "eaddrinuse_loop|mithrandir|transcription-palantir",
  fields: { host: "mithrandir", service: "transcription-palantir", port: "9003", counter: "485" },
  evidence: [
    ev(JOURNAL, 3, T_LOOP_START, "2025-12-26T16:42:07-0500 mithrandir bun[1573702]: Error: Failed to start server. Is port 9003 in use?"),
    ev(JOURNAL, 7, EST("16:42:16"), "2025-12-26T16:42:16-0500 mithrandir bun[1573731]: Error: Failed to start server. Is port 9003 in use?"),
    ev(JOURNAL, 11, EST("16:42:25"), "2025-12-26T16:42:25-0500 mithrandir bun[1573760]: Error: Failed to start server. Is port 9003 in use?"),
    ev(JOURNAL, 1938, EST("17:56:43"), "2025-12-26T17:56:43-0500 mithrandir systemd[1722]: transcription-palantir.service: Scheduled restart job, restart counter is at 483."),
    ev(JOURNAL, 1942, EST("17:56:52"), "2025-12-26T17:56:52-0500 mithrandir systemd[1722]: transcription-palantir.service: Scheduled restart job, restart counter is at 484."),
    ev(JOURNAL, 1946, T_LOOP_LAST, "2025-12-26T17:57:01-0500 mithrandir systemd[1722]: transcription-palantir.service: Scheduled restart job, restart counter is at 485."),
  ],
  cadence: { medianMs: 9_000, minMs: 8_000, maxMs: 11_000, steady: true, spanMs: T_LOOP_LAST - T_LOOP_START },
  table: undefined,
  recoveredAt: undefined,
};

export const SEED_FILES: readonly (readonly [string, number])[] = [
  ["08 Masterclass QA Session with Leif and Paul.m4a", 7],
  ["04 Interview - Baptism of Love.m4a", 3],
  ["07 Live Coaching 3 - Special Guest Christopher Olson.m4a", 3],
  ["07 Live Coaching 3 - Special Guest Scott and Lacey Thompson.m4a", 3],
  ["05 Live Coaching 1- Special Guest Aaron Simmons.m4a", 2],
  ["06 Live Coaching 2 - Special Guest Christopher Olson.m4a", 2],
];

const INBOX = "/mnt/data/whisper-batch/inbox/Kingdom Life Blueprint/Chapter 3 The Garden of Delight";

export const jobsFinding: Finding = {
  rule: "stale_job_queue",
  severity: "high",
  state: "firing",
  count: 20,
  firstSeen: T_JOBS_FIRST,
  lastSeen: T_JOBS_LAST,
  host: "mithrandir",
  service: "transcription-palantir",
  groupKey: "stale_job_queue|mithrandir",
  fields: { host: "mithrandir", file: "06 Live Coaching 2 - Special Guest Christopher Olson.m4a", job: "b1" },
  evidence: [
    ev(JOBS, 1, T_JOBS_FIRST, `Job 1a failed: Input file not accessible: ${INBOX}/08 Masterclass QA Session with Leif and Paul.m4a`),
    ev(JOBS, 20, T_JOBS_LAST, `Job b1 failed: Input file not accessible: ${INBOX}/06 Live Coaching 2 - Special Guest Christopher Olson.m4a`),
  ],
  cadence: { medianMs: 40_000, minMs: 5_000, maxMs: 120_000, steady: false, spanMs: T_JOBS_LAST - T_JOBS_FIRST },
  table: {
    title: "Affected Files",
    columns: ["File Name", "Failed Jobs", "Status"],
    rows: SEED_FILES.map(([f, n]) => [f, String(n), "✅ Already completed"]),
    omitted: 0,
  },
  recoveredAt: undefined,
};

export const seedIncident: Incident = {
  id: "fw-2c167f96",
  fingerprint: "2c167f967b99c903aa0e4bd1f0c2d1e1d4c7c1f0a1b2c3d4e5f60718293a4b5c",
  title: "Port Conflict - transcription-palantir cannot bind port 9003",
  severity: "critical",
  status: "open",
  host: "mithrandir",
  service: "transcription-palantir",
  firstSeen: T_LOOP_START,
  lastSeen: T_LOOP_LAST,
  findings: [portFinding, jobsFinding],
};
