// A Clock whose sleep leaves nothing behind on the caller's AbortSignal.
//
// The daemon sleeps on one long-lived signal several times a second (file polls, ticks). systemClock removes its
// listener after each sleep; an injected clock (tests, a simulated clock) need not, so the daemon wraps whatever it is
// given rather than let listeners pile up for the life of the process (MaxListenersExceededWarning, memory after days).
import type { Clock } from "../time.js";

export function leakFreeClock(clock: Clock): Clock {
  return {
    now: () => clock.now(),
    async sleep(ms, signal) {
      if (signal === undefined) return clock.sleep(ms);
      signal.throwIfAborted();
      // The inner signal is dropped with the sleep; only our own listener touches the caller's, and it is removed.
      const inner = new AbortController();
      const forward = () => inner.abort(signal.reason);
      signal.addEventListener("abort", forward, { once: true });
      try {
        await clock.sleep(ms, inner.signal);
      } finally {
        signal.removeEventListener("abort", forward);
      }
    },
  };
}
