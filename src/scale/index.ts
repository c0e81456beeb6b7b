// The scale floor's public surface: the `scale:` config and the lease keeper that divides the sources among watchers.
/** The `scale:` section of firewatch.yaml and the renewal period it means. */
export { ScaleConfig, renewPeriod } from "./config.js";
/** Shares, sheds and takes of one round (pure). */
export { planLeases, type LeasePlan } from "./plan.js";
/** Heartbeat, lease renewal, rebalancing; tells the daemon when the sources it should read change. */
export { createLeaseKeeper, type LeaseKeeper, type LeaseKeeperOptions, type LeaseKeeperState } from "./lease-keeper.js";
