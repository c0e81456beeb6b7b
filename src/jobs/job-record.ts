// A failed job as a LogRecord: its failure reason is the text the same rules engine matches, as for log lines.
import type { LogRecord } from "../parsers/record.js";
import type { FailedJob } from "../sources/bullmq.js";

/** Where job records say they come from, so they can join log findings of the same host and service. */
export interface JobOrigin {
  readonly host?: string;
  /** The service the queue belongs to (default: the queue name). */
  readonly service?: string;
}

/** Common keys producers use for the input file in job data (seed 000: the transcription job's file path). */
const FILE_KEYS = ["filePath", "inputPath", "path", "file", "filename", "fileName", "input"] as const;

/** The input file a job's data names, if it names one as a string. */
export function jobDataFile(data: unknown): string | undefined {
  if (typeof data !== "object" || data === null) return undefined;
  for (const k of FILE_KEYS) {
    const v: unknown = Reflect.get(data, k);
    if (typeof v === "string" && v.length > 0) return v;
  }
  return undefined;
}

/**
 * text = "Job <id> failed: <reason>" (the shape the library's examples and seed 000's worker log use), time =
 * finishedOn, service = the queue's service; fields carry the job's id, queue, attempts and data file.
 */
export function failedJobToRecord(job: FailedJob, origin: JobOrigin = {}): LogRecord {
  const fields: Record<string, string> = { job_id: job.id, queue: job.queue, attempts: String(job.attemptsMade) };
  if (job.name) fields.job_name = job.name;
  const file = jobDataFile(job.data);
  if (file !== undefined) fields.data_file = file;
  if (job.dataIssue !== undefined) fields.data_issue = job.dataIssue;
  const text = `Job ${job.id} failed: ${job.failedReason}`;
  return {
    text,
    message: text,
    time: job.finishedOn ?? job.processedOn ?? job.createdAt,
    host: origin.host,
    service: origin.service ?? job.queue,
    pid: undefined,
    level: "error",
    fields,
    format: "plain",
    // A job is not a line of a file: the reference names the queue and job, and "line 1" keeps SourceRef 1-based.
    ref: { file: `bullmq:${job.queue}/${job.id}`, line: 1, endLine: 1 },
    truncatedBytes: 0,
  };
}
