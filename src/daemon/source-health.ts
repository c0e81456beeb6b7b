// Watching the watcher: turns a source's silence or broken link into synthetic records that built-in rules make incidents of.
import type { LogRecord, Level } from "../parsers/record.js";
import { formatDuration, type Clock } from "../time.js";
import type { HealthState } from "./health-server.js";

export type LinkState = "connected" | "retrying" | "failed" | "ended";

/** up: lines flow (or the source may stay silent); quiet: no lines past its quiet time; down: its link is broken. */
export type SourceCondition = "up" | "quiet" | "down";

export interface SourceHealthEntry {
  readonly state: SourceCondition;
  /** When the source entered `state` (wall time, ms). */
  readonly since: number;
  readonly lastLineAt: number | undefined;
  /** The link as the daemon last reported it ("unknown" before its first report). */
  readonly link: LinkState | "unknown";
  /** When the link entered that state. */
  readonly linkSince: number;
  readonly host: string;
  /** Why it is quiet or down; "" when up. */
  readonly reason: string;
}

export interface SourceHealth {
  /** Lines arrived from `source` (host is the source's host) at wall time `now`. O(1): call it per batch on the hot path. */
  seen(source: string, host: string, now: number): void;
  /** The source's link changed: connected, retrying (with the error), failed (gave up), ended (EOF/rotated away). */
  state(source: string, host: string, state: LinkState, detail: string, now: number): void;
  /** Data the source proves gone before it was read (one sentence saying what and where): a record at the next tick. */
  lost(source: string, host: string, detail: string, now: number): void;
  /** Called every second by the daemon: records to feed to the matcher (quiet past `quietMs`, down, recovered, lost). */
  tick(now: number): LogRecord[];
  /** Per source: up/quiet/down and since when (for /healthz). */
  snapshot(): Readonly<Record<string, SourceHealthEntry>>;
  /** Stops judging a source this watcher no longer reads (its lease went to another watcher, docs/scaling.md). */
  forget(source: string): void;
}

export interface SourceHealthOptions {
  /** The source's quiet time from config (ms); undefined or 0: the source may stay silent for ever (log files). */
  quietMs: (source: string) => number | undefined;
  /** Kept for the interface; every call carries the daemon's `now`, so nothing here reads a clock of its own. */
  clock: Clock;
  /** While a source stays quiet or down, the same record is repeated this often (DEFAULT_REMIND_MS). */
  remindMs?: number;
}

/**
 * The store resolves an incident after its rules' resolve_after of no new activity (firewatch_source_*.yaml: 5m),
 * and a recovery (`clears`) line is not activity. So while a source stays quiet or down the record is repeated every
 * 4 minutes, which keeps its incident open; once lines flow the repeats stop and it resolves within resolve_after.
 * One record per source per 4 minutes at most, however often tick() runs.
 */
export const DEFAULT_REMIND_MS = 4 * 60_000;

/** The file name records of this module carry in their SourceRef (evidence shows it). */
export const SOURCE_HEALTH_REF = "(firewatch source health)";

/** Error text from a link can be long and multi-line; a record line is one short line. */
const MAX_DETAIL_CHARS = 300;

interface Entry {
  readonly source: string;
  host: string;
  readonly quietMs: number | undefined;
  link: LinkState | "unknown";
  linkSince: number;
  linkDetail: string;
  lastLineAt: number | undefined;
  /** Quiet is measured from here: the last line, the first report of the source, or the link coming back from down. */
  quietFrom: number;
  condition: SourceCondition;
  conditionSince: number;
  reason: string;
  /** When the last record for the current condition went out (repeats are timed from it). */
  reportedAt: number;
  /** A line arrived after the source left "up": the next tick reports it flowing again. */
  linesSinceCondition: boolean;
  /** The link reported "failed" since the last tick (a failed → connected within one second still counts). */
  failedSinceTick: boolean;
  /** Losses reported since the last tick: the first one's sentence and how many more. */
  lostDetail: string | undefined;
  lostMore: number;
}

/**
 * Builds the watcher of the watcher. It never reads the wall clock behind the daemon's back: every call carries `now`
 * (the daemon's clock), so tests move time instead of sleeping. One record per transition per source (plus the
 * repeats above), so a source that flaps makes a bounded number of records; tick() is one pass over the sources.
 */
export function createSourceHealth(opts: SourceHealthOptions): SourceHealth {
  const remindMs = opts.remindMs ?? DEFAULT_REMIND_MS;
  const entries = new Map<string, Entry>();
  let line = 0;

  function entry(source: string, host: string, now: number): Entry {
    let e = entries.get(source);
    if (e === undefined) {
      const q = opts.quietMs(source);
      e = {
        source,
        host,
        quietMs: q !== undefined && q > 0 ? q : undefined,
        link: "unknown",
        linkSince: now,
        linkDetail: "",
        lastLineAt: undefined,
        quietFrom: now,
        condition: "up",
        conditionSince: now,
        reason: "",
        reportedAt: now,
        linesSinceCondition: false,
        failedSinceTick: false,
        lostDetail: undefined,
        lostMore: 0,
      };
      entries.set(source, e);
    }
    e.host = host;
    return e;
  }

  function record(e: Entry, now: number, state: string, level: Level, message: string, reason: string): LogRecord {
    line += 1;
    return {
      text: message,
      message,
      time: now,
      host: e.host,
      service: "firewatch",
      pid: undefined,
      level,
      fields: { source: e.source, state, reason },
      format: "plain",
      ref: { file: SOURCE_HEALTH_REF, line, endLine: line },
      truncatedBytes: 0,
    };
  }

  function enter(e: Entry, condition: SourceCondition, reason: string, now: number): void {
    e.condition = condition;
    e.conditionSince = now;
    e.reason = reason;
    e.reportedAt = now;
    e.linesSinceCondition = false;
  }

  /**
   * Why the link counts as down now, or undefined. Only "failed" makes a source down: the daemon says it once the
   * source has used up its configured `retries` (reconnects in a row without a line). "retrying" and "ended"
   * (journalctl exited as its journal was rotated or journald restarted, a container's log stream closed) are
   * routine: the daemon starts the source again at once and reports "connected" only when lines flow again, so a
   * restarted source that is simply silent would look like a link still away. A restarted follower that really
   * receives nothing is caught by the quiet time instead.
   */
  function linkDown(e: Entry): string | undefined {
    if (e.failedSinceTick || e.link === "failed") return `link failed: ${e.linkDetail || "gave up reconnecting"}`;
    return undefined;
  }

  function quietFor(e: Entry, now: number): string {
    return `no lines for ${formatDuration(Math.max(0, now - e.quietFrom))} (quiet after ${formatDuration(e.quietMs ?? 0)})`;
  }

  /** At most one record per source per tick: recovery first, then getting worse, then a repeat of the current state. */
  function step(e: Entry, now: number): LogRecord | undefined {
    const was = e.condition;
    const lasted = formatDuration(Math.max(0, now - e.conditionSince));
    if (was !== "up" && e.linesSinceCondition) {
      enter(e, "up", "", now);
      return record(e, now, "flowing", "info", `firewatch source ${e.source} is flowing again after ${lasted} ${was}`, `lines arrived after ${lasted} ${was}`);
    }
    if (was === "down" && e.link === "connected" && !e.failedSinceTick) {
      // The link is back: quiet is timed afresh from here, so a long outage is not reported quiet the next second.
      e.quietFrom = Math.max(e.quietFrom, now);
      enter(e, "up", "", now);
      return record(e, now, "connected", "info", `firewatch source ${e.source} is connected again after ${lasted} down`, `link connected after ${lasted} down`);
    }
    const down = was === "down" ? undefined : linkDown(e);
    e.failedSinceTick = false;
    if (down !== undefined) {
      enter(e, "down", down, now);
      return record(e, now, "down", "error", `firewatch source ${e.source} is down: ${down}`, down);
    }
    if (was === "up" && e.quietMs !== undefined && now - e.quietFrom >= e.quietMs) {
      const reason = quietFor(e, now);
      enter(e, "quiet", reason, now);
      return record(e, now, "quiet", "warn", `firewatch source ${e.source} is quiet: ${reason}`, reason);
    }
    if (was !== "up" && now - e.reportedAt >= remindMs) {
      e.reportedAt = now;
      e.reason = was === "quiet" ? quietFor(e, now) : (linkDown(e) ?? e.reason);
      const state = was === "quiet" ? "quiet" : "down";
      return record(e, now, state, was === "quiet" ? "warn" : "error", `firewatch source ${e.source} is ${state}: ${e.reason}`, e.reason);
    }
    return undefined;
  }

  return {
    seen(source, host, now) {
      const e = entries.get(source) ?? entry(source, host, now);
      if (e.lastLineAt === undefined || now > e.lastLineAt) e.lastLineAt = now;
      if (now > e.quietFrom) e.quietFrom = now;
      if (e.condition !== "up") e.linesSinceCondition = true;
    },
    state(source, host, state, detail, now) {
      const e = entry(source, host, now);
      if (state !== e.link) {
        e.link = state;
        e.linkSince = now;
      }
      e.linkDetail = oneLine(detail);
      if (state === "failed") e.failedSinceTick = true;
    },
    lost(source, host, detail, now) {
      const e = entry(source, host, now);
      if (e.lostDetail === undefined) e.lostDetail = oneLine(detail);
      else e.lostMore += 1;
    },
    tick(now) {
      const out: LogRecord[] = [];
      for (const e of entries.values()) {
        const r = step(e, now);
        if (r !== undefined) out.push(r);
        // A loss is a fact, not a condition: one record per tick says it (it neither opens nor clears "down").
        if (e.lostDetail !== undefined) {
          const more = e.lostMore > 0 ? ` (and ${e.lostMore} more loss${e.lostMore === 1 ? "" : "es"})` : "";
          out.push(record(e, now, "lost", "error", `firewatch source ${e.source} lost data: ${e.lostDetail}${more}`, e.lostDetail));
          e.lostDetail = undefined;
          e.lostMore = 0;
        }
      }
      return out;
    },
    forget(source) {
      entries.delete(source);
    },
    snapshot() {
      const snap: Record<string, SourceHealthEntry> = Object.create(null);
      for (const e of entries.values()) {
        snap[e.source] = { state: e.condition, since: e.conditionSince, lastLineAt: e.lastLineAt, link: e.link, linkSince: e.linkSince, host: e.host, reason: e.reason };
      }
      return snap;
    },
  };
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > MAX_DETAIL_CHARS ? `${flat.slice(0, MAX_DETAIL_CHARS - 1)}…` : flat;
}

/**
 * The sources' part of /healthz: failing while any source is down (the daemon cannot see what it should watch);
 * a quiet source is an incident about the watched host, not a fault of the daemon, so it is listed but passes.
 */
export function sourceHealthState(snapshot: Readonly<Record<string, SourceHealthEntry>>, now: number): HealthState {
  const sources: Record<string, unknown> = {};
  const down: string[] = [];
  for (const [name, s] of Object.entries(snapshot)) {
    if (s.state === "down") down.push(name);
    sources[name] = {
      state: s.state,
      link: s.link,
      linkSinceSeconds: Math.round((now - s.linkSince) / 1000),
      sinceSeconds: Math.round((now - s.since) / 1000),
      lastLineAgoSeconds: s.lastLineAt === undefined ? null : Math.round((now - s.lastLineAt) / 1000),
      ...(s.reason ? { reason: s.reason } : {}),
    };
  }
  return { ok: down.length === 0, detail: down.length === 0 ? { sources } : { failing: down.map((n) => `source ${n}`), sources } };
}
