// clean_failed_jobs for `firewatch act`: the queue's place (--jobs-redis, or firewatch.yaml's bullmq sources) and its clean.
import type { FirewatchConfig } from "../config/index.js";
import type { Host } from "../hosts/index.js";
import type { QueuePlace, QueueReader } from "../jobs/index.js";
import type { Store } from "../store/index.js";

/** What `act clean_failed_jobs` asks of the jobs side: an explicit Redis, and the incident's rules (read from the store). */
export interface ActJobsRequest {
  /** --jobs-redis or $FIREWATCH_JOBS_REDIS; undefined: the queues of firewatch.yaml's bullmq sources (then slack.jobs). */
  readonly url: string | undefined;
  /** With `url`: its BullMQ key prefix (default "bull") and where completed input files live (stale jobs). */
  readonly prefix?: string | undefined;
  readonly completedDir?: string | undefined;
  readonly rules: (store: Store) => Promise<ReadonlySet<string>>;
}

/** The guard kit's job queue side, closable. */
export interface ActJobs {
  failedJobCount(host: string, queue: string): Promise<number>;
  cleanFailedJobs(host: string, queue: string): Promise<{ removed: number; detail: string }>;
  close(): Promise<void>;
}

interface ActJobsDeps {
  readonly config: FirewatchConfig;
  readonly store: Store;
  readonly actor: string;
  readonly host: (name: string) => Host | undefined;
}

/**
 * The failed jobs of the queue whose category is one of the incident's rules are removed (stale jobs only when their
 * file is found completed), each re-checked right before removal and audited (cleanQueueCategories). Undefined when
 * no queue is known: the kit then refuses clean_failed_jobs with its reason. An explicit Redis is connected now, so a
 * wrong URL fails before any plan is shown; configured ones on first use. bullmq costs ~0.3 s to import: loaded here only.
 */
export async function openActJobs(req: ActJobsRequest, deps: ActJobsDeps): Promise<ActJobs | undefined> {
  const [jobs, { compileRules, createMatcher, loadRules }] = await Promise.all([import("../jobs/index.js"), import("../rules/index.js")]);
  const places: QueuePlace[] = req.url === undefined ? jobs.queuePlaces(deps.config) : [{ host: undefined, redis: req.url, prefix: req.prefix ?? "bull", queues: [], completedDir: req.completedDir }];
  if (places.length === 0) return undefined;
  const rules = await loadRules({ dirs: deps.config.rules.dirs });
  const match = createMatcher(compileRules(rules));
  const incidentRules = await req.rules(deps.store);
  const readers = new Map<QueuePlace, Promise<QueueReader>>();
  const readerOf = (p: QueuePlace): Promise<QueueReader> => {
    let r = readers.get(p);
    if (!r) {
      r = jobs.QueueReader.connect(p.redis, { prefix: p.prefix, ...(p.password === undefined ? {} : { password: p.password }) });
      readers.set(p, r);
    }
    return r;
  };
  const close = async () => void (await Promise.allSettled([...readers.values()].map(async (r) => (await r).close())));
  const placeFor = (host: string, queue: string): QueuePlace => {
    const p = jobs.placeOf(places, host, queue);
    if (!p) throw new Error(`no bullmq source of firewatch.yaml reads queue ${queue} for host ${host}; pass --jobs-redis`);
    return p;
  };
  if (req.url !== undefined) {
    const [only] = places;
    if (only) await readerOf(only);
  }
  return {
    failedJobCount: async (host, queue) => (await (await readerOf(placeFor(host, queue))).counts(queue)).failed,
    async cleanFailedJobs(host, queue) {
      const place = placeFor(host, queue);
      const h = host === "local" ? undefined : deps.host(host);
      return jobs.cleanQueueCategories(
        {
          reader: await readerOf(place), rules, match, probe: h ? jobs.hostFileProbe(h) : jobs.localFileProbe(),
          appendAudit: (e) => deps.store.appendAudit(e), actor: deps.actor,
          ...(place.completedDir === undefined ? {} : { stale: { completedDir: place.completedDir } }),
        },
        queue,
        incidentRules,
      );
    },
    close,
  };
}
