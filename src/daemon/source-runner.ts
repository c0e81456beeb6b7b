// Turns each configured source into a lane of items (a record and the position after it), resuming from the stored cursor.
//
// Positions: every record carries the position right after it (a file's offset past its lines, a journal's
// __CURSOR, a container log stamp, an event's timeNano), so a commit after any record names exactly what the
// engine has seen. A file lane also hands out FileFollower.checkpoint() after each poll (a cursor-only item): it
// moves past lines that make no record yet and across rotations, which a record's cursor cannot.
// Failures: the source is started again from the last position it handed out, with backoff, and its link state is
// reported: retrying (a routine restart); failed after `retries` attempts in a row without a line, or at once for a
// fault waiting does not explain (a refused login or key, a missing socket, a refused connection, permission denied,
// a journalctl that exits or stalls); connected again at the next line, or, after a fault, once the source says so.
// Loss: data a source proves gone before it was read (a rotated file deleted or truncated with unread bytes, a journal
// vacuumed past the cursor) is logged as an error and handed to onLost (metrics, a source-health incident).
import { performance } from "node:perf_hooks";
import Dockerode from "dockerode";
import type { Logger } from "pino";
import { sourceName, type SourceEntry } from "../config/index.js";
import { backoffDelay, isHostError, SshHost, type Host } from "../hosts/index.js";
import type { LogRecord } from "../parsers/index.js";
import {
  createJournaldStats, decodeDockerCursor, dockerEventsCursorAt, dockerOverSsh, localDockerClient, FileFollower, followContainers, followDockerEvents, followJournal,
  hostFileAccess, localFileAccess, type FileAccess,
} from "../sources/index.js";
import type { Clock } from "../time.js";
import type { MatchGate } from "../rules/index.js";
import { decodeSourceCursor } from "./cursors.js";
import { bullmqItems } from "./jobs-lane.js";
import { mergeFair, type Lane } from "./merge.js";

export interface SourceItem {
  readonly source: string;
  /** The configured host the source reads on ("local" or a key of `hosts`). */
  readonly host: string;
  /** Undefined for a position-only item (a file's checkpoint after a poll). */
  readonly record: LogRecord | undefined;
  /** Which part of the source the cursor is for: a file path, a container id, "events"; "" for a journal. */
  readonly part: string;
  /** The part's position after this item. */
  readonly cursor: string | undefined;
  /** Lines read before this item that became no record: no rule could match them (a file lane's skimming). */
  readonly skipped?: number;
}

export type LinkState = "connected" | "retrying" | "failed" | "ended";

export interface SourceLoss {
  readonly unit: "bytes" | "entries";
  readonly amount: number | undefined;
  /** What was lost and where, one sentence. */
  readonly detail: string;
}

export interface SourceLag {
  /** Bytes not read yet (files). */
  readonly bytes?: number;
  /** Seconds since the reader was last at the end of what there was (0 while caught up). */
  readonly seconds: number;
}

/** What a lane's generator may tell its runner besides its items. */
interface LaneEvents {
  /** The host is away for now (the source waits for it by itself). */
  hostTrouble(detail: string): void;
  /** A fault waiting does not explain: reported failed at once, until healed(). */
  fault(detail: string): void;
  healed(): void;
  lost(loss: SourceLoss): void;
  lag(lag: SourceLag): void;
}

/** Told when a source's link changes; the daemon forwards it to source health and the metrics. */
export type LinkObserver = (source: string, host: string, state: LinkState, detail: string) => void;

export interface SourceRunnerDeps {
  /** The opened host of that name. */
  host(name: string): Host;
  readonly clock: Clock;
  readonly log: Logger;
  readonly onLink: LinkObserver;
  /** Lines a source skipped (a journal entry that is not JSON). */
  readonly onDropped?: (source: string, n: number, reason: string) => void;
  /** Data provably gone before it was read: bytes of a file, entries of a journal (amount undefined: not known). */
  readonly onLost?: (source: string, host: string, loss: SourceLoss) => void;
  /** How far the reader is behind the end of what the source holds (about once a second per source). */
  readonly onLag?: (source: string, lag: SourceLag) => void;
  /** Where the Docker API is for a source; default: the socket locally, `docker system dial-stdio` over SSH. */
  readonly docker?: (entry: Extract<SourceEntry, { kind: "docker" }>, host: Host) => Dockerode;
  readonly random?: () => number;
  /** Read what is there and end (a catch-up run): journald without --follow, a file until a poll finds nothing new. Docker sources follow regardless. */
  readonly untilCaughtUp?: boolean;
  /** Epoch ms the first run reads Docker events from when no cursor is stored; default when this process started. */
  readonly startedAtMs?: number;
  /**
   * Whether the rules could match a line (rules' createMatchGate): file lanes build records only for those lines and
   * the lines of multi-line events, and count the rest in a position item's `skipped`. Absent: every line is a record.
   */
  readonly wanted?: MatchGate;
}

/** The docker events the library's rules read: exits with their code, OOM kills, restarts, health checks. */
const DOCKER_EVENTS = ["die", "oom", "start", "restart", "kill", "health_status"];

/** Items are handed over in batches (a file poll's lines, at most BATCH): one async step per batch, not per line. */
export type SourceBatch = readonly SourceItem[];
const BATCH = 512;

/** A lane per configured source, each resuming from its stored cursor and retrying on failure until `signal`. */
export function sourceLane(entry: SourceEntry, stored: string | undefined, deps: SourceRunnerDeps, signal: AbortSignal): Lane<SourceBatch> {
  const name = sourceName(entry);
  return { name, items: withRetries(entry, name, decodeSourceCursor(stored), deps, signal) };
}

/** Errors that retrying at once does not fix: a fault of the source's setup, reported at once. */
function faultOf(e: unknown): string | undefined {
  if (isHostError(e)) return e.reason === "unreachable" || e.reason === "link_lost" ? undefined : e.reason;
  const code = typeof e === "object" && e !== null && "code" in e && typeof e.code === "string" ? e.code : undefined;
  if (code === "ENOENT" || code === "ECONNREFUSED" || code === "EACCES" || code === "EPERM" || code === "input_invalid") return code;
  return undefined;
}

/** A login or a key refused waits longer between attempts: nothing changes that until someone acts. */
const PERMANENT = new Set(["auth_failed", "host_key_unknown", "host_key_changed", "permission_denied", "command_not_found"]);

async function* withRetries(entry: SourceEntry, name: string, parts: Map<string, string>, deps: SourceRunnerDeps, signal: AbortSignal): AsyncGenerator<SourceBatch> {
  const log = deps.log.child({ component: "source", source: name, host: entry.host });
  let failures = 0;
  let down = false;
  let faulted: string | undefined;
  let logged: string | undefined;
  const link = (state: LinkState, detail: string) => {
    down = state !== "connected";
    if (state === "connected") logged = undefined;
    deps.onLink(name, entry.host, state, detail);
  };
  const events: LaneEvents = {
    // A host error inside a source that waits it out by itself (journald over a lost link) is reported from here.
    hostTrouble(detail) {
      failures += 1;
      link(failures > entry.retries ? "failed" : "retrying", detail);
    },
    fault(detail) {
      // Said once per distinct fault, not at every retry of the same one.
      if (logged !== detail) log.error({ errorType: "source_fault" }, `The source failed: ${detail}.`);
      logged = detail;
      faulted = detail;
      link("failed", detail);
    },
    healed() {
      if (faulted === undefined) return;
      log.info({ errorType: "source_fault" }, "The source works again.");
      faulted = undefined;
      logged = undefined;
      link("connected", "works again");
    },
    lost(loss) {
      log.error({ errorType: "source_lost", unit: loss.unit, amount: loss.amount }, `Data was lost before it was read: ${loss.detail}.`);
      deps.onLost?.(name, entry.host, loss);
    },
    lag: (lag) => deps.onLag?.(name, lag),
  };
  link("connected", "started");
  while (!signal.aborted) {
    let permanent = false;
    try {
      for await (const batch of items(entry, name, parts, deps, signal, events)) {
        if (batch.length === 0) continue;
        if (down && faulted === undefined) link("connected", "lines flow again");
        failures = 0;
        for (const item of batch) if (item.cursor !== undefined) parts.set(item.part, item.cursor);
        yield batch;
      }
      if (signal.aborted || (deps.untilCaughtUp === true && entry.kind !== "docker")) return;
      link("ended", "the source ended; starting it again");
    } catch (e) {
      if (signal.aborted) return;
      failures += 1;
      const detail = e instanceof Error ? e.message.split("\n")[0] ?? "error" : String(e);
      const fault = faultOf(e);
      permanent = fault !== undefined && PERMANENT.has(fault);
      if (fault !== undefined) {
        events.fault(detail);
        faulted = undefined; // a source that throws is started afresh: its next lines say it works again
      } else {
        log.warn({ errorType: isHostError(e) ? e.reason : "source_failed", attempt: failures }, `The source failed and is started again from its last position: ${detail}.`);
        link(failures > entry.retries ? "failed" : "retrying", detail);
      }
    }
    try {
      await deps.clock.sleep(backoffDelay(permanent ? Math.max(failures, 7) : failures, { baseMs: 500, maxMs: permanent ? 120_000 : 30_000 }, deps.random ?? Math.random), signal);
    } catch {
      return;
    }
  }
}

function items(entry: SourceEntry, name: string, parts: ReadonlyMap<string, string>, deps: SourceRunnerDeps, signal: AbortSignal, events: LaneEvents): AsyncIterable<SourceBatch> {
  const host = deps.host(entry.host);
  // Records of the machine itself carry no host (as in `analyze`); a remote one's carry its configured name.
  const recordHost = entry.host === "local" ? undefined : entry.host;
  switch (entry.kind) {
    case "file":
      return fileItems(entry, name, host instanceof SshHost ? hostFileAccess(host) : localFileAccess(), recordHost, parts, deps, signal, events);
    case "journald":
      return journalItems(entry, name, host, parts, deps, signal, events);
    case "docker":
      return dockerItems(entry, name, (deps.docker ?? defaultDocker)(entry, host), recordHost, parts, deps, signal);
    case "bullmq":
      return withSource(bullmqItems(entry, host, recordHost, parts, deps, signal), name, entry.host);
  }
}

async function* withSource(items: AsyncIterable<readonly Omit<SourceItem, "source" | "host">[]>, source: string, host: string): AsyncGenerator<SourceBatch> {
  for await (const batch of items) yield batch.map((i) => ({ source, host, ...i }));
}

function defaultDocker(entry: Extract<SourceEntry, { kind: "docker" }>, host: Host): Dockerode {
  // A TCP daemon is reached directly, whatever host the source names; otherwise the host's own socket.
  if (entry.daemon === undefined && host instanceof SshHost) return dockerOverSsh(host);
  return localDockerClient(entry);
}

async function* fileItems(
  entry: Extract<SourceEntry, { kind: "file" }>, name: string, access: FileAccess, recordHost: string | undefined,
  parts: ReadonlyMap<string, string>, deps: SourceRunnerDeps, signal: AbortSignal, events: LaneEvents,
): AsyncGenerator<SourceBatch> {
  const clock = deps.clock;
  const catchUp = deps.untilCaughtUp === true;
  const lanes = entry.paths.map((path) => {
    const cursor = parts.get(path);
    const follower = new FileFollower(
      {
        access, path, startAt: entry.startAt, ...(cursor === undefined ? {} : { cursor }), ...(entry.maxLineBytes === undefined ? {} : { maxLineBytes: entry.maxLineBytes }),
        ...(recordHost === undefined ? {} : { host: recordHost }),
        // A catch-up run ends at the end of what is there: no writer to wait for, and a last line without "\n" counts.
        rotateWaitMs: catchUp ? 0 : entry.rotateWait, partialLastLine: catchUp ? "take" : "wait",
        ...(deps.wanted === undefined ? {} : { wanted: deps.wanted }),
        ...(deps.wanted?.bytes === undefined ? {} : { wantedBytes: deps.wanted.bytes, ...(deps.wanted.literals === undefined ? {} : { wantedLiterals: deps.wanted.literals }) }),
      },
      clock,
    );
    return { path, follower, lastData: clock.now(), flushed: true, checkpoint: cursor, missing: false, skipped: 0 };
  });
  const item = (path: string, record: LogRecord | undefined, cursor: string | undefined): SourceItem => ({ source: name, host: entry.host, record, part: path, cursor });
  let batch: SourceItem[] = [];
  let lagAt = -Infinity;
  while (!signal.aborted) {
    let moved = false;
    let settled = true;
    for (const l of lanes) {
      const before = l.follower.stats.bytes;
      let records: LogRecord[];
      try {
        records = await l.follower.poll();
      } catch (e) {
        // The follower keeps its position while the host is away; the next poll goes on from there.
        if (!isHostError(e) || (e.reason !== "unreachable" && e.reason !== "link_lost")) throw e;
        events.hostTrouble(e.message.split("\n")[0] ?? e.reason);
        continue;
      }
      if (l.follower.exists === false && !l.missing) {
        deps.log.warn({ source: name, host: entry.host, path: l.path, errorType: "path_missing" }, "The file does not exist; it is read once it appears.");
      }
      l.missing = l.follower.exists === false;
      for (const loss of l.follower.takeLosses()) {
        const what = loss.reason === "deleted" ? "were deleted" : "were truncated away";
        events.lost({ unit: "bytes", amount: loss.bytes, detail: `${loss.bytes} bytes of ${l.path} (${loss.file}, inode ${loss.ino}) ${what} before they were read` });
      }
      for (const r of records) {
        batch.push(item(l.path, r, r.cursor));
        if (batch.length >= BATCH) {
          yield batch;
          batch = [];
        }
      }
      if (l.follower.stats.bytes !== before) {
        l.lastData = clock.now();
        l.flushed = false;
        moved = true;
      } else if (!l.flushed && (catchUp || clock.now() - l.lastData >= entry.flushAfter)) {
        for (const r of l.follower.flush()) batch.push(item(l.path, r, r.cursor));
        l.flushed = true;
      }
      if (!l.follower.settled) settled = false;
      // Taken now, after this poll's records were handed out and before the next poll reads on. It moves past the
      // skipped lines too, and carries their count (they were read: the pipeline counts them).
      const cp = l.follower.checkpoint();
      const skipped = l.follower.stats.skipped - l.skipped;
      if ((cp !== undefined && cp !== l.checkpoint) || skipped > 0) {
        l.checkpoint = cp ?? l.checkpoint;
        l.skipped += skipped;
        batch.push({ ...item(l.path, undefined, cp), ...(skipped > 0 ? { skipped } : {}) });
      }
      if (batch.length > 0) {
        yield batch;
        batch = [];
      }
    }
    const now = clock.now();
    if (now - lagAt >= 1000) {
      lagAt = now;
      let bytes = 0;
      let since = now;
      for (const l of lanes) {
        const lag = l.follower.lag();
        bytes += lag.bytes;
        if (lag.bytes > 0) since = Math.min(since, lag.caughtUpAt);
      }
      events.lag({ bytes, seconds: (now - since) / 1000 });
    }
    if (catchUp && !moved && settled) return;
    // A poll reads about 1 MiB per file: while a file has more (a backlog, a flood), read on without waiting.
    if (moved) continue;
    try {
      await clock.sleep(entry.poll, signal);
    } catch {
      return;
    }
  }
}

async function* journalItems(
  entry: Extract<SourceEntry, { kind: "journald" }>, name: string, host: Host,
  parts: ReadonlyMap<string, string>, deps: SourceRunnerDeps, signal: AbortSignal, events: LaneEvents,
): AsyncGenerator<SourceBatch> {
  const stats = createJournaldStats();
  const cursor = parts.get("");
  // followJournal waits out a lost link by itself; watch its counters to say so while it does, and report the lag:
  // how old the newest entry was when it arrived, 0 once nothing more came for a second (journalctl is at the end).
  let seenErrors = 0;
  let seenBad = 0;
  let lagSeconds = 0;
  let arrived = false;
  const timer = setInterval(() => {
    if (stats.hostErrors > seenErrors) {
      seenErrors = stats.hostErrors;
      events.hostTrouble(`${host.name} unreachable; journalctl is started again when it is back`);
    }
    if (stats.frame.issues.bad_json > seenBad) {
      deps.onDropped?.(name, stats.frame.issues.bad_json - seenBad, "bad_json");
      seenBad = stats.frame.issues.bad_json;
    }
    events.lag({ seconds: arrived ? lagSeconds : 0 });
    arrived = false;
  }, 1000);
  // Never what keeps a stopping daemon alive, even if the journal's reader is stuck on a dead link.
  timer.unref();
  try {
    const { kind: _kind, name: _name, host: _host, quiet: _quiet, retries: _retries, stallCheck, ...filters } = entry;
    const journal = followJournal({
      ...filters, host, stats, signal, clock: deps.clock, follow: deps.untilCaughtUp !== true, stallCheckMs: stallCheck,
      ...(cursor === undefined ? {} : { cursor }),
      onFault: (detail) => events.fault(detail),
      onHealed: () => events.healed(),
      onLost: (entries, detail) => events.lost({ unit: "entries", amount: entries, detail }),
    });
    for await (const r of journal) {
      if (r.time !== undefined) lagSeconds = Math.max(0, (deps.clock.now() - r.time) / 1000);
      arrived = true;
      yield [{ source: name, host: entry.host, record: r, part: "", cursor: r.cursor }];
    }
  } finally {
    clearInterval(timer);
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

async function* dockerItems(
  entry: Extract<SourceEntry, { kind: "docker" }>, name: string, docker: Dockerode, recordHost: string | undefined,
  parts: ReadonlyMap<string, string>, deps: SourceRunnerDeps, signal: AbortSignal,
): AsyncGenerator<SourceBatch> {
  // followContainers selects by name: a container given by id is followed under its name (looked up once here).
  const names = await Promise.all(
    entry.containers.map(async (c) => (/^[0-9a-f]{12,64}$/.test(c) ? await docker.getContainer(c).inspect().then((i) => i.Name.replace(/^\//, ""), () => c) : c)),
  );
  const pattern = entry.namePattern !== undefined ? new RegExp(entry.namePattern) : names.length > 0 ? new RegExp(`^(?:${names.map(escapeRegExp).join("|")})$`) : undefined;
  const cursors = new Map([...parts].filter(([k]) => k !== "events"));
  // Both lanes stop when this run ends (one failed: the daemon went away), not only when the daemon stops.
  const run = new AbortController();
  const onAbort = () => run.abort();
  signal.addEventListener("abort", onAbort, { once: true });
  const common = { docker, signal: run.signal, clock: deps.clock };
  const lanes: Lane<LogRecord>[] = [{ name: "logs", items: followContainers({ ...common, select: { labels: entry.labels, ...(pattern === undefined ? {} : { namePattern: pattern }) }, cursors }) }];
  if (entry.events) {
    // Without a stored cursor, from when this process started: dockerd replays its recent events, so a container
    // that died while the daemon was still connecting is not missed (logs are read from their start already).
    const cursor = parts.get("events") ?? dockerEventsCursorAt(deps.startedAtMs ?? performance.timeOrigin);
    lanes.push({ name: "events", items: followDockerEvents({ ...common, filters: { type: ["container"], event: DOCKER_EVENTS }, cursor }) });
  }
  // Events come for every container; keep those of the selected ones (an event's attributes carry name and labels).
  const selected = (f: Readonly<Record<string, string>>) =>
    (pattern === undefined || pattern.test(f.name ?? "")) &&
    entry.labels.every((l) => {
      const eq = l.indexOf("=");
      return eq === -1 ? l in f : f[l.slice(0, eq)] === l.slice(eq + 1);
    });
  try {
    for await (const r of mergeFair(lanes, { capacity: 100, signal: run.signal, stopGraceMs: 1000 })) {
      const isEvent = r.cursor?.startsWith("dockerev1:") === true;
      const part = isEvent ? "events" : r.cursor === undefined ? "" : (decodeDockerCursor(r.cursor)?.container ?? "");
      const keep = !isEvent || selected(r.fields);
      const record = !keep ? undefined : recordHost === undefined ? r : { ...r, host: recordHost };
      yield [{ source: name, host: entry.host, record, part, cursor: r.cursor }];
    }
  } finally {
    signal.removeEventListener("abort", onAbort);
    run.abort();
  }
}
