import path from "node:path";
import { describe, expect, test } from "vitest";
import { createCorrelator } from "../../../src/correlate/index.js";
import { groupIntoIncidents } from "../../../src/incidents/index.js";
import { createClassifier, failedJobToRecord, jobSignals, type JobOrigin, type JobsReport } from "../../../src/jobs/index.js";
import { compileRules, createMatcher, loadBuiltinRules } from "../../../src/rules/index.js";
import { createReadStats, expandInputs, readLogRecords } from "../../../src/sources/index.js";
import type { FailedJob } from "../../../src/sources/bullmq.js";

const rules = await loadBuiltinRules();
const match = createMatcher(compileRules(rules));
const JOURNAL = path.resolve(import.meta.dirname, "../../../fixtures/seed-000-port-conflict/journal.log");
const INBOX = "/mnt/data/whisper-batch/inbox/Kingdom Life Blueprint/Chapter 3 The Garden of Delight";

/** Seed 000's failed jobs, failing every few minutes while the port conflict loops (21:42Z..22:57Z). */
function staleReport(origin: JobOrigin): JobsReport {
  const classify = createClassifier(rules, match);
  const files = ["08 Masterclass QA Session with Leif and Paul.m4a", "04 Interview - Baptism of Love.m4a"];
  const jobs = Array.from({ length: 6 }, (_, i): FailedJob => ({
    queue: "transcription",
    id: String(100 + i),
    name: "transcribe",
    failedReason: `Input file not accessible: ${INBOX}/${files[i % 2] ?? ""}`,
    attemptsMade: 1,
    createdAt: undefined,
    processedOn: undefined,
    finishedOn: Date.parse("2025-12-26T21:50:00Z") + i * 5 * 60_000,
    data: {},
    dataIssue: undefined,
  })).map((job) => {
    const record = failedJobToRecord(job, origin);
    return { job, record, ...classify(record) };
  });
  const counts = { completed: 0, failed: jobs.length, active: 0, waiting: 0, delayed: 0, prioritized: 0, "waiting-children": 0 };
  return { redis: "test", prefix: "bull", queues: [{ name: "transcription", counts, jobs, unreadable: [], truncated: false }], refusedQueues: [], totals: counts, categories: [], stale: [], dataIssues: 0 };
}

async function incidentsWith(origin: JobOrigin) {
  const correlator = createCorrelator(rules);
  const records = readLogRecords(await expandInputs([JOURNAL]), { stats: createReadStats(), now: () => Date.parse("2026-01-01T00:00:00Z") });
  for await (const r of records) for (const s of match(r)) correlator.push(s);
  for (const s of jobSignals(staleReport(origin), match)) correlator.push(s);
  return groupIntoIncidents(correlator.findings(), rules);
}

describe("job findings join the incident of their host and service (seed 000)", () => {
  test("stale jobs of host mithrandir land in the port-conflict incident: one incident, both findings", async () => {
    const incidents = await incidentsWith({ host: "mithrandir", service: "transcription-palantir" });
    expect(incidents).toHaveLength(1);
    const rulesSeen = incidents[0]?.findings.map((f) => f.rule) ?? [];
    expect(rulesSeen).toEqual(expect.arrayContaining(["eaddrinuse_loop", "stale_job_queue"]));
    const stale = incidents[0]?.findings.find((f) => f.rule === "stale_job_queue");
    expect(stale?.count).toBe(6);
    expect(stale?.fields.file).toBe("2");
  });

  test("without a host the jobs stay an incident of their own", async () => {
    const incidents = await incidentsWith({});
    expect(incidents).toHaveLength(2);
    expect(incidents.find((i) => i.findings.some((f) => f.rule === "stale_job_queue"))?.findings.map((f) => f.rule)).toEqual(["stale_job_queue"]);
  });
});
