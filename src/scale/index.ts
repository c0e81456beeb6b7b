// The scale floor's public surface: the `scale:` config and the lease keeper that divides the sources among watchers.
/** The `scale:` section of firewatch.yaml and the renewal period it means. */
export { ScaleConfig, renewPeriod } from "./config.js";
/** Shares, sheds and takes of one round (pure). */
export { planLeases, type LeasePlan } from "./plan.js";
/** Heartbeat, lease renewal, rebalancing; tells the daemon when the sources it should read change. */
export { createLeaseKeeper, type LeaseKeeper, type LeaseKeeperOptions, type LeaseKeeperState } from "./lease-keeper.js";
/** Records through Redis Streams: partition of a record, entries encoded and parsed, a collector's source cursor. */
export { decodeCollectorCursor, decodeEntry, encodeCollectorCursor, encodeEntry, partitionName, partitionNames, partitionOf, type StreamRecord } from "./stream-records.js";
export { StreamsConfig } from "./config.js";
