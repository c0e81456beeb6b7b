// Runs an incident's probes when it is created or reopened: off the hot path, a few at a time, a bounded backlog.
import type { Logger } from "pino";
import type { Host } from "../hosts/index.js";
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
}

export interface ProbeHook {
  /** Queues the probes of created and reopened incidents; returns at once. */
  offer(changes: readonly IncidentChange[]): void;
  /** Waits for the probes running and queued, at most `ms`. */
  drain(ms: number): Promise<void>;
}

export function createProbeHook(deps: ProbeHookDeps): ProbeHook {
  const concurrency = deps.concurrency ?? 2;
  const maxQueued = deps.maxQueued ?? 100;
  const queue: StoredIncident[] = [];
  const queued = new Set<string>();
  let running = 0;
  let idle: (() => void) | undefined;

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
      running += 1;
      void runOne(next).finally(() => {
        running -= 1;
        queued.delete(next.incident.fingerprint);
        pump();
        if (running === 0 && queue.length === 0) idle?.();
      });
    }
  };
  return {
    offer(changes) {
      for (const c of changes) {
        if (c.outcome !== "created" && c.outcome !== "reopened") continue;
        const fp = c.incident.incident.fingerprint;
        if (queued.has(fp)) continue;
        if (queue.length >= maxQueued) {
          deps.log.warn({ errorType: "probe_backlog", incidentId: c.incident.incident.id }, "Skipped an incident's probes: too many incidents are waiting for theirs.");
          continue;
        }
        queued.add(fp);
        queue.push(c.incident);
      }
      pump();
    },
    async drain(ms) {
      if (running === 0 && queue.length === 0) return;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([new Promise<void>((r) => (idle = r)), new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
      clearTimeout(timer);
    },
  };
}
