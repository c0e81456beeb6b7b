// Reads BullMQ queues in Redis, read-only: job counts per state and failed jobs, each parsed at the edge with zod.
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { z } from "zod";
import { FirewatchError } from "../errors.js";

import { QueueName } from "./bullmq-config.js";

// The names are checked in bullmq-config.ts (which config loading imports without bullmq); here for the old importers.
export { QueueName, QueuePrefix } from "./bullmq-config.js";

/** The job states BullMQ counts; `waiting`, `active` and `completed` are never touched by cleaning. */
export const JOB_STATES = ["completed", "failed", "active", "waiting", "delayed", "prioritized", "waiting-children"] as const;
export type JobState = (typeof JOB_STATES)[number];
export type JobCounts = Readonly<Record<JobState, number>>;

/** The fields of a BullMQ job hash we read (all strings in Redis); anything else is ignored. */
const JobHash = z.object({
  name: z.string().default(""),
  data: z.string().optional(),
  timestamp: z.string().regex(/^\d+$/).optional(),
  processedOn: z.string().regex(/^\d+$/).optional(),
  finishedOn: z.string().regex(/^\d+$/).optional(),
  failedReason: z.string().optional(),
  atm: z.string().regex(/^\d+$/).optional(),
  attemptsMade: z.string().regex(/^\d+$/).optional(),
});

/** What was wrong with a job's stored hash: the job is still shown, with this flag. */
export type JobDataIssue = "data_not_json" | "data_missing";

export interface FailedJob {
  readonly queue: string;
  readonly id: string;
  readonly name: string;
  /** BullMQ's failedReason: the message of the error the processor threw. */
  readonly failedReason: string;
  readonly attemptsMade: number;
  readonly createdAt: number | undefined;
  readonly processedOn: number | undefined;
  readonly finishedOn: number | undefined;
  /** Parsed job data; undefined when it is missing or not JSON (see dataIssue). */
  readonly data: unknown;
  readonly dataIssue: JobDataIssue | undefined;
}

/** One queue as read: counts per state, the failed jobs (newest first, up to the limit), and what could not be read. */
export interface QueueSnapshot {
  readonly name: string;
  readonly counts: JobCounts;
  readonly failed: readonly FailedJob[];
  /** Failed ids whose hash is gone or unreadable (a job removed between the two reads): counted, not fatal. */
  readonly unreadable: readonly string[];
  /** True when there were more failed jobs than the limit. */
  readonly truncated: boolean;
}

export interface QueueReaderOptions {
  readonly prefix?: string;
  /** At most this many failed jobs per queue (newest first). */
  readonly maxFailed?: number;
  readonly connectTimeoutMs?: number;
  /** Redis password, kept out of the URL (firewatch.yaml takes it from the environment only). */
  readonly password?: string;
}

const num = (s: string | undefined) => (s === undefined ? undefined : Number(s));

/** Turns one raw job hash into a FailedJob; undefined when the hash is empty (the job no longer exists). */
export function parseJobHash(queue: string, id: string, raw: Readonly<Record<string, string>>): FailedJob | undefined {
  if (Object.keys(raw).length === 0) return undefined;
  const h = JobHash.safeParse(raw);
  if (!h.success) return undefined;
  let data: unknown;
  let dataIssue: JobDataIssue | undefined;
  if (h.data.data === undefined) dataIssue = "data_missing";
  else {
    try {
      data = JSON.parse(h.data.data);
    } catch {
      dataIssue = "data_not_json";
    }
  }
  return {
    queue,
    id,
    name: h.data.name,
    failedReason: h.data.failedReason ?? "",
    attemptsMade: num(h.data.atm ?? h.data.attemptsMade) ?? 0,
    createdAt: num(h.data.timestamp),
    processedOn: num(h.data.processedOn),
    finishedOn: num(h.data.finishedOn),
    data,
    dataIssue,
  };
}

/** Validates a queue name from a flag or a Redis key; a usage error names the rule it broke. */
export function checkQueueName(name: string, what = "--queue"): string {
  const r = QueueName.safeParse(name);
  if (!r.success) throw new FirewatchError("usage", `${what} ${JSON.stringify(name)}: ${r.error.issues[0]?.message ?? "invalid"}`);
  return r.data;
}

/** A read-only view of the BullMQ queues behind one Redis URL. Close it when done. */
export class QueueReader {
  readonly prefix: string;
  readonly where: string;
  private readonly queues = new Map<string, Queue>();

  private constructor(
    private readonly redis: Redis,
    private readonly opts: QueueReaderOptions,
  ) {
    this.prefix = opts.prefix ?? "bull";
    const o = redis.options;
    this.where = `${o.host ?? "localhost"}:${o.port ?? 6379}`;
  }

  /** Connects (bounded by connectTimeoutMs); an unreachable Redis is a clear error, not a hang. */
  static async connect(url: string, opts: QueueReaderOptions = {}): Promise<QueueReader> {
    if (opts.prefix !== undefined) checkQueueName(opts.prefix, "--prefix");
    if (!/^rediss?:\/\//.test(url)) throw new FirewatchError("usage", `--redis "${url}" is not a redis:// or rediss:// URL`);
    // No reconnects (retryStrategy null): a run that loses Redis fails at once with the command's own error instead
    // of waiting; maxRetriesPerRequest null leaves that decision to the connection, as BullMQ expects of shared ones.
    const redis = new Redis(url, { ...(opts.password === undefined ? {} : { password: opts.password }), lazyConnect: true, maxRetriesPerRequest: null, connectTimeout: opts.connectTimeoutMs ?? 5_000, retryStrategy: () => null });
    redis.on("error", () => undefined); // reported by connect() below or by the failing command
    try {
      await redis.connect();
    } catch (e) {
      redis.disconnect();
      throw new FirewatchError("input_missing", `Redis at ${url.replace(/\/\/[^@]*@/, "//***@")} is unreachable: ${e instanceof Error ? e.message : String(e)}`, {
        cause: e,
        hint: "check --redis (default redis://127.0.0.1:6379) and that redis-server is running",
      });
    }
    return new QueueReader(redis, opts);
  }

  /** The BullMQ Queue object for a name (shared connection, no meta update: opening a queue writes nothing). */
  queue(name: string): Queue {
    checkQueueName(name);
    let q = this.queues.get(name);
    if (!q) {
      q = new Queue(name, { connection: this.redis, prefix: this.prefix, skipMetasUpdate: true });
      q.on("error", () => undefined); // each command's own rejection carries the error
      this.queues.set(name, q);
    }
    return q;
  }

  /** Queue names found by SCAN over BullMQ's `<prefix>:<name>:meta` and `:id` keys; odd names are returned apart. */
  async listQueues(): Promise<{ names: string[]; refused: string[] }> {
    const found = new Set<string>();
    for (const suffix of ["meta", "id"]) {
      let cursor = "0";
      do {
        const [next, keys] = await this.redis.scan(cursor, "MATCH", `${this.prefix}:*:${suffix}`, "COUNT", 500);
        cursor = next;
        for (const k of keys) found.add(k.slice(this.prefix.length + 1, -(suffix.length + 1)));
      } while (cursor !== "0");
    }
    const names: string[] = [];
    const refused: string[] = [];
    for (const n of [...found].sort()) (QueueName.safeParse(n).success ? names : refused).push(n);
    return { names, refused };
  }

  /** True when BullMQ has written this queue's meta hash or id counter (a queue that ever had a job has both). */
  async exists(name: string): Promise<boolean> {
    const q = this.queue(name);
    return (await this.redis.exists(q.toKey("meta"), q.toKey("id"))) > 0;
  }

  async counts(name: string): Promise<JobCounts> {
    const raw = await this.queue(name).getJobCounts(...JOB_STATES);
    const out = {} as Record<JobState, number>;
    for (const s of JOB_STATES) out[s] = typeof raw[s] === "number" ? raw[s] : 0;
    return out;
  }

  /** Reads one job's hash; undefined when it no longer exists. */
  async failedJob(name: string, id: string): Promise<FailedJob | undefined> {
    return parseJobHash(name, id, await this.redis.hgetall(this.queue(name).toKey(id)));
  }

  /** Counts, then the failed ids (BullMQ getRanges), then each job's hash in one pipeline. */
  async snapshot(name: string): Promise<QueueSnapshot> {
    const max = this.opts.maxFailed ?? 10_000;
    const q = this.queue(name);
    const counts = await this.counts(name);
    const ids = await q.getRanges(["failed"], 0, max, false);
    const truncated = ids.length > max;
    const { failed, unreadable } = await this.failedJobs(name, ids.slice(0, max));
    return { name, counts, failed, unreadable, truncated };
  }

  /**
   * The newest `max` failed jobs' ids with the time they failed: the failed set's scores, which BullMQ sets to the
   * job's finishedOn (moveToFinished). One ZREVRANGE: a poll learns what is new without reading every job's hash.
   */
  async failedStamps(name: string, max = this.opts.maxFailed ?? 10_000): Promise<{ id: string; time: number }[]> {
    const flat = await this.redis.zrevrange(this.queue(name).toKey("failed"), 0, max - 1, "WITHSCORES");
    const out: { id: string; time: number }[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) out.push({ id: flat[i] ?? "", time: Number(flat[i + 1]) });
    return out;
  }

  /** The hashes of these failed jobs in one pipeline; ids whose hash is gone or unreadable are listed apart. */
  async failedJobs(name: string, ids: readonly string[]): Promise<{ failed: FailedJob[]; unreadable: string[] }> {
    const q = this.queue(name);
    const pipe = this.redis.pipeline();
    for (const id of ids) pipe.hgetall(q.toKey(id));
    const replies = ids.length === 0 ? [] : ((await pipe.exec()) ?? []);
    const failed: FailedJob[] = [];
    const unreadable: string[] = [];
    ids.forEach((id, i) => {
      const [err, value] = replies[i] ?? [null, {}];
      const hash = z.record(z.string(), z.string()).safeParse(value);
      const job = err || !hash.success ? undefined : parseJobHash(name, id, hash.data);
      if (job) failed.push(job);
      else unreadable.push(id);
    });
    return { failed, unreadable };
  }

  /** Current state of a job ("unknown" when it is gone). */
  async state(name: string, id: string): Promise<string> {
    return this.queue(name).getJobState(id);
  }

  /** Removes one job through BullMQ (Queue.remove): true when removed, false when locked or already gone. */
  async remove(name: string, id: string): Promise<boolean> {
    return (await this.queue(name).remove(id, { removeChildren: false })) === 1;
  }

  async close(): Promise<void> {
    for (const q of this.queues.values()) await q.close().catch(() => undefined);
    this.queues.clear();
    this.redis.disconnect();
  }
}
