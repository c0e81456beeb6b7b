// The collector role (scale.streams): the sources' records published to partition streams, then their cursors committed.
//
// No rule runs here. Each record gets its source's next sequence number and goes to the partition of its host and
// service (src/scale/stream-records.ts). A flush publishes the buffered records (one entry per partition and up to
// `batch` records), then commits each source's cursor together with the number of its last record whose position
// the cursor covers. Dying between the two publishes those records again after the restart, under the same numbers:
// the analyzers skip numbers they have counted. Before publishing into a partition the collector trims it below what
// the analyzers acknowledged and waits while it still holds `maxLen` entries or more: it never drops a record.
import type { Logger } from "pino";
import { decodeCollectorCursor, encodeCollectorCursor, encodeEntry, partitionName, partitionOf, type StreamRecord } from "../scale/index.js";
import { isStoreError, type RecordStreams } from "../store/index.js";
import type { Clock } from "../time.js";
import { CursorTracker } from "./cursors.js";
import type { PipelineStats } from "./pipeline.js";
import type { SourceBatch } from "./source-runner.js";

export interface CollectorDeps {
  readonly streams: Pick<RecordStreams, "publish" | "room">;
  /** Commits source cursors (fenced by the run's leases); rejects `fenced` when a lease was lost. */
  readonly commitCursors: (cursors: Readonly<Record<string, string>>) => Promise<void>;
  readonly clock: Clock;
  readonly log: Logger;
  readonly linesRead?: (source: string, n: number) => void;
  /** Called with a partition's room each time a flush looks at it (for the lag gauges). */
  readonly onRoom?: (partition: string, room: { length: number; lag: number; pending: number }) => void;
}

export interface CollectorOptions {
  readonly partitions: number;
  readonly maxLen: number;
  readonly batch: number;
  /** The stored cursor of each source read (collector cursors: sequence number and position). */
  readonly resumedFrom: ReadonlyMap<string, string | undefined>;
  /** Flush at least this often while records wait; default 200 ms. */
  readonly flushEveryMs?: number;
  /** ...and once this many wait; default 5,000. */
  readonly flushRecords?: number;
  /** How long to wait between looks at a full partition; default 50 ms. */
  readonly waitMs?: number;
}

/** The cursor each lane resumes from: the source's own position inside a collector cursor. */
export function laneCursor(stored: string | undefined): string | undefined {
  return decodeCollectorCursor(stored).inner;
}

export function createCollector(deps: CollectorDeps, opts: CollectorOptions) {
  const { clock, log } = deps;
  const flushEveryMs = opts.flushEveryMs ?? 200;
  const flushRecords = opts.flushRecords ?? 5000;
  const stats: PipelineStats = { records: 0, signals: 0, commits: 0, failedCommits: 0, lastCommitAt: undefined, storeError: undefined, commitStartedAt: undefined };
  /** Per source: the number of the last record read, and of the last one its position (the cursor) covers. */
  const seq = new Map<string, number>();
  const covering = new Map<string, number>();
  const inner = new Map<string, string | undefined>();
  for (const [s, text] of opts.resumedFrom) {
    const c = decodeCollectorCursor(text);
    // A position without a number: a plain watcher read the source last, and the analyzers may remember numbers of
    // an earlier collector. Number from the clock (1,000 a millisecond) so that this numbering starts above theirs.
    const base = c.seq === 0 && c.inner !== undefined ? clock.now() * 1000 : c.seq;
    seq.set(s, base);
    covering.set(s, base);
    inner.set(s, c.inner);
  }
  const cursors = new CursorTracker(inner);
  let buffers = new Map<number, StreamRecord[]>();
  let buffered = 0;

  const take = (batch: SourceBatch) => {
    for (const item of batch) {
      if (item.skipped !== undefined) stats.records += item.skipped;
      if (item.record !== undefined) {
        const n = (seq.get(item.source) ?? 0) + 1;
        seq.set(item.source, n);
        const p = partitionOf(item.host, item.record.service, opts.partitions);
        let b = buffers.get(p);
        if (b === undefined) buffers.set(p, (b = []));
        b.push({ host: item.host, source: item.source, seq: n, record: item.record });
        buffered += 1;
        stats.records += 1;
        deps.linesRead?.(item.source, 1);
      }
      if (item.cursor !== undefined) {
        cursors.advance(item.source, item.part, item.cursor);
        covering.set(item.source, seq.get(item.source) ?? 0);
      }
    }
  };

  /** Waits until the partition has room for `entries` more (never past `signal`: then false, nothing published). */
  const waitForRoom = async (p: string, entries: number, signal: AbortSignal): Promise<boolean> => {
    let warned = false;
    for (;;) {
      const room = await deps.streams.room(p);
      deps.onRoom?.(p, room);
      if (room.length + entries <= opts.maxLen || room.length === 0) return true;
      if (!warned) {
        log.info({ partition: p, length: room.length, lag: room.lag, pending: room.pending, maxLen: opts.maxLen }, "A partition is full: waiting for the analyzers before publishing more.");
        warned = true;
      }
      if (signal.aborted) return false;
      await clock.sleep(opts.waitMs ?? 50, signal).catch(() => undefined);
    }
  };

  const flush = async (signal: AbortSignal): Promise<void> => {
    const pending = cursors.pending();
    if (buffered === 0 && Object.keys(pending).length === 0) return;
    const entries = new Map<string, string[]>();
    for (const [p, records] of buffers) {
      const list: string[] = [];
      for (let i = 0; i < records.length; i += opts.batch) list.push(encodeEntry(records.slice(i, i + opts.batch)));
      entries.set(partitionName(p), list);
    }
    stats.commitStartedAt = clock.now();
    try {
      for (const [p, list] of entries) if (!(await waitForRoom(p, list.length, signal))) return;
      await deps.streams.publish(entries);
      buffers = new Map();
      buffered = 0;
      const commit: Record<string, string> = {};
      for (const [source, text] of Object.entries(pending)) commit[source] = encodeCollectorCursor(covering.get(source) ?? 0, text);
      if (Object.keys(commit).length > 0) await deps.commitCursors(commit);
      cursors.markCommitted(pending);
      stats.commits += 1;
      stats.lastCommitAt = clock.now();
      stats.storeError = undefined;
    } catch (e) {
      // Redis away: the records stay buffered (the bounded queues behind hold the sources) and go with the next flush.
      if (!isStoreError(e, "unavailable")) throw e;
      stats.failedCommits += 1;
      stats.storeError = e.message.split("\n")[0];
      log.warn({ errorType: "store_unavailable", failedCommits: stats.failedCommits }, "Could not publish to the record streams; the next flush carries these records.");
    } finally {
      stats.commitStartedAt = undefined;
    }
  };

  /** Publishes until `items` ends; `signal` only cuts short a wait for room at the end (what is unpublished is read again). */
  async function run(items: AsyncIterable<SourceBatch>, signal: AbortSignal): Promise<void> {
    const it = items[Symbol.asyncIterator]();
    // One handler per item asked for, never one per wait: racing the pending next() against a timer at every wake-up
    // would pile a reaction onto it every 200 ms while the sources are quiet.
    let arrived: IteratorResult<SourceBatch> | undefined;
    let failed: { error: unknown } | undefined;
    let wake: (() => void) | undefined;
    const ask = () =>
      void it.next().then(
        (r) => {
          arrived = r;
          wake?.();
        },
        (error: unknown) => {
          failed = { error };
          wake?.();
        },
      );
    ask();
    let lastFlush = clock.now();
    for (;;) {
      if (arrived === undefined && failed === undefined) {
        const timer = new AbortController();
        const woken = new Promise<void>((resolve) => (wake = resolve));
        void clock.sleep(Math.max(1, flushEveryMs - (clock.now() - lastFlush)), timer.signal).then(() => wake?.(), () => undefined);
        await woken;
        timer.abort();
        wake = undefined;
      }
      if (failed !== undefined) throw failed.error;
      if (arrived !== undefined) {
        const r = arrived;
        arrived = undefined;
        if (r.done) break;
        ask();
        take(r.value);
      }
      if (buffered >= flushRecords || clock.now() - lastFlush >= flushEveryMs) {
        await flush(signal);
        lastFlush = clock.now();
      }
    }
    await flush(signal);
  }

  return { run, stats };
}

export type Collector = ReturnType<typeof createCollector>;
