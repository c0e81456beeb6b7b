// The job queue side of the guard (failed-job counts and clean_failed_jobs) from firewatch.yaml's bullmq sources.
import type { Host } from "../hosts/index.js";
import type { LogRecord } from "../parsers/record.js";
import type { Rule, Signal } from "../rules/index.js";
import { QueueReader } from "../sources/bullmq.js";
import type { AuditEntry, AuditInput } from "../store/index.js";
import { hostFileProbe } from "./host-probe.js";
import { cleanQueueCategories } from "./queue-clean.js";
import { localFileProbe } from "./stale.js";

/** Where a host's queues are: a bullmq source of firewatch.yaml (or slack.jobs, which names no host). */
export interface QueuePlace {
  /** The host the jobs belong to; undefined: any host (slack.jobs). */
  readonly host: string | undefined;
  readonly redis: string;
  readonly password?: string | undefined;
  readonly prefix: string;
  /** Empty: every queue under the prefix. */
  readonly queues: readonly string[];
  readonly completedDir?: string | undefined;
}

export interface JobsSideDeps {
  readonly places: readonly QueuePlace[];
  /** Rules and their matcher (loaded once, on first use). */
  rules(): Promise<{ readonly rules: readonly Rule[]; readonly match: (record: LogRecord) => Signal[] }>;
  /** The host whose files the stale-job probe asks (undefined or "local": this machine). */
  host(name: string): Host | undefined;
  readonly appendAudit: (entry: AuditInput) => Promise<AuditEntry>;
  readonly actor: string;
}

export interface JobsSide {
  failedJobCount(host: string, queue: string): Promise<number>;
  cleanFailedJobs(host: string, queue: string): Promise<{ removed: number; detail: string }>;
  close(): Promise<void>;
}

/** The parts of firewatch.yaml that say where queues are (structural: the config floor sits above this one). */
export interface QueuePlacesConfig {
  readonly sources?: readonly {
    readonly kind: string;
    readonly host?: string | undefined;
    readonly redis?: string | undefined;
    readonly password?: string | undefined;
    readonly prefix?: string | undefined;
    readonly queues?: readonly string[] | undefined;
    readonly completedDir?: string | undefined;
  }[] | undefined;
  readonly slack?: { readonly jobs?: { readonly redis: string; readonly prefix: string; readonly queues: readonly string[]; readonly completedDir?: string | undefined } | undefined } | undefined;
}

/** Where the configured queues are, per host: the bullmq sources, then slack.jobs (for any host). */
export function queuePlaces(config: QueuePlacesConfig): QueuePlace[] {
  const places: QueuePlace[] = (config.sources ?? []).flatMap((s) =>
    s.kind === "bullmq" && s.redis !== undefined
      ? [{ host: s.host ?? "local", redis: s.redis, password: s.password, prefix: s.prefix ?? "bull", queues: s.queues ?? [], completedDir: s.completedDir }]
      : [],
  );
  const j = config.slack?.jobs;
  if (j) places.push({ host: undefined, redis: j.redis, prefix: j.prefix, queues: j.queues, completedDir: j.completedDir });
  return places;
}

/** A place names the queue on the host when its host matches (or it names none) and its queues include it (or are all). */
export function placeOf(places: readonly QueuePlace[], host: string, queue: string): QueuePlace | undefined {
  const fits = (p: QueuePlace) => p.queues.length === 0 || p.queues.includes(queue);
  return places.find((p) => p.host === host && fits(p)) ?? places.find((p) => p.host === undefined && fits(p));
}

/**
 * Only categories whose rule lists clean_failed_jobs in `actions:` are ever removed (seed 000's stale jobs, and what
 * the library marks so): a button click never removes MAX_RETRIES jobs that need a fix and a retry.
 * One reader per Redis, opened on first use.
 */
export function createJobsSide(deps: JobsSideDeps): JobsSide {
  const readers = new Map<string, Promise<QueueReader>>();
  const readerFor = (p: QueuePlace): { key: string; reader: Promise<QueueReader> } => {
    const key = JSON.stringify([p.redis, p.prefix, p.password ?? ""]);
    let r = readers.get(key);
    if (!r) {
      r = QueueReader.connect(p.redis, { prefix: p.prefix, ...(p.password === undefined ? {} : { password: p.password }) });
      readers.set(key, r);
      r.catch(() => readers.delete(key));
    }
    return { key, reader: r };
  };
  const lost = (e: unknown) => e instanceof Error && /Connection is closed|ECONNREFUSED|ECONNRESET|EPIPE/.test(e.message);
  /**
   * The reader never reconnects by itself (a broken link fails at once): on a lost connection it is dropped and the
   * call is made once more on a new one, so the first click after a Redis restart works. A clean is safe to run
   * again: every job is re-checked right before its removal.
   */
  const withReader = async <T>(host: string, queue: string, f: (reader: QueueReader, place: QueuePlace) => Promise<T>): Promise<T> => {
    const place = placeOf(deps.places, host, queue);
    if (!place) throw new Error(`no bullmq source of firewatch.yaml reads queue ${queue} for host ${host}`);
    for (let attempt = 1; ; attempt++) {
      const { key, reader } = readerFor(place);
      const r = await reader;
      try {
        return await f(r, place);
      } catch (e) {
        if (!lost(e)) throw e;
        readers.delete(key);
        await r.close();
        if (attempt >= 2) throw e;
      }
    }
  };
  return {
    failedJobCount: (host, queue) => withReader(host, queue, async (r) => (await r.counts(queue)).failed),
    cleanFailedJobs: (host, queue) =>
      withReader(host, queue, async (reader, place) => {
        const { rules, match } = await deps.rules();
        const cleanable = new Set(rules.filter((x) => x.actions.includes("clean_failed_jobs")).map((x) => x.id));
        const h = host === "local" ? undefined : deps.host(host);
        return cleanQueueCategories(
          { reader, rules, match, probe: h ? hostFileProbe(h) : localFileProbe(), appendAudit: deps.appendAudit, actor: deps.actor, ...(place.completedDir === undefined ? {} : { stale: { completedDir: place.completedDir } }) },
          queue,
          cleanable,
        );
      }),
    async close() {
      const all = [...readers.values()];
      readers.clear();
      await Promise.allSettled(all.map(async (r) => (await r).close()));
    },
  };
}
