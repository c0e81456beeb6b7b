// Marks the pauses of a stream: a reader of a live pipe (`analyze --follow`) hands out what it holds when input stops.

/** Yielded instead of a chunk when `ms` passed without one. */
export const IDLE: unique symbol = Symbol("idle");

/**
 * The chunks of `source`, and IDLE after each quiet spell of `ms` (once per spell). The read in progress is kept,
 * never restarted: a quiet spell only interleaves a marker.
 */
export async function* withIdleMarks<T>(source: AsyncIterable<T>, ms: number): AsyncGenerator<T | typeof IDLE> {
  const it = source[Symbol.asyncIterator]();
  let pending: Promise<IteratorResult<T>> | undefined;
  try {
    for (;;) {
      pending ??= it.next();
      let timer: NodeJS.Timeout | undefined;
      const quiet = new Promise<typeof IDLE>((resolve) => {
        timer = setTimeout(() => resolve(IDLE), ms);
      });
      const next = await Promise.race([pending, quiet]).finally(() => clearTimeout(timer));
      if (next === IDLE) {
        yield IDLE;
        // Wait for the read in progress now: one mark per quiet spell, not one per `ms`.
        const r = await pending;
        pending = undefined;
        if (r.done === true) return;
        yield r.value;
        continue;
      }
      pending = undefined;
      if (next.done === true) return;
      yield next.value;
    }
  } finally {
    await it.return?.();
  }
}
