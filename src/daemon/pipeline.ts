// The live engine: records → matcher → correlator → incidents, committed with the cursors they cover, then the outputs.
//
// Exactly-once into incident counts: the engine sees a line at least once (after a crash, the lines after the last
// committed cursor are read again), and a commit stores the incident snapshots together with the cursors of exactly
// the items the correlator has taken (store.commit is atomic). The correlator of a new process counts from zero;
// the `run` id tells the store to add that run's counts to what was stored before it (run-aware carry), once.
import type { Logger } from "pino";
import { createCorrelator } from "../correlate/index.js";
import { groupIntoIncidents } from "../incidents/index.js";
import type { LogRecord } from "../parsers/index.js";
import type { Rule, Signal } from "../rules/index.js";
import { isStoreError, type ResolveAfter, type Store, type StoredIncident, type UpsertOutcome } from "../store/index.js";
import type { Clock } from "../time.js";
import { CursorTracker } from "./cursors.js";
import { changeKey, createIncidentIdentity } from "./identity.js";
import type { DaemonMetrics } from "./metrics.js";
import { createRecordHost, type HostNames } from "./record-host.js";
import type { SourceBatch, SourceItem } from "./source-runner.js";

/** One incident that changed: an upsert's outcome, or "resolved" by auto-resolve. */
export interface IncidentChange {
  readonly outcome: Exclude<UpsertOutcome, "unchanged"> | "resolved";
  readonly incident: StoredIncident;
  /** The silence that suppressed it (outcome "suppressed"). */
  readonly silenceId?: string | undefined;
}

/** The part of source health the pipeline drives (src/daemon/source-health.ts). */
export interface HealthFeed {
  seen(source: string, host: string, now: number): void;
  tick(now: number): LogRecord[];
}

export interface PipelineDeps {
  readonly store: Pick<Store, "commit" | "autoResolve">;
  readonly rules: readonly Rule[];
  readonly match: (record: LogRecord) => Signal[];
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: Pick<DaemonMetrics, "linesRead" | "ruleHit" | "incident" | "commitSeconds">;
  /** This process's correlator run (a random id per start). */
  readonly run: string;
  readonly resolveAfter: ResolveAfter;
  /** Cursors the sources resumed from, so a commit only sends the ones that moved. */
  readonly resumedFrom: ReadonlyMap<string, string | undefined>;
  /** The store's live incidents at start: their findings keep filing into them after a restart (see identity.ts). */
  readonly live?: readonly StoredIncident[];
  /**
   * Merge live incidents a snapshot ties together (CommitBatch.merges); default true. Off when other watchers commit to
   * the same store (scale-out): this process does not see their incidents' findings, and merging what they keep
   * committing would resolve and reopen them in turn.
   */
  readonly mergeApart?: boolean;
  readonly health?: HealthFeed;
  /** The names each configured host logs under (record-host.ts); default: its own name only. */
  readonly hostNames?: HostNames;
  /** Outputs and hooks; awaited, so a slow output holds the pipeline (and, through the bounded queues, the sources). */
  readonly onChanges: (changes: readonly IncidentChange[]) => Promise<void>;
}

export interface PipelineOptions {
  /** Commit at least this often while anything changed; default 500 ms. */
  readonly commitEveryMs?: number;
  /** ...and after this many records (lines skimmed away do not count); default 5,000. */
  readonly commitEveryRecords?: number;
  /** Source health and auto-resolve cadence; default 1 s. */
  readonly tickMs?: number;
  /** With this set, `onIdle` is called at each tick once no item has come for this long and all was committed (--once-idle). */
  readonly idleMs?: number;
  readonly onIdle?: () => void;
}

export interface PipelineStats {
  records: number;
  signals: number;
  commits: number;
  /** Commits the store could not take (it was unreachable); their work went into the next one. */
  failedCommits: number;
  lastCommitAt: number | undefined;
  /** The error of the last failed commit, cleared by the next good one (for /healthz). */
  storeError: string | undefined;
  /** When the store call in flight (a commit, or the auto-resolve pass) started: a store waiting for Redis to come back holds it up to 30 s; undefined: none. */
  commitStartedAt: number | undefined;
}

const TICK = Symbol("tick");

/** A pause in the input this long commits what came before it (a flood still commits every commitEveryMs). */
const QUIET_COMMIT_MS = 50;

export function createPipeline(deps: PipelineDeps, opts: PipelineOptions = {}) {
  const commitEveryMs = opts.commitEveryMs ?? 500;
  const commitEveryRecords = opts.commitEveryRecords ?? 5000;
  const tickMs = opts.tickMs ?? 1000;
  const { clock, metrics, log } = deps;
  const correlator = createCorrelator(deps.rules);
  const cursors = new CursorTracker(deps.resumedFrom);
  const stats: PipelineStats = { records: 0, signals: 0, commits: 0, failedCommits: 0, lastCommitAt: undefined, storeError: undefined, commitStartedAt: undefined };
  /** The change key of the last snapshot the store took, by fingerprint: only changed incidents are sent. */
  const sent = new Map<string, string>();
  // Per-source counters, flushed into the metrics at each tick rather than on every line.
  const perSource = new Map<string, { host: string; lines: number; lastAt: number }>();
  const hits = new Map<string, number>();
  let sinceCommit = 0;
  const identity = createIncidentIdentity(deps.live ?? []);
  const onHost = createRecordHost(deps.hostNames ?? { aliases: () => [] });

  const feed = (record: LogRecord) => {
    for (const signal of deps.match(record)) {
      correlator.push(signal);
      stats.signals += 1;
      hits.set(signal.ruleId, (hits.get(signal.ruleId) ?? 0) + 1);
    }
  };

  const counted = (item: SourceItem, lines: number, now: number) => {
    stats.records += lines;
    let s = perSource.get(item.source);
    if (s === undefined) perSource.set(item.source, (s = { host: item.host, lines: 0, lastAt: now }));
    s.lines += lines;
    s.lastAt = now;
  };

  const take = (item: SourceItem, now: number) => {
    // Lines no rule could match were read as well (a file's skimming): they count as records read, and make none.
    // They do not hasten a commit: only their position moves, and the timed commit takes it (issue 18: a catch-up
    // committed the whole store after every poll's 7,000 skipped lines).
    if (item.skipped !== undefined) counted(item, item.skipped, now);
    if (item.record !== undefined) {
      counted(item, 1, now);
      sinceCommit += 1;
      const t = item.record.time;
      // A live line without a time of its own is placed when it was read: windows ("3 within 5m") need a time, and
      // records without one never satisfy a window (issue 17), which would keep a file without stamps from ever firing.
      const record = t === undefined ? { ...item.record, time: now } : item.record;
      // The source's configured host, whatever the line says (issue 14): probes and actions go where it reads.
      feed(onHost(record, item.host));
    }
    // After the record went through the correlator: the position now covers it.
    if (item.cursor !== undefined) cursors.advance(item.source, item.part, item.cursor);
  };

  const commit = async (now: number): Promise<void> => {
    sinceCommit = 0;
    const incidents = groupIntoIncidents(correlator.findings(now), deps.rules).map((i) => identity.adopt(i));
    // Forget incidents the correlator no longer has (its groups are bounded), so `sent` stays bounded too.
    if (sent.size > incidents.length) {
      const present = new Set(incidents.map((i) => i.fingerprint));
      for (const fp of sent.keys()) if (!present.has(fp)) sent.delete(fp);
    }
    const changed = [];
    const keys = new Map<string, string>();
    for (const i of incidents) {
      const key = changeKey(i);
      if (sent.get(i.fingerprint) === key) continue;
      changed.push(i);
      keys.set(i.fingerprint, key);
    }
    const batch = cursors.pending();
    if (changed.length === 0 && Object.keys(batch).length === 0) return;
    // Incidents stored apart that a later finding tied to one of these (issue 14): merged into it in this commit.
    const merges: Record<string, string[]> = {};
    for (const i of deps.mergeApart === false ? [] : changed) {
      const others = identity.absorbs(i);
      if (others.length > 0) merges[i.fingerprint] = others;
    }
    const started = performance.now();
    let results;
    stats.commitStartedAt = now;
    try {
      results = await deps.store.commit({ snapshots: changed, cursors: batch, run: deps.run, ...(Object.keys(merges).length > 0 ? { merges } : {}) });
    } catch (e) {
      // Nothing was stored: the same snapshots and cursors (or later ones) go with the next commit.
      if (!isStoreError(e, "unavailable")) throw e;
      stats.failedCommits += 1;
      stats.storeError = e.message.split("\n")[0];
      log.warn({ errorType: "store_unavailable", failedCommits: stats.failedCommits }, "The store is unreachable; the next commit carries this one's work.");
      return;
    } finally {
      stats.commitStartedAt = undefined;
    }
    metrics.commitSeconds((performance.now() - started) / 1000);
    stats.commits += 1;
    stats.lastCommitAt = now;
    stats.storeError = undefined;
    for (const [fp, key] of keys) sent.set(fp, key);
    cursors.markCommitted(batch);
    const out: IncidentChange[] = [];
    for (const r of results) {
      identity.stored(r.incident);
      for (const m of r.merged ?? []) {
        identity.stored(m);
        metrics.incident("resolved");
        out.push({ outcome: "resolved", incident: m });
      }
      if (r.outcome === "unchanged") continue;
      metrics.incident(r.outcome);
      out.push({ outcome: r.outcome, incident: r.incident, silenceId: r.silenceId });
    }
    if (out.length > 0) await deps.onChanges(out);
  };

  const tick = async (now: number): Promise<void> => {
    for (const [source, s] of perSource) {
      if (s.lines > 0) {
        metrics.linesRead(source, s.lines);
        deps.health?.seen(source, s.host, s.lastAt);
        s.lines = 0;
      }
    }
    for (const [rule, n] of hits) metrics.ruleHit(rule, n);
    hits.clear();
    // The watcher's own records (a source quiet, down, back) go through the same rules as any line.
    for (const record of deps.health?.tick(now) ?? []) feed(record);
    let resolved: StoredIncident[] = [];
    // Timed like a commit: a store that stops answering holds the loop here too, and /healthz must say so.
    stats.commitStartedAt = now;
    try {
      resolved = await deps.store.autoResolve(deps.resolveAfter);
    } catch (e) {
      if (!isStoreError(e, "unavailable")) throw e;
    } finally {
      stats.commitStartedAt = undefined;
    }
    for (const r of resolved) identity.stored(r);
    if (resolved.length > 0) {
      for (let i = 0; i < resolved.length; i++) metrics.incident("resolved");
      await deps.onChanges(resolved.map((incident) => ({ outcome: "resolved", incident })));
    }
  };

  /** Runs until `items` ends (the sources were stopped), then commits what is left. */
  async function run(items: AsyncIterable<SourceBatch>): Promise<void> {
    const it = items[Symbol.asyncIterator]();
    let next = it.next();
    // One timer at a time wakes the loop for commits and ticks. Not Promise.race([next, timer]): every race leaves a
    // reaction on the long-lived timer holding that race's result (a batch) until the timer fires, which in a flood
    // kept a second's worth of records alive. Here the timer calls whichever waiter is current.
    let timerStop = new AbortController();
    let timer: Promise<void> | undefined;
    let timerAt = Infinity;
    let fired = false;
    let waker: ((r: typeof TICK) => void) | undefined;
    let nextCommitAt = clock.now() + commitEveryMs;
    let nextTickAt = clock.now() + tickMs;
    let lastItemAt = clock.now();
    try {
      for (;;) {
        const now = clock.now();
        if (now >= nextCommitAt) {
          await commit(now);
          nextCommitAt = now + commitEveryMs;
          continue;
        }
        if (now >= nextTickAt) {
          await tick(now);
          nextTickAt = now + tickMs;
          if (opts.idleMs !== undefined && now - lastItemAt >= opts.idleMs && Object.keys(cursors.pending()).length === 0) opts.onIdle?.();
          continue;
        }
        // Lines that come one at a time are committed once the input pauses (QUIET_COMMIT_MS), not up to 500 ms later.
        if (sinceCommit > 0 && now - lastItemAt >= QUIET_COMMIT_MS) {
          await commit(now);
          nextCommitAt = now + commitEveryMs;
          continue;
        }
        const due = Math.min(nextCommitAt, nextTickAt, sinceCommit > 0 ? lastItemAt + QUIET_COMMIT_MS : Infinity);
        if (timer !== undefined && due < timerAt) {
          // A line after a pause moves the wake-up earlier: drop the later timer.
          timerStop.abort();
          timer = undefined;
          timerStop = new AbortController();
        }
        if (timer === undefined) {
          timerAt = due;
          fired = false;
          timer = clock.sleep(Math.max(0, due - now), timerStop.signal).then(
            () => {
              fired = true;
              waker?.(TICK);
            },
            () => undefined,
          );
        }
        const r = fired
          ? TICK
          : await new Promise<IteratorResult<SourceBatch> | typeof TICK>((resolve, reject) => {
              waker = resolve;
              next.then(resolve, reject);
            });
        waker = undefined;
        if (r === TICK) {
          timer = undefined;
          continue;
        }
        if (r.done) break;
        next = it.next();
        lastItemAt = clock.now();
        for (const item of r.value) take(item, lastItemAt);
        if (sinceCommit >= commitEveryRecords) {
          await commit(lastItemAt);
          nextCommitAt = lastItemAt + commitEveryMs;
        }
      }
    } catch (e) {
      // A source broke for good: keep what the engine already took (a consistent commit), then let the daemon stop.
      await commit(clock.now()).catch((c: unknown) => log.error({ errorType: "commit_failed", err: c }, "The last commit before stopping failed."));
      throw e;
    } finally {
      timerStop.abort();
    }
    // Drained: what the correlator took is committed with its cursors before the process goes.
    await tick(clock.now());
    await commit(clock.now());
  }

  return { run, stats, commit: () => commit(clock.now()) };
}

export type Pipeline = ReturnType<typeof createPipeline>;
