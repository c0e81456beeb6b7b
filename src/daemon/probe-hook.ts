// Runs an incident's probes off the hot path, a few at a time, a bounded backlog: when it is created or reopened, when
// a member joins or a finding changes in a way that matters (a container, a port, a unit, a PID), and, for a live
// incident that keeps changing (a crash loop), again after a while so what it shows (container_state) is not stale.
// Probes answer about now (issue 18): an incident whose newest line is a day old is not probed, and while a source
// reads a backlog the incidents it makes wait until every source has caught up, then only those still live are.
import type { Logger } from "pino";
import type { Host } from "../hosts/index.js";
import type { Incident } from "../incidents/index.js";
import { runIncidentProbes, type StoredProbe } from "../probes/index.js";
import type { Rule } from "../rules/index.js";
import type { StoredIncident } from "../store/index.js";
import type { Clock } from "../time.js";
import type { IncidentChange } from "./pipeline.js";

export interface ProbeHookDeps {
  readonly rules: ReadonlyMap<string, Rule>;
  host(name: string): Host | undefined;
  /** `docker -H` for a host's container probes: its docker source's socket (undefined: the docker CLI's default there). */
  dockerHost?(host: string): string | undefined;
  readonly clock: Clock;
  readonly log: Logger;
  /** probes.network.allow (undefined: each host's loopback). */
  readonly allowNet?: readonly string[];
  /** Keeps the results with the incident (store.setProbes). */
  save(stored: StoredIncident, probes: readonly StoredProbe[]): Promise<void>;
  /** Incidents probed at once; default 2. */
  readonly concurrency?: number;
  /** Incidents waiting at most; beyond, new ones are skipped and logged (a flood of new incidents is no reason to queue probes for ever). Default 100. */
  readonly maxQueued?: number;
  /** Least time between two probe runs of one incident; a change inside it is probed when it is over. Default 10 s. */
  readonly minIntervalMs?: number;
  /** A live incident that changed is probed again once its last run is this old (a crash loop's state). Default 60 s. */
  readonly refreshMs?: number;
  /** An incident whose newest line is older than this is not probed: a replayed old log, not a live failure. Default 24 h. */
  readonly staleMs?: number;
  /** True while a source reads a backlog (backlog.ts): incidents wait, and are considered at `caughtUp()`. Default: never. */
  catchingUp?(): boolean;
}

export interface ProbeHook {
  /** Queues the probes of created, reopened and meaningfully changed incidents; returns at once. */
  offer(changes: readonly IncidentChange[]): void;
  /** Waits for the probes running and queued, at most `ms`. */
  drain(ms: number): Promise<void>;
  /** Every source is at its end now: the incidents that waited are probed if they are still live and not stale. */
  caughtUp(): void;
  /** Cancels the delayed runs (the daemon stops). */
  close(): void;
}

/** More than a day: no host's time zone or clock is that far off, so such a line was written long ago. */
const STALE_MS = 24 * 3600_000;
/** Incidents waiting for the end of a backlog, at most (the newest kept; each is a snapshot). */
const MAX_DEFERRED = 1000;

/** What a finding shows that a probe answers about: its member (group), container, unit, port and PID. */
const MEANINGFUL = ["container", "unit", "port", "pid"] as const;

/** The members of an incident and what makes a probe's answer about them change; equal text, nothing new to ask. */
export function probeSignature(i: Incident): string {
  return i.findings
    .map((f) => [f.groupKey, ...MEANINGFUL.map((k) => f.fields[k] ?? "")].join("\u0001"))
    .sort()
    .join("\u0000");
}

interface Track {
  /** Signature of the incident at its last probe run (undefined: never probed). */
  signature: string | undefined;
  lastRun: number;
  /** The newest snapshot not yet probed, while it waits for the interval or for a run in flight. */
  waiting: StoredIncident | undefined;
  timer: AbortController | undefined;
  /** When the planned run is due (meaningful while `timer` is set). */
  timerDue: number;
}

export function createProbeHook(deps: ProbeHookDeps): ProbeHook {
  const concurrency = deps.concurrency ?? 2;
  const maxQueued = deps.maxQueued ?? 100;
  const minInterval = deps.minIntervalMs ?? 10_000;
  const refresh = deps.refreshMs ?? 60_000;
  const staleMs = deps.staleMs ?? STALE_MS;
  // The newest snapshot of each incident that changed while a source read a backlog, oldest change first.
  const deferred = new Map<string, StoredIncident>();
  let dropped = 0;
  const queue: StoredIncident[] = [];
  const queued = new Set<string>();
  const inFlight = new Set<string>();
  // Bounded by the live incidents: a resolved incident's track is dropped.
  const tracks = new Map<string, Track>();
  let running = 0;
  let idle: (() => void) | undefined;

  const track = (fp: string): Track => {
    let t = tracks.get(fp);
    if (t === undefined) tracks.set(fp, (t = { signature: undefined, lastRun: -Infinity, waiting: undefined, timer: undefined, timerDue: Infinity }));
    return t;
  };

  const runOne = async (stored: StoredIncident) => {
    try {
      const dockerHost = deps.dockerHost?.(stored.incident.host ?? "local");
      const probes = await runIncidentProbes(stored, deps.rules, { host: (n) => deps.host(n), clock: deps.clock, ...(dockerHost === undefined ? {} : { dockerHost }), ...(deps.allowNet === undefined ? {} : { allowNet: deps.allowNet }) });
      if (probes.length > 0) await deps.save(stored, probes);
    } catch (e) {
      deps.log.warn({ errorType: "probe_failed", incidentId: stored.incident.id, err: e }, "The incident's probes could not run or be stored; the report goes without them.");
    }
  };
  const pump = () => {
    while (running < concurrency && queue.length > 0) {
      const next = queue.shift();
      if (next === undefined) break;
      const fp = next.incident.fingerprint;
      queued.delete(fp);
      inFlight.add(fp);
      const t = track(fp);
      t.signature = probeSignature(next.incident);
      t.lastRun = deps.clock.now();
      running += 1;
      void runOne(next).finally(() => {
        running -= 1;
        inFlight.delete(fp);
        // A change that came while this run was in flight is asked about now (or when the interval is over).
        const w = t.waiting;
        t.waiting = undefined;
        if (w !== undefined) consider(w, false);
        pump();
        if (running === 0 && queue.length === 0) idle?.();
      });
    }
  };
  const enqueue = (stored: StoredIncident) => {
    const fp = stored.incident.fingerprint;
    if (queued.has(fp)) {
      // Already waiting: probe the newest snapshot when its turn comes.
      const at = queue.findIndex((q) => q.incident.fingerprint === fp);
      if (at >= 0) queue[at] = stored;
      return;
    }
    if (queue.length >= maxQueued) {
      deps.log.warn({ errorType: "probe_backlog", incidentId: stored.incident.id }, "Skipped an incident's probes: too many incidents are waiting for theirs.");
      return;
    }
    queued.add(fp);
    queue.push(stored);
  };
  /**
   * Probes now or later: a change that matters once the least interval since the last run is over; any other change
   * (a crash loop's counts) once the last run is `refresh` old, even if nothing changes after it (a container that
   * died right after its state was asked must not show "running" for ever).
   */
  const consider = (stored: StoredIncident, fresh: boolean) => {
    const fp = stored.incident.fingerprint;
    const t = track(fp);
    if (inFlight.has(fp)) {
      t.waiting = stored;
      return;
    }
    const changed = fresh || t.signature !== probeSignature(stored.incident);
    const due = t.lastRun + (changed ? minInterval : refresh);
    const wait = due - deps.clock.now();
    if (wait <= 0 || fresh) return enqueue(stored);
    t.waiting = stored;
    // A run already planned at or before this one takes the newest snapshot; a later one is brought forward.
    if (t.timer !== undefined && t.timerDue <= due) return;
    t.timer?.abort();
    const stop = new AbortController();
    t.timer = stop;
    t.timerDue = due;
    deps.clock.sleep(wait, stop.signal).then(
      () => {
        t.timer = undefined;
        const w = t.waiting;
        t.waiting = undefined;
        if (w !== undefined) enqueue(w);
        pump();
      },
      () => undefined,
    );
  };
  const stale = (stored: StoredIncident) => {
    const last = stored.incident.lastSeen;
    return last !== undefined && last < deps.clock.now() - staleMs;
  };
  return {
    offer(changes) {
      for (const c of changes) {
        const fp = c.incident.incident.fingerprint;
        if (c.outcome === "resolved" || c.incident.status === "resolved") {
          tracks.get(fp)?.timer?.abort();
          tracks.delete(fp);
          deferred.delete(fp);
          continue;
        }
        if (c.outcome === "suppressed") continue;
        if (stale(c.incident)) continue;
        if (deps.catchingUp?.() === true) {
          // Probed at caughtUp() if still live then; never probed before, it counts as new (its creation waited too).
          deferred.delete(fp);
          deferred.set(fp, c.incident);
          const oldest = deferred.size > MAX_DEFERRED ? deferred.keys().next().value : undefined;
          if (oldest !== undefined) {
            deferred.delete(oldest);
            if (dropped++ === 0) deps.log.warn({ errorType: "probe_backlog", waiting: MAX_DEFERRED }, "Dropping the waiting probes of the incidents that changed longest ago: too many wait for a backlog's end.");
          }
          continue;
        }
        consider(c.incident, c.outcome === "created" || c.outcome === "reopened");
      }
      pump();
    },
    caughtUp() {
      const waited = [...deferred.values()];
      deferred.clear();
      if (dropped > 0) deps.log.warn({ errorType: "probe_backlog", dropped }, "Incidents of the backlog went without probes: more changed than could wait.");
      dropped = 0;
      for (const stored of waited) if (!stale(stored)) consider(stored, false);
      pump();
    },
    async drain(ms) {
      if (running === 0 && queue.length === 0) return;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([new Promise<void>((r) => (idle = r)), new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
      clearTimeout(timer);
    },
    close() {
      for (const t of tracks.values()) t.timer?.abort();
    },
  };
}
