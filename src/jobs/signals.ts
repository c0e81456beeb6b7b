// Failed jobs as signals for the correlator: the same records the classifier reads, so job and log findings group together.
import type { LogRecord } from "../parsers/record.js";
import type { Signal } from "../rules/index.js";
import type { JobsReport } from "./inspect.js";

/**
 * Every signal the rules give for every failed job of the report, oldest job first (the correlator's windows
 * expect time order). Seed 000: push these with the service's log signals and groupIntoIncidents puts the
 * stale jobs in the same incident as the port conflict, given the records' host and service (JobOrigin).
 */
export function jobSignals(report: JobsReport, match: (record: LogRecord) => Signal[]): Signal[] {
  const records = report.queues.flatMap((q) => q.jobs.map((j) => j.record));
  records.sort((a, b) => (a.time ?? 0) - (b.time ?? 0));
  return records.flatMap((r) => match(r));
}
