// The daemon's side of scale.streams: the record streams opened for a collector or an analyzer, and their backlog.
import type { Logger } from "pino";
import type { FirewatchConfig } from "../config/index.js";
import { FirewatchError } from "../errors.js";
import { partitionNames, type StreamsConfig } from "../scale/index.js";
import { RedisStore, type PartitionStats, type RecordStreams, type Store } from "../store/index.js";
import type { Clock } from "../time.js";

/** How often the partitions' backlog is read for /metrics and /healthz. */
const STATS_EVERY_MS = 2_000;

export interface DaemonStreams {
  readonly config: StreamsConfig;
  readonly records: RecordStreams;
  /** Every partition's backlog as last read (empty before the first read). */
  stats(): readonly PartitionStats[];
  close(): Promise<void>;
}

/** Opens the record streams when the config has scale.streams (the Redis store only); undefined otherwise. */
export function openDaemonStreams(config: FirewatchConfig, store: Store, deps: { clock: Clock; log: Logger }, signal: AbortSignal): DaemonStreams | undefined {
  const cfg = config.scale?.streams;
  if (cfg === undefined) return undefined;
  if (!(store instanceof RedisStore)) {
    throw new FirewatchError("config_invalid", "scale.streams passes records through Redis Streams; this store is not Redis", { hint: "set store.url (or --store) to redis://HOST:PORT, or remove scale.streams" });
  }
  const records = store.recordStreams();
  // A connection of its own: the stats poll never waits behind a collector's publishing or an analyzer's reads.
  const statsLink = store.recordStreams(STATS_EVERY_MS);
  const names = partitionNames(cfg.partitions);
  let latest: readonly PartitionStats[] = [];
  const polling = (async () => {
    while (!signal.aborted) {
      latest = await statsLink.stats(names).catch((e: unknown) => {
        deps.log.debug({ err: e }, "Could not read the record streams' backlog.");
        return latest;
      });
      await deps.clock.sleep(STATS_EVERY_MS, signal).catch(() => undefined);
    }
  })();
  return {
    config: cfg,
    records,
    stats: () => latest,
    async close() {
      await polling;
      await Promise.allSettled([records.close(), statsLink.close()]);
    },
  };
}
