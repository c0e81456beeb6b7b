// Turns each configured source into a lane of items (a record and the position after it), resuming from the stored cursor.
//
// Positions: every record carries the position right after it (a file's offset past its lines, a journal's
// __CURSOR, a container log stamp, an event's timeNano), so a commit after any record names exactly what the
// engine has seen. A file lane also hands out FileFollower.checkpoint() after each poll (a cursor-only item): it
// moves past lines that make no record yet and across rotations, which a record's cursor cannot.
// Failures: the source is started again from the last position it handed out, with backoff, and its link state is
// reported (retrying; failed after `retries` attempts in a row without a line; connected again at the next line).
import Dockerode from "dockerode";
import type { Logger } from "pino";
import { sourceName, type SourceEntry } from "../config/index.js";
import { backoffDelay, isHostError, SshHost, type Host } from "../hosts/index.js";
import type { LogRecord } from "../parsers/index.js";
import {
  createJournaldStats, decodeDockerCursor, dockerOverSsh, localDockerClient, FileFollower, followContainers, followDockerEvents, followJournal,
  hostFileAccess, localFileAccess, type FileAccess,
} from "../sources/index.js";
import type { Clock } from "../time.js";
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
}

export type LinkState = "connected" | "retrying" | "failed" | "ended";

/** Told when a source's link changes; the daemon forwards it to source health and the metrics. */
export type LinkObserver = (source: string, host: string, state: LinkState, detail: string) => void;

export interface SourceRunnerDeps {
  /** The opened host of that name. */
  host(name: string): Host;
  readonly clock: Clock;
  readonly log: Logger;
  readonly onLink: LinkObserver;
  /** Lines a source lost for good (a rotated file deleted before it was read to its end). */
  readonly onDropped?: (source: string, n: number, reason: string) => void;
  /** Where the Docker API is for a source; default: the socket locally, `docker system dial-stdio` over SSH. */
  readonly docker?: (entry: Extract<SourceEntry, { kind: "docker" }>, host: Host) => Dockerode;
  readonly random?: () => number;
  /** Read what is there and end (a catch-up run): journald without --follow, a file until a poll finds nothing new. Docker sources follow regardless. */
  readonly untilCaughtUp?: boolean;
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

async function* withRetries(entry: SourceEntry, name: string, parts: Map<string, string>, deps: SourceRunnerDeps, signal: AbortSignal): AsyncGenerator<SourceBatch> {
  const log = deps.log.child({ component: "source", source: name, host: entry.host });
  let failures = 0;
  let down = false;
  const link = (state: LinkState, detail: string) => {
    down = state !== "connected";
    deps.onLink(name, entry.host, state, detail);
  };
  // A host error inside a source that waits it out by itself (journald over a lost link) is reported from here.
  const hostTrouble = (detail: string) => {
    failures += 1;
    link(failures > entry.retries ? "failed" : "retrying", detail);
  };
  link("connected", "started");
  while (!signal.aborted) {
    try {
      for await (const batch of items(entry, name, parts, deps, signal, hostTrouble)) {
        if (batch.length === 0) continue;
        if (down) link("connected", "lines flow again");
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
      log.warn({ errorType: isHostError(e) ? e.reason : "source_failed", attempt: failures }, `The source failed and is started again from its last position: ${detail}.`);
      link(failures > entry.retries ? "failed" : "retrying", detail);
    }
    try {
      await deps.clock.sleep(backoffDelay(failures, { baseMs: 500, maxMs: 30_000 }, deps.random ?? Math.random), signal);
    } catch {
      return;
    }
  }
}

function items(entry: SourceEntry, name: string, parts: ReadonlyMap<string, string>, deps: SourceRunnerDeps, signal: AbortSignal, hostTrouble: (detail: string) => void): AsyncIterable<SourceBatch> {
  const host = deps.host(entry.host);
  // Records of the machine itself carry no host (as in `analyze`); a remote one's carry its configured name.
  const recordHost = entry.host === "local" ? undefined : entry.host;
  switch (entry.kind) {
    case "file":
      return fileItems(entry, name, host instanceof SshHost ? hostFileAccess(host) : localFileAccess(), recordHost, parts, deps, signal, hostTrouble);
    case "journald":
      return journalItems(entry, name, host, parts, deps, signal, hostTrouble);
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
  parts: ReadonlyMap<string, string>, deps: SourceRunnerDeps, signal: AbortSignal, hostTrouble: (detail: string) => void,
): AsyncGenerator<SourceBatch> {
  const clock = deps.clock;
  const lanes = entry.paths.map((path) => {
    const cursor = parts.get(path);
    const follower = new FileFollower(
      { access, path, startAt: entry.startAt, ...(cursor === undefined ? {} : { cursor }), ...(entry.maxLineBytes === undefined ? {} : { maxLineBytes: entry.maxLineBytes }), ...(recordHost === undefined ? {} : { host: recordHost }) },
      clock,
    );
    return { path, follower, lastData: clock.now(), flushed: true, checkpoint: cursor, lost: 0 };
  });
  const item = (path: string, record: LogRecord | undefined, cursor: string | undefined): SourceItem => ({ source: name, host: entry.host, record, part: path, cursor });
  let batch: SourceItem[] = [];
  while (!signal.aborted) {
    let moved = false;
    for (const l of lanes) {
      const before = l.follower.stats.bytes;
      let records: LogRecord[];
      try {
        records = await l.follower.poll();
      } catch (e) {
        // The follower keeps its position while the host is away; the next poll goes on from there.
        if (!isHostError(e) || (e.reason !== "unreachable" && e.reason !== "link_lost")) throw e;
        hostTrouble(e.message.split("\n")[0] ?? e.reason);
        continue;
      }
      if (l.follower.stats.lostGenerations > l.lost) {
        // The unread rest of a rotated generation is gone: data lost, a human should know (its size is unknown).
        deps.onDropped?.(name, l.follower.stats.lostGenerations - l.lost, "lost_generation");
        deps.log.error({ source: name, path: l.path, errorType: "lost_generation" }, "A rotated log file went away before it was read to its end; its unread lines are lost.");
        l.lost = l.follower.stats.lostGenerations;
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
      } else if (!l.flushed && (deps.untilCaughtUp === true || clock.now() - l.lastData >= entry.flushAfter)) {
        for (const r of l.follower.flush()) batch.push(item(l.path, r, r.cursor));
        l.flushed = true;
      }
      // Taken now, after this poll's records were handed out and before the next poll reads on.
      const cp = l.follower.checkpoint();
      if (cp !== undefined && cp !== l.checkpoint) {
        l.checkpoint = cp;
        batch.push(item(l.path, undefined, cp));
      }
      if (batch.length > 0) {
        yield batch;
        batch = [];
      }
    }
    if (deps.untilCaughtUp === true && !moved) return;
    // A poll reads at most 1 MiB per file: while a file has more (a backlog, a flood), read on without waiting.
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
  parts: ReadonlyMap<string, string>, deps: SourceRunnerDeps, signal: AbortSignal, hostTrouble: (detail: string) => void,
): AsyncGenerator<SourceBatch> {
  const stats = createJournaldStats();
  const cursor = parts.get("");
  // followJournal waits out a lost link by itself; watch its counters to say so while it does.
  let seenErrors = 0;
  const timer = setInterval(() => {
    if (stats.hostErrors > seenErrors) {
      seenErrors = stats.hostErrors;
      hostTrouble(`${host.name} unreachable; journalctl is started again when it is back`);
    }
  }, 1000);
  try {
    const { kind: _kind, name: _name, host: _host, quiet: _quiet, retries: _retries, ...filters } = entry;
    for await (const r of followJournal({ ...filters, host, stats, signal, clock: deps.clock, follow: deps.untilCaughtUp !== true, ...(cursor === undefined ? {} : { cursor }) })) {
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
  const common = { docker, signal, clock: deps.clock };
  const lanes: Lane<LogRecord>[] = [{ name: "logs", items: followContainers({ ...common, select: { labels: entry.labels, ...(pattern === undefined ? {} : { namePattern: pattern }) }, cursors }) }];
  if (entry.events) {
    const cursor = parts.get("events");
    lanes.push({ name: "events", items: followDockerEvents({ ...common, filters: { type: ["container"], event: DOCKER_EVENTS }, ...(cursor === undefined ? {} : { cursor }) }) });
  }
  // Events come for every container; keep those of the selected ones (an event's attributes carry name and labels).
  const selected = (f: Readonly<Record<string, string>>) =>
    (pattern === undefined || pattern.test(f.name ?? "")) &&
    entry.labels.every((l) => {
      const eq = l.indexOf("=");
      return eq === -1 ? l in f : f[l.slice(0, eq)] === l.slice(eq + 1);
    });
  for await (const r of mergeFair(lanes, { capacity: 100, signal })) {
    const isEvent = r.cursor?.startsWith("dockerev1:") === true;
    const part = isEvent ? "events" : r.cursor === undefined ? "" : (decodeDockerCursor(r.cursor)?.container ?? "");
    const keep = !isEvent || selected(r.fields);
    const record = !keep ? undefined : recordHost === undefined ? r : { ...r, host: recordHost };
    yield [{ source: name, host: entry.host, record, part, cursor: r.cursor }];
  }
}
