// Failed jobs as signals for the correlator: the same records the classifier reads, so job and log findings group together.
import type { LogRecord } from "../parsers/record.js";
import type { Signal } from "../rules/index.js";
import type { JobsReport } from "./inspect.js";
import type { StaleRow } from "./stale.js";

/**
 * What the stale-file probe found, as a record the `job_completed` context rule reads ("Completed input found:
 * PATH"), so the incident's Affected Files table marks the file "Already completed" as `firewatch jobs` does. It
 * states a probe result, not a log line: its ref names the probe, and it has no time (it must not move windows).
 */
export function probeRecord(row: StaleRow, like: LogRecord | undefined): LogRecord | undefined {
  if (row.completedPath === undefined) return undefined;
  const text = `Completed input found: ${row.completedPath}`;
  return {
    text,
    message: text,
    time: undefined,
    host: like?.host,
    service: like?.service,
    pid: undefined,
    level: "info",
    fields: { path: row.completedPath },
    format: "plain",
    ref: { file: "probe:completed-input", line: 0, endLine: 0 },
    truncatedBytes: 0,
  };
}

/**
 * Every signal the rules give for every failed job of the report, oldest job first (the correlator's windows
 * expect time order), then the probe's findings for the stale table. Seed 000: pushed with the service's log
 * signals, groupIntoIncidents puts the stale jobs in the port-conflict incident, given the records' host (JobOrigin).
 */
export function jobSignals(report: JobsReport, match: (record: LogRecord) => Signal[]): Signal[] {
  const jobs = report.queues.flatMap((q) => q.jobs);
  const records = jobs.map((j) => j.record).sort((a, b) => (a.time ?? 0) - (b.time ?? 0));
  const probed = report.stale.flatMap((row) => probeRecord(row, jobs.find((j) => j.fields.path === row.path)?.record) ?? []);
  return [...records, ...probed].flatMap((r) => match(r));
}
