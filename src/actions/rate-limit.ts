// Rate limit per action and host: at most N runs in any window of length `per`, on clock.now() (a sliding log).
import type { Clock } from "../time.js";

export interface RateLimiter {
  /** Whether one more run fits now (does not count it). */
  allows(key: string, max: number, perMs: number): boolean;
  /** Counts one run now. */
  take(key: string, perMs: number): void;
}

/** Keeps only the run times still inside the window, so memory is bounded by max × keys. */
export function createRateLimiter(deps: { clock: Clock }): RateLimiter {
  const runs = new Map<string, number[]>();
  const live = (key: string, perMs: number): number[] => {
    const now = deps.clock.now();
    const kept = (runs.get(key) ?? []).filter((t) => t > now - perMs);
    if (kept.length === 0) runs.delete(key);
    else runs.set(key, kept);
    return kept;
  };
  return {
    allows: (key, max, perMs) => live(key, perMs).length < max,
    take(key, perMs) {
      runs.set(key, [...live(key, perMs), deps.clock.now()]);
    },
  };
}
