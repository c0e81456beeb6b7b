// Keeps this watcher's source leases: heartbeat, renewal, shedding and taking, one round every renewal period.
//
// The daemon reads exactly the sources `owned()` names, each under its token (the commit's fences). Any change of
// that set (a source taken, lost or to be shed) is told to `onChange`: the daemon ends its run (the final commit,
// under the old fences) and calls `settle()`, which gives up the shed leases, before it starts the next run.
import type { Logger } from "pino";
import { isStoreError, type LeaseBoard, type LeaseState, type LiveWatcher } from "../store/index.js";
import { STORE_VERSION } from "../store/index.js";
import type { Clock } from "../time.js";
import { planLeases } from "./plan.js";

export interface LeaseKeeperOptions {
  /** This watcher's id (no spaces), unique among the watchers of the store. */
  readonly id: string;
  readonly host: string;
  readonly pid: number;
  /** The configured source names: the same list in every watcher. */
  readonly sources: readonly string[];
  readonly leaseMs: number;
  readonly renewMs: number;
  /** What it leases (scale.streams): collectors share sources, analyzers partitions; each shares with its own kind only. */
  readonly role?: "collector" | "analyzer";
  /** Whether it posts to Slack, said in its heartbeat (`firewatch status`: who posts). */
  readonly slack?: boolean;
}

/** What /healthz and `firewatch status` show of this watcher's view. */
export interface LeaseKeeperState {
  readonly watcher: string;
  readonly leaseTimeMs: number;
  /** Source → token of the leases held (including those being shed). */
  readonly held: Readonly<Record<string, number>>;
  readonly shedding: readonly string[];
  /** When the last round finished (this process's clock); undefined before the first. */
  readonly lastRoundAt: number | undefined;
  /** The error of the last round that failed, cleared by the next good one. */
  readonly error: string | undefined;
  readonly watchers: readonly LiveWatcher[];
  readonly leases: readonly LeaseState[];
}

export interface LeaseKeeper {
  /** Registers the watcher and runs rounds until `signal`; resolves after the first round (later ones run on). */
  start(signal: AbortSignal): Promise<void>;
  /** Source → token of the leases to read under now (held, not being shed). */
  owned(): ReadonlyMap<string, number>;
  /** Called whenever `owned()` would answer differently (or a shed waits for the run to end). */
  onChange(listener: () => void): void;
  /** Gives up the leases being shed: call it once the run that read them has made its final commit. */
  settle(): Promise<void>;
  /** Runs a round now (after the store refused a commit as fenced: the renewals find which lease was lost). */
  refresh(): Promise<void>;
  /** Releases every lease and the heartbeat (a clean stop: the others take over at once, not after the lease time). */
  stop(): Promise<void>;
  state(): LeaseKeeperState;
}

export function createLeaseKeeper(deps: { board: LeaseBoard; clock: Clock; log: Logger }, opts: LeaseKeeperOptions): LeaseKeeper {
  const { board, clock } = deps;
  const log = deps.log.child({ component: "leases", watcher: opts.id });
  const held = new Map<string, number>();
  const shedding = new Set<string>();
  const startedAt = clock.now();
  let listener: (() => void) | undefined;
  let lastRoundAt: number | undefined;
  let error: string | undefined;
  let survey: { watchers: readonly LiveWatcher[]; leases: readonly LeaseState[] } = { watchers: [], leases: [] };
  // Rounds, settle and stop run one at a time: a renewal running beside a release would take the lease back.
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const p = chain.then(fn, fn);
    chain = p.catch(() => undefined);
    return p;
  };
  const changed = () => listener?.();

  const round = async (): Promise<void> => {
    await board.heartbeat({ v: STORE_VERSION, id: opts.id, host: opts.host, pid: opts.pid, startedAt, sources: held.size, ...(opts.role ? { role: opts.role } : {}), ...(opts.slack === true ? { slack: true } : {}) }, opts.leaseMs);
    let lostAny = false;
    for (const [source, token] of [...held]) {
      if (await board.renew(source, opts.id, token, opts.leaseMs)) continue;
      held.delete(source);
      shedding.delete(source);
      lostAny = true;
      log.warn({ source, token }, "Lost a source's lease: another watcher took it over; its lines are read there from the stored cursor.");
    }
    survey = await board.survey(opts.sources);
    // A share is counted among the watchers of this one's role: 3 analyzers share the partitions, whatever the collectors.
    const peers = { ...survey, watchers: survey.watchers.filter((w) => w.info.role === opts.role) };
    const plan = planLeases(opts.id, new Set([...held.keys()].filter((s) => !shedding.has(s))), opts.sources, peers);
    let gained = false;
    for (const source of plan.take) {
      const token = await board.acquire(source, opts.id, opts.leaseMs);
      if (token === undefined) continue;
      held.set(source, token);
      gained = true;
      log.info({ source, token }, "Took a source's lease.");
    }
    const newShed = plan.shed.filter((s) => !shedding.has(s));
    for (const s of newShed) shedding.add(s);
    if (newShed.length > 0) log.info({ sources: newShed, share: plan.share }, "Giving sources up to watchers with fewer.");
    lastRoundAt = clock.now();
    error = undefined;
    if (lostAny || gained || newShed.length > 0) changed();
  };

  const guarded = async () => {
    try {
      await round();
    } catch (e) {
      // Redis away: nothing is taken or given; the fences keep commits right whatever this process believes.
      error = e instanceof Error ? (e.message.split("\n")[0] ?? "error") : String(e);
      if (!isStoreError(e, "unavailable")) throw e;
      log.warn({ errorType: "lease_round_failed", error }, "Could not renew the leases this round; trying again.");
    }
  };

  return {
    async start(signal) {
      await serial(guarded);
      void (async () => {
        while (!signal.aborted) {
          try {
            await clock.sleep(opts.renewMs, signal);
          } catch {
            return;
          }
          await serial(guarded).catch((e: unknown) => log.error({ err: e }, "A lease round failed."));
        }
      })();
    },
    owned: () => new Map([...held].filter(([s]) => !shedding.has(s))),
    onChange(l) {
      listener = l;
    },
    settle: () =>
      serial(async () => {
        for (const source of [...shedding]) {
          const token = held.get(source);
          if (token !== undefined) await board.release(source, opts.id, token);
          held.delete(source);
          shedding.delete(source);
        }
      }),
    refresh: () => serial(guarded),
    stop: () =>
      serial(async () => {
        for (const [source, token] of held) await board.release(source, opts.id, token).catch(() => false);
        held.clear();
        shedding.clear();
        await board.leave(opts.id).catch(() => undefined);
      }),
    state: () => ({
      watcher: opts.id,
      leaseTimeMs: opts.leaseMs,
      held: Object.fromEntries(held),
      shedding: [...shedding],
      lastRoundAt,
      error,
      watchers: survey.watchers,
      leases: survey.leases,
    }),
  };
}
