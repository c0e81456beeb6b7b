// The daemon's Prometheus metrics: one prom-client Registry per daemon, never the library's global one.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export interface DaemonMetrics {
  readonly registry: Registry;
  /** counter firewatch_lines_read_total{source} */
  linesRead(source: string, n: number): void;
  /** gauge firewatch_source_lag_seconds{source}: how long the reader has not been at the end of what the source holds */
  lagSeconds(source: string, seconds: number): void;
  /** gauge firewatch_source_lag_bytes{source}: bytes of a file source not read yet */
  lagBytes(source: string, bytes: number): void;
  /** counter firewatch_source_lost_total{source,unit}: data provably gone before it was read (bytes of files, journal entries) */
  lost(source: string, unit: "bytes" | "entries", n: number): void;
  /** counter firewatch_source_reconnects_total{source} */
  reconnect(source: string): void;
  /** counter firewatch_lines_dropped_total{source,reason} */
  dropped(source: string, n: number, reason: string): void;
  /** counter firewatch_rule_hits_total{rule} */
  ruleHit(rule: string, n: number): void;
  /** counter firewatch_incident_changes_total{outcome} (created, updated, reopened, suppressed, resolved...) */
  incident(outcome: string): void;
  /** histogram firewatch_commit_duration_seconds */
  commitSeconds(seconds: number): void;
  /** gauge firewatch_source_queue_records{source} */
  queueDepth(source: string, records: number): void;
  /** gauge firewatch_source_up{source}: 1 connected, 0 not */
  sourceUp(source: string, up: boolean): void;
  /** gauges firewatch_leases_held and firewatch_watchers_live (scale-out), read from `read` at each scrape */
  scale(read: () => { held: number; watchers: number }): void;
  /** counter firewatch_fenced_commits_total: commits refused because another watcher took a lease over */
  fenced(): void;
  /** gauges firewatch_stream_{length,lag,pending}_entries{group,partition} (scale.streams), read from `read` at each scrape */
  streams(read: () => readonly { partition: string; length: number; lag: number; pending: number }[]): void;
}

/**
 * A store commit is a file rename + fsync or one Redis MULTI: milliseconds normally, seconds when the disk or the
 * link is in trouble; the buckets span both so a slow store shows up before the 500 ms commit cadence slips.
 */
const COMMIT_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Builds the metrics on a fresh Registry, with Node's default process metrics (CPU, RSS, heap, event-loop lag, open
 * fds) registered on it too. Label values are source names from the config, rule ids and outcomes: all bounded, so
 * the series count cannot grow with the logs.
 */
export function createDaemonMetrics(): DaemonMetrics {
  const registry = new Registry();
  const registers = [registry];
  collectDefaultMetrics({ register: registry });

  const lines = new Counter({ name: "firewatch_lines_read_total", help: "Log records read, per source.", labelNames: ["source"], registers });
  const lag = new Gauge({
    name: "firewatch_source_lag_seconds",
    help: "Seconds since the source's reader was last at the end of what the source holds (0 while caught up).",
    labelNames: ["source"],
    registers,
  });
  const lagBytes = new Gauge({ name: "firewatch_source_lag_bytes", help: "Bytes of a file source not read yet (the file and newer generations).", labelNames: ["source"], registers });
  const lost = new Counter({
    name: "firewatch_source_lost_total",
    help: "Data provably gone before it was read, per source and unit: bytes of log files (deleted or truncated unread), entries of a journal (vacuumed past the cursor).",
    labelNames: ["source", "unit"],
    registers,
  });
  const reconnects = new Counter({
    name: "firewatch_source_reconnects_total",
    help: "Times a source's link was re-opened after it broke or ended.",
    labelNames: ["source"],
    registers,
  });
  const drops = new Counter({
    name: "firewatch_lines_dropped_total",
    help: "Lines skipped instead of processed, per source and reason (too_long, invalid_utf8, bad_json, overflow...).",
    labelNames: ["source", "reason"],
    registers,
  });
  const hits = new Counter({ name: "firewatch_rule_hits_total", help: "Signals produced, per rule.", labelNames: ["rule"], registers });
  const changes = new Counter({
    name: "firewatch_incident_changes_total",
    help: "Incident changes written to the store, per outcome.",
    labelNames: ["outcome"],
    registers,
  });
  const commits = new Histogram({
    name: "firewatch_commit_duration_seconds",
    help: "Time one store commit (incident snapshots and source cursors together) took.",
    buckets: COMMIT_BUCKETS,
    registers,
  });
  const queue = new Gauge({
    name: "firewatch_source_queue_records",
    help: "Records read from the source and waiting for the pipeline.",
    labelNames: ["source"],
    registers,
  });
  const up = new Gauge({ name: "firewatch_source_up", help: "1 while the source's link is connected, else 0.", labelNames: ["source"], registers });

  let scaleRead: (() => { held: number; watchers: number }) | undefined;
  new Gauge({ name: "firewatch_leases_held", help: "Source leases this watcher holds (scale:).", registers, collect() { if (scaleRead) this.set(scaleRead().held); } });
  new Gauge({ name: "firewatch_watchers_live", help: "Live watchers on the store as this one last saw them (scale:).", registers, collect() { if (scaleRead) this.set(scaleRead().watchers); } });
  let streamsRead: (() => readonly { partition: string; length: number; lag: number; pending: number }[]) | undefined;
  const streamGauge = (name: string, help: string, pick: (s: { length: number; lag: number; pending: number }) => number) =>
    new Gauge({
      name, help, labelNames: ["group", "partition"], registers,
      collect() {
        for (const s of streamsRead?.() ?? []) this.set({ group: "analyzers", partition: s.partition }, pick(s));
      },
    });
  streamGauge("firewatch_stream_length_entries", "Entries in a partition's record stream (scale.streams).", (s) => s.length);
  streamGauge("firewatch_stream_lag_entries", "Entries of a partition the analyzers' group has not read yet (scale.streams).", (s) => s.lag);
  streamGauge("firewatch_stream_pending_entries", "Entries of a partition read and not yet acknowledged (scale.streams).", (s) => s.pending);
  const fenced = new Counter({ name: "firewatch_fenced_commits_total", help: "Commits refused because another watcher took over a lease of the run (scale:).", registers });

  // prom-client throws on a negative or NaN increment; a miscount must not take the pipeline down with it.
  const countable = (n: number): boolean => n >= 0 && Number.isFinite(n);
  return {
    registry,
    linesRead: (source, n) => countable(n) && lines.inc({ source }, n),
    lagSeconds: (source, seconds) => lag.set({ source }, seconds),
    lagBytes: (source, bytes) => lagBytes.set({ source }, bytes),
    lost: (source, unit, n) => countable(n) && lost.inc({ source, unit }, n),
    reconnect: (source) => reconnects.inc({ source }),
    dropped: (source, n, reason) => countable(n) && drops.inc({ source, reason }, n),
    ruleHit: (rule, n) => countable(n) && hits.inc({ rule }, n),
    incident: (outcome) => changes.inc({ outcome }),
    commitSeconds: (seconds) => commits.observe(seconds),
    queueDepth: (source, records) => queue.set({ source }, records),
    sourceUp: (source, isUp) => up.set({ source }, isUp ? 1 : 0),
    scale: (read) => void (scaleRead = read),
    streams: (read) => void (streamsRead = read),
    fenced: () => fenced.inc(),
  };
}
