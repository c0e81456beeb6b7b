// The bullmq source's lane: every `poll`, the failed jobs of its queues not emitted before, as records with cursors.
//
// Positions: a queue is a part of the source; its cursor (sources/bullmq-config.ts) names the newest finish time
// emitted and the ids of the last GRACE_MS, so a restart from a committed cursor neither loses nor repeats a job,
// and a job retried and failing again later (a new finishedOn) is a new event. A poll that reads fine hands out a
// position-only item, so a lane that was retrying says "connected" again even when no job failed since.
import type { Logger } from "pino";
import type { SourceEntry } from "../config/index.js";
import { SshHost, type Host } from "../hosts/index.js";
import type { LogRecord } from "../parsers/index.js";
import { cursorAfter, decodeJobsCursor, encodeJobsCursor, newJobs, type JobsCursor } from "../sources/index.js";
import type { Clock } from "../time.js";

type BullmqEntry = Extract<SourceEntry, { kind: "bullmq" }>;

/** A SourceItem without its source and host (the runner adds them): a record or a position of a queue. */
export interface JobsLaneItem {
  readonly record: LogRecord | undefined;
  /** The queue; "" for a poll's heartbeat. */
  readonly part: string;
  readonly cursor: string | undefined;
}

/** Workers' clocks may differ by this much: a job stamped this much earlier than the newest one seen is still emitted. */
export const GRACE_MS = 10_000;
const BATCH = 512;
/** Seed 000's failure text; its path is probed for a completed twin (the stale-job table's "Already completed"). */
const INACCESSIBLE = /Input file not accessible: ([^\n"]+)/;

export interface JobsLaneDeps {
  readonly clock: Clock;
  readonly log: Logger;
  /** Read once and end (a catch-up run). */
  readonly untilCaughtUp?: boolean;
}

/**
 * Connects (a failure throws: the runner reports `retrying` and starts the lane again from its last position), then
 * polls until `signal`. Only failed jobs are read; nothing in Redis is written.
 */
export async function* bullmqItems(
  entry: BullmqEntry, host: Host, recordHost: string | undefined,
  parts: ReadonlyMap<string, string>, deps: JobsLaneDeps, signal: AbortSignal,
): AsyncGenerator<readonly JobsLaneItem[]> {
  // bullmq costs ~0.3 s to import: only a daemon with a bullmq source pays it.
  const jobs = await import("../jobs/index.js");
  const reader = await jobs.QueueReader.connect(entry.redis, { prefix: entry.prefix, ...(entry.password === undefined ? {} : { password: entry.password }) });
  const cursors = new Map<string, JobsCursor | undefined>([...parts].map(([q, c]) => [q, decodeJobsCursor(c)]));
  const origin = { ...(recordHost === undefined ? {} : { host: recordHost }), ...(entry.service === undefined ? {} : { service: entry.service }) };
  const said = new Set<string>(); // completed paths already reported by this lane
  const unreadable = new Set<string>(); // queues whose keys are not BullMQ's, already logged
  const item = (part: string, record: LogRecord | undefined, cursor: JobsCursor | undefined): JobsLaneItem => ({
    record, part, cursor: cursor === undefined ? undefined : encodeJobsCursor(cursor),
  });
  try {
    while (!signal.aborted) {
      const queues = entry.queues.length > 0 ? entry.queues : (await reader.listQueues()).names;
      // A fresh probe per poll: the local one remembers each directory's listing for its lifetime.
      const probe = host instanceof SshHost ? jobs.hostFileProbe(host) : jobs.localFileProbe();
      let heartbeat = true;
      for (const queue of queues) {
        const stamps = await readStamps(reader, queue, unreadable, deps.log);
        if (stamps === undefined) continue;
        // Only the new ones' hashes are read: a poll of a large, unchanged failed set is one ZREVRANGE.
        const fresh = newJobs(stamps, cursors.get(queue), GRACE_MS);
        for (let i = 0; i < fresh.length; i += BATCH) {
          const chunk = fresh.slice(i, i + BATCH);
          const cursor = cursorAfter(cursors.get(queue), chunk, GRACE_MS);
          // A job removed between the two reads has nothing to say; the cursor still moves past it. One retried and
          // failed again in between (its hash has a later finishedOn) is emitted at the next poll, under its new stamp.
          const at = new Map(chunk.map((s) => [s.id, s.time]));
          const { failed } = await reader.failedJobs(queue, chunk.map((s) => s.id));
          const records = failed.filter((job) => job.finishedOn === undefined || job.finishedOn === at.get(job.id)).map((job) => jobs.failedJobToRecord(job, origin));
          const probed = await completedRecords(records, probe, entry, said, jobs, deps.log);
          const batch = [...records.map((r) => item(queue, r, undefined)), ...probed.map((r) => item(queue, r, undefined))];
          // The cursor goes on the last item: commits happen between batches, so it covers the whole batch.
          batch.push(item(queue, undefined, cursor));
          cursors.set(queue, cursor);
          heartbeat = false;
          yield batch;
        }
      }
      if (heartbeat) yield [item("", undefined, undefined)];
      if (deps.untilCaughtUp === true) return;
      try {
        await deps.clock.sleep(entry.poll, signal);
      } catch {
        return;
      }
    }
  } finally {
    await reader.close();
  }
}

/**
 * One queue whose keys are not what BullMQ writes (WRONGTYPE: another tool, another version) must not hold up the
 * others: it is skipped, logged once. Anything else (Redis gone) throws, and the runner retries the whole lane.
 */
async function readStamps(reader: import("../jobs/index.js").QueueReader, queue: string, unreadable: Set<string>, log: Logger) {
  try {
    const stamps = await reader.failedStamps(queue);
    unreadable.delete(queue);
    return stamps;
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (!/WRONGTYPE|^ERR /.test(msg)) throw e;
    if (!unreadable.has(queue)) log.error({ errorType: "queue_unreadable", queue }, `The queue is not readable as a BullMQ queue and is skipped: ${msg}`);
    unreadable.add(queue);
    return undefined;
  }
}

/**
 * "Completed input found: PATH" records for stale jobs whose file is in the completed directory (once per path per
 * lane), as `analyze --jobs-redis` adds them. A probe that fails (a host away) says nothing rather than stop the lane.
 */
async function completedRecords(
  records: readonly LogRecord[], probe: import("../jobs/index.js").FileProbe, entry: BullmqEntry, said: Set<string>,
  jobs: typeof import("../jobs/index.js"), log: Logger,
): Promise<LogRecord[]> {
  const out: LogRecord[] = [];
  for (const r of records) {
    const path = INACCESSIBLE.exec(r.text)?.[1]?.trim();
    if (path === undefined || said.has(path)) continue;
    try {
      const completedPath = await jobs.locateCompleted(path, probe, entry.completedDir === undefined ? {} : { completedDir: entry.completedDir });
      if (completedPath === undefined) continue;
      said.add(path);
      const row = { file: "", path, failedJobs: 1, jobIds: [], completedPath, stillAtPath: false };
      const rec = jobs.probeRecord(row, r);
      if (rec) out.push(rec);
    } catch (e) {
      log.warn({ errorType: "probe_failed", path }, `The completed-file probe failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return out;
}
