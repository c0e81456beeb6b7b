// `firewatch jobs`: reads the queues, classifies each failed job with the rules, and builds the stale-file table.
import { FirewatchError } from "../errors.js";
import type { LogRecord } from "../parsers/record.js";
import type { Rule, Signal } from "../rules/index.js";
import type { FailedJob, JobCounts, QueueReader } from "../sources/bullmq.js";
import { JOB_STATES, checkQueueName } from "../sources/bullmq.js";
import { createClassifier, type JobCategory } from "./categories.js";
import { failedJobToRecord, jobDataFile, type JobOrigin } from "./job-record.js";
import { staleTable, type FileProbe, type StaleOptions, type StaleRow } from "./stale.js";

/** The rule that recognises seed 000's "Input file not accessible: <path>". */
export const STALE_RULE_ID = "stale_job_queue";

export interface ClassifiedJob {
  readonly job: FailedJob;
  readonly category: JobCategory;
  readonly fields: Readonly<Record<string, string>>;
  readonly alsoMatched: readonly string[];
  readonly record: LogRecord;
}

export interface QueueReport {
  readonly name: string;
  readonly counts: JobCounts;
  readonly jobs: readonly ClassifiedJob[];
  readonly unreadable: readonly string[];
  readonly truncated: boolean;
  /** Set when the queue's keys are not what this BullMQ reads (another version, another tool): the queue is skipped. */
  readonly error?: string;
}

export interface CategoryCount {
  readonly category: JobCategory;
  readonly count: number;
  readonly firstFailed: number | undefined;
  readonly lastFailed: number | undefined;
}

export interface JobsReport {
  readonly redis: string;
  readonly prefix: string;
  readonly queues: readonly QueueReport[];
  /** Queue-like keys whose names we refuse to handle (see QueueName). */
  readonly refusedQueues: readonly string[];
  readonly totals: JobCounts;
  /** Most jobs first. */
  readonly categories: readonly CategoryCount[];
  readonly stale: readonly StaleRow[];
  /** Failed jobs whose data is missing or not JSON: shown, never fatal. */
  readonly dataIssues: number;
}

export interface InspectDeps {
  readonly reader: QueueReader;
  readonly rules: readonly Rule[];
  readonly match: (record: LogRecord) => Signal[];
  readonly probe: FileProbe;
}

export interface InspectOptions extends StaleOptions {
  /** One queue, or every queue found under the prefix. */
  readonly queue?: string;
  readonly origin?: JobOrigin;
}

/** Reads and classifies; touches nothing in Redis (BullMQ getters, SCAN, HGETALL) nor on disk (stat, readdir). */
export async function inspectJobs(deps: InspectDeps, opts: InspectOptions = {}): Promise<JobsReport> {
  const classify = createClassifier(deps.rules, deps.match);
  const listed = opts.queue === undefined ? await deps.reader.listQueues() : { names: [checkQueueName(opts.queue)], refused: [] };
  // A misspelt --queue would otherwise read as an empty, healthy queue.
  if (opts.queue !== undefined && !(await deps.reader.exists(opts.queue))) {
    const known = (await deps.reader.listQueues()).names;
    throw new FirewatchError("not_found", `no BullMQ queue "${opts.queue}" under prefix "${deps.reader.prefix}" on ${deps.reader.where}`, {
      hint: known.length > 0 ? `queues there: ${known.slice(0, 20).join(", ")}` : "no queues at all there: check --redis and --prefix",
    });
  }
  const queues: QueueReport[] = [];
  for (const name of listed.names) {
    let snap;
    try {
      snap = await deps.reader.snapshot(name);
    } catch (e) {
      // WRONGTYPE and friends: one queue in an unexpected layout must not hide the others. Connection loss is not this.
      const msg = e instanceof Error ? e.message : String(e);
      if (!/WRONGTYPE|ERR /.test(msg)) throw e;
      queues.push({ name, counts: sumCounts([]), jobs: [], unreadable: [], truncated: false, error: msg });
      continue;
    }
    const jobs = snap.failed.map((job): ClassifiedJob => {
      const record = failedJobToRecord(job, opts.origin);
      return { job, record, ...classify(record) };
    });
    queues.push({ name, counts: snap.counts, jobs, unreadable: snap.unreadable, truncated: snap.truncated });
  }
  const all = queues.flatMap((q) => q.jobs);
  const stalePaths = all
    .filter((j) => j.category.ruleId === STALE_RULE_ID)
    .flatMap((j) => {
      const path = j.fields.path ?? jobDataFile(j.job.data);
      return path === undefined ? [] : [{ jobId: `${j.job.queue}/${j.job.id}`, path }];
    });
  return {
    redis: deps.reader.where,
    prefix: deps.reader.prefix,
    queues,
    refusedQueues: listed.refused,
    totals: sumCounts(queues.map((q) => q.counts)),
    categories: countCategories(all),
    stale: await staleTable(stalePaths, deps.probe, opts),
    dataIssues: all.filter((j) => j.job.dataIssue !== undefined).length,
  };
}

function sumCounts(list: readonly JobCounts[]): JobCounts {
  const out = Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as Record<(typeof JOB_STATES)[number], number>;
  for (const c of list) for (const s of JOB_STATES) out[s] += c[s];
  return out;
}

function countCategories(jobs: readonly ClassifiedJob[]): CategoryCount[] {
  const by = new Map<string, { category: JobCategory; count: number; firstFailed: number | undefined; lastFailed: number | undefined }>();
  for (const j of jobs) {
    const key = j.category.label;
    const e = by.get(key) ?? { category: j.category, count: 0, firstFailed: undefined, lastFailed: undefined };
    e.count++;
    const t = j.record.time;
    if (t !== undefined) {
      if (e.firstFailed === undefined || t < e.firstFailed) e.firstFailed = t;
      if (e.lastFailed === undefined || t > e.lastFailed) e.lastFailed = t;
    }
    by.set(key, e);
  }
  return [...by.values()].sort((a, b) => b.count - a.count || (a.category.label < b.category.label ? -1 : 1));
}
