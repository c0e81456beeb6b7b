// The daemon's side of scale-out: with `scale:` in firewatch.yaml, the lease keeper decides which sources this watcher reads.
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import type { Logger } from "pino";
import { FirewatchError } from "../errors.js";
import { sourceName, type FirewatchConfig, type SourceEntry } from "../config/index.js";
import { createLeaseKeeper, partitionNames, renewPeriod, type LeaseKeeper } from "../scale/index.js";
import { RedisStore, type Store } from "../store/index.js";
import type { Clock } from "../time.js";

export interface DaemonLeases {
  readonly keeper: LeaseKeeper;
  /** The configured sources this watcher holds now, in config order. */
  selected(): SourceEntry[];
  /** Lease → token of the leases held: the fences of the run's commits. */
  fences(): Readonly<Record<string, number>>;
  /** Why /healthz should fail "leases" (no round has succeeded for a lease time), or undefined. */
  problem(now: number): string | undefined;
  /** The watchers and leases as this watcher last saw them, for /healthz. */
  detail(now: number): Record<string, unknown>;
  /** Gives every lease back and leaves (a clean stop), then closes the connection. */
  stop(): Promise<void>;
}

/** The lease names of a config (`leaseBy`): each source's own name, or `host:NAME` for all the sources of a host. */
export function leaseUnits(sources: readonly SourceEntry[], by: "source" | "host"): { units: string[]; unitOf: (s: SourceEntry) => string } {
  const unitOf = by === "host" ? (s: SourceEntry) => `host:${s.host}` : sourceName;
  return { units: [...new Set(sources.map(unitOf))], unitOf };
}

/** Starts the lease keeper when the config has `scale:` (after its first round); undefined otherwise: every source is read. */
export async function startLeases(
  config: FirewatchConfig, store: Store, deps: { clock: Clock; log: Logger; untilCaughtUp: boolean }, signal: AbortSignal,
): Promise<DaemonLeases | undefined> {
  const scale = config.scale;
  if (scale === undefined) return undefined;
  if (!(store instanceof RedisStore)) {
    throw new FirewatchError("config_invalid", "scale: divides the sources among watchers through Redis; this store is not Redis", { hint: "set store.url (or --store) to redis://HOST:PORT, or remove the scale: section" });
  }
  if (deps.untilCaughtUp) throw new FirewatchError("usage", "--once-idle reads every source to its end once; it does not go with scale:", { hint: "run it without the scale: section" });
  const renewMs = renewPeriod(scale);
  // A renewal that waits longer than a renewal period for Redis is late anyway; the next round tries again.
  const board = store.leaseBoard(renewMs);
  const id = `${hostname()}:${process.pid}:${randomBytes(2).toString("hex")}`;
  const role = scale.streams?.role;
  // An analyzer leases partitions of the record streams, not sources: it reads no source itself.
  const { units, unitOf } = scale.streams && role === "analyzer" ? { units: partitionNames(scale.streams.partitions), unitOf: () => "" } : leaseUnits(config.sources, scale.leaseBy);
  const keeper = createLeaseKeeper({ board, clock: deps.clock, log: deps.log }, { id, host: hostname(), pid: process.pid, sources: units, leaseMs: scale.leaseTime, renewMs, ...(role ? { role } : {}), slack: config.slack !== undefined && role !== "collector" });
  try {
    await keeper.start(signal);
  } catch (e) {
    await board.close();
    throw e;
  }
  return {
    keeper,
    selected: () => {
      const owned = keeper.owned();
      return config.sources.filter((s) => owned.has(unitOf(s)));
    },
    fences: () => Object.fromEntries(keeper.owned()),
    problem(now) {
      const s = keeper.state();
      const since = s.lastRoundAt ?? Number.NEGATIVE_INFINITY;
      if (now - since <= scale.leaseTime) return undefined;
      return `no lease round has succeeded for ${Math.round((now - since) / 1000)} s${s.error === undefined ? "" : ` (${s.error})`}`;
    },
    detail(now) {
      const s = keeper.state();
      return {
        watcher: s.watcher,
        leaseTimeMs: s.leaseTimeMs,
        held: s.held,
        ...(s.shedding.length > 0 ? { shedding: s.shedding } : {}),
        lastRoundAgoMs: s.lastRoundAt === undefined ? null : now - s.lastRoundAt,
        watchers: s.watchers.map((w) => ({ id: w.info.id, host: w.info.host, pid: w.info.pid, ...(w.info.role ? { role: w.info.role } : {}), slack: w.info.slack === true, sources: w.info.sources, heartbeatLeftMs: w.expiresInMs })),
        leases: s.leases.map((l) => ({ source: l.source, owner: l.owner ?? null, token: l.token, leftMs: l.ttlMs })),
      };
    },
    async stop() {
      await keeper.stop();
      await board.close();
    },
  };
}
