// The bullmq source's part of firewatch.yaml and its cursor: which queues to watch, and which failed jobs were emitted.
// No bullmq import here: config loading must not pay bullmq's ~0.3 s import for a file that never names a queue.
import { z } from "zod";
import { FirewatchError } from "../errors.js";
import { Duration } from "../time.js";

/**
 * BullMQ refuses ":" in names; we also refuse anything a shell or a Redis glob could read differently, so a
 * name that reaches an argv or a SCAN pattern is always inert (`q; rm -rf /` is refused, not quoted).
 */
export const QueueName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, "expected a queue name of letters, digits, '_', '.', '-' (max 128), starting with a letter or digit");
/** The key prefix BullMQ puts before every queue ("bull" unless the producer chose another). */
export const QueuePrefix = QueueName;

export const BullmqSourceConfig = z
  .object({
    redis: z
      .string()
      .regex(/^rediss?:\/\/.+/, 'a URL like "redis://127.0.0.1:6379"')
      // The file is often world-readable or committed: a password goes in `password`, which only the environment may set.
      .refine((u) => !/^rediss?:\/\/[^/@]*:[^/@]*@/.test(u), "a password in the URL: set it with FIREWATCH_SOURCES__<index>__PASSWORD instead")
      .describe("Redis holding the BullMQ queues, without a password"),
    password: z.string().min(1).optional().describe("Redis password (env FIREWATCH_SOURCES__<index>__PASSWORD only)"),
    queues: z.array(QueueName).default([]).describe("Queues whose failed jobs are read; empty: every queue under the prefix"),
    prefix: QueuePrefix.default("bull").describe("BullMQ key prefix"),
    poll: Duration.default(30_000).describe("Time between reads of the failed jobs"),
    completedDir: z.string().min(1).optional().describe("Where completed input files live (seed 000's stale-job table); default: /inbox/ → /completed/ beside each path"),
    service: z.string().min(1).optional().describe("The service the jobs belong to, so they join its incidents (default: the queue name)"),
  })
  .strict();
export type BullmqSourceConfig = z.infer<typeof BullmqSourceConfig>;

/**
 * What a queue's lane has emitted: every failed job finished at or before `t - graceMs` (implicitly), and the jobs
 * of the last `graceMs` up to `t` by id. The grace window absorbs workers whose clocks differ a little, so a job
 * stamped slightly earlier than one already seen is still emitted once. A job retried and failing again gets a
 * later finishedOn: it is a new event.
 */
export interface JobsCursor {
  readonly t: number;
  /** Ids with their finish time, all within (t - grace, t]. */
  readonly recent: ReadonlyMap<string, number>;
}

const PREFIX = "bullmq1:";

export function encodeJobsCursor(c: JobsCursor): string {
  const recent = [...c.recent].sort(([a, ta], [b, tb]) => ta - tb || (a < b ? -1 : a > b ? 1 : 0));
  return PREFIX + JSON.stringify({ t: c.t, r: recent.map(([id, t]) => [id, c.t - t]) });
}

const Stored = z.object({ t: z.number().int(), r: z.array(z.tuple([z.string(), z.number().int().nonnegative()])) });

export function decodeJobsCursor(text: string | undefined): JobsCursor | undefined {
  if (text === undefined) return undefined;
  const parsed = text.startsWith(PREFIX) ? Stored.safeParse(safeJson(text.slice(PREFIX.length))) : undefined;
  if (!parsed?.success) throw new FirewatchError("store_corrupt", `a stored bullmq cursor is not valid: ${JSON.stringify(text.slice(0, 80))}`);
  return { t: parsed.data.t, recent: new Map(parsed.data.r.map(([id, back]) => [id, parsed.data.t - back])) };
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}

/** A failed job as the cursor sees it: its id and the time it failed (finishedOn). */
export interface JobStamp {
  readonly id: string;
  readonly time: number;
}

/** The jobs not emitted before, oldest first. Jobs at or before `t - grace` count as emitted; inside the window, those
 * whose id is listed with the same time are. A listed id with another time failed again (a retry): it is new. */
export function newJobs<J extends JobStamp>(jobs: readonly J[], cursor: JobsCursor | undefined, graceMs: number): J[] {
  const t = cursor?.t ?? Number.NEGATIVE_INFINITY;
  return jobs
    .filter((j) => j.time > t - graceMs && cursor?.recent.get(j.id) !== j.time)
    .sort((a, b) => a.time - b.time || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** The cursor once `emitted` (in the order newJobs gave) went out after `cursor`; the window keeps only the last `graceMs`. */
export function cursorAfter(cursor: JobsCursor | undefined, emitted: readonly JobStamp[], graceMs: number): JobsCursor | undefined {
  if (emitted.length === 0) return cursor;
  let t = cursor?.t ?? Number.NEGATIVE_INFINITY;
  for (const j of emitted) t = Math.max(t, j.time);
  const recent = new Map<string, number>();
  for (const [id, at] of cursor?.recent ?? []) if (at > t - graceMs) recent.set(id, at);
  for (const j of emitted) if (j.time > t - graceMs) recent.set(j.id, j.time);
  return { t, recent };
}
