// Fair merge of the sources: round-robin over per-source bounded queues, so a flooding source cannot starve the others.
//
// Each lane is pumped into its own queue of at most `capacity` items; a full queue stops pulling from its source
// (the source's own backpressure: a file is read no further, journalctl blocks on its pipe). The consumer takes one
// item per lane in turn. So memory is bounded by lanes × capacity whatever the consumer's speed, and a lane writing
// 10k lines/s gets its fair share of the consumer, not all of it.

export interface Lane<T> {
  readonly name: string;
  readonly items: AsyncIterable<T>;
}

export interface MergeOptions<T> {
  /** Weight queued per lane at most (items, or what `weight` counts); default 1,000. */
  readonly capacity?: number;
  /** How much an item counts against the capacity (a batch: its length); default 1. */
  readonly weight?: (item: T) => number;
  /** Stops pulling from the lanes; what is already queued is still handed out, then the merge ends. */
  readonly signal?: AbortSignal;
  /** Called with a lane's queued weight when it changes much (for the queue-depth gauge). */
  readonly onDepth?: (lane: string, depth: number) => void;
  /** How long the end of the merge waits for lanes to stop after the signal; default 5 s. */
  readonly stopGraceMs?: number;
}

interface LaneState<T> {
  readonly name: string;
  /** Items from `head` on are waiting; the slots before it are cleared so handed-out items can be collected. */
  readonly queue: (T | undefined)[];
  head: number;
  /** Weight of the items from head on. */
  weight: number;
  done: boolean;
  error: unknown;
  space: (() => void) | undefined;
  reported: number;
}

const size = (s: LaneState<unknown>) => s.queue.length - s.head;
const one = () => 1;

/** Items of all lanes, each lane's in its own order, lanes taken in turn; ends when every lane has ended. */
export async function* mergeFair<T>(lanes: readonly Lane<T>[], opts: MergeOptions<T> = {}): AsyncGenerator<T> {
  const capacity = opts.capacity ?? 1000;
  const weigh = opts.weight ?? one;
  const states: LaneState<T>[] = lanes.map((l) => ({ name: l.name, queue: [], head: 0, weight: 0, done: false, error: undefined, space: undefined, reported: 0 }));
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  let stopping = false;
  const onAbort = () => {
    stopping = true;
    for (const s of states) s.space?.();
    notify();
  };
  opts.signal?.addEventListener("abort", onAbort, { once: true });
  if (opts.signal?.aborted) stopping = true;
  const depth = (s: LaneState<T>) => {
    const n = s.weight;
    // The gauge moves in steps of a tenth of the capacity, not on every item.
    if (opts.onDepth && Math.abs(n - s.reported) * 10 >= capacity) {
      s.reported = n;
      opts.onDepth(s.name, n);
    }
  };

  const pump = async (lane: Lane<T>, s: LaneState<T>) => {
    try {
      for await (const item of lane.items) {
        s.queue.push(item);
        s.weight += weigh(item);
        depth(s);
        notify();
        while (s.weight >= capacity && !stopping) await new Promise<void>((r) => (s.space = r));
        s.space = undefined;
        if (stopping) break;
      }
    } catch (e) {
      s.error = e;
    } finally {
      s.done = true;
      notify();
    }
  };
  const pumps = lanes.map((l, i) => {
    const s = states[i];
    return s === undefined ? Promise.resolve() : pump(l, s);
  });

  let turn = 0;
  try {
    for (;;) {
      let taken = false;
      for (let k = 0; k < states.length; k++) {
        const s = states[(turn + k) % states.length];
        if (s === undefined || size(s) === 0) continue;
        turn = (turn + k + 1) % states.length;
        const item = s.queue[s.head] as T;
        s.queue[s.head] = undefined;
        s.head += 1;
        s.weight -= weigh(item);
        // Compact now and then instead of shift() on every item.
        if (s.head >= 1024 && s.head * 2 >= s.queue.length) {
          s.queue.splice(0, s.head);
          s.head = 0;
        }
        depth(s);
        if (s.weight < capacity) s.space?.();
        taken = true;
        yield item;
        break;
      }
      if (taken) continue;
      const failed = states.find((s) => s.error !== undefined);
      if (failed) throw failed.error;
      if (states.every((s) => s.done)) return;
      if (stopping && states.every((s) => s.done || size(s) === 0)) return;
      await new Promise<void>((r) => (wake = r));
    }
  } finally {
    stopping = true;
    for (const s of states) s.space?.();
    opts.signal?.removeEventListener("abort", onAbort);
    // Lanes stop on the signal (sources take it); do not hang the end of the daemon on one that does not.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled(pumps), new Promise((r) => (timer = setTimeout(r, opts.stopGraceMs ?? 5000)))]);
    clearTimeout(timer);
  }
}
