// Reconnect delays: exponential, capped, with "equal jitter" so a fleet of sources does not reconnect in lockstep.

export interface BackoffOptions {
  /** Delay before the first retry, before jitter; default 500 ms. */
  readonly baseMs?: number;
  /** Cap on any delay; default 30 s. */
  readonly maxMs?: number;
}

/** Delay before retry number `attempt` (0-based): half of min(max, base·2^attempt) fixed, the other half random. */
export function backoffDelay(attempt: number, opts: BackoffOptions, random: () => number): number {
  const base = opts.baseMs ?? 500;
  const max = opts.maxMs ?? 30_000;
  const ceiling = Math.min(max, base * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}
