// A Clock whose sleep leaves nothing behind on the caller's AbortSignal.
//
// time.ts's systemClock.sleep adds an "abort" listener to the signal and never removes it when the sleep ends
// normally. The daemon sleeps on one long-lived signal several times a second (file polls, ticks), so its listeners
// would pile up for the life of the process (MaxListenersExceededWarning after 10, memory after days).
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
