// Interval statistics of a group's signals ("every ~10 min for 9 days") in bounded memory.
import type { Cadence } from "./finding.js";

/** Intervals kept exactly; past this a uniform reservoir sample of this size stands for all of them. */
export const CADENCE_SAMPLE_SIZE = 2048;

/**
 * Share of intervals that may stray from the median and the cadence still counts as steady. Real
 * recurrences have gaps (a restart, a quiet night), so one stray interval in ten is forgiven; below ten
 * intervals every one must be within tolerance.
 */
const STRAY_SHARE = 0.1;

export interface CadenceOptions {
  /** Allowed relative deviation of an interval from the median (0.5 = ±50 %). */
  readonly tolerance: number;
  /** A signal closer than this to the one before it folds into the same occurrence (a burst counts once). */
  readonly foldMs: number;
  readonly sampleSize?: number;
}

export interface CadenceTracker {
  /** Feeds one event time. Times older than the newest one seen widen the span but make no interval. */
  observe(time: number): void;
  /** Occurrences counted (after folding). */
  occurrences(): number;
  /** Interval statistics; undefined until there are two occurrences. */
  snapshot(): Cadence | undefined;
}

/**
 * Memory is bounded: min, max and the span are exact; the median and steadiness are exact up to
 * `sampleSize` intervals and computed over a reservoir sample (Vitter's algorithm R) beyond. The sample's
 * random source is a fixed-seed generator, so the same signals always give the same cadence.
 */
export function createCadenceTracker(opts: CadenceOptions): CadenceTracker {
  const size = opts.sampleSize ?? CADENCE_SAMPLE_SIZE;
  const sample: number[] = [];
  const random = seededRandom(0x9e3779b9);
  let first: number | undefined;
  let newest: number | undefined;
  let previous: number | undefined;
  let count = 0;
  let intervals = 0;
  let minMs = Infinity;
  let maxMs = -Infinity;
  // findings() may be called often (the daemon's tick); sorting the sample again is only needed after a change.
  let cached: Cadence | undefined;
  let dirty = true;

  function addInterval(ms: number): void {
    intervals += 1;
    if (ms < minMs) minMs = ms;
    if (ms > maxMs) maxMs = ms;
    if (sample.length < size) {
      sample.push(ms);
      return;
    }
    const j = Math.floor(random() * intervals);
    if (j < size) sample[j] = ms;
  }

  function compute(): Cadence | undefined {
    if (intervals === 0 || first === undefined || newest === undefined) return undefined;
    const sorted = [...sample].sort((a, b) => a - b);
    const medianMs = median(sorted);
    const allowed = opts.tolerance * medianMs;
    const strays = sorted.filter((ms) => Math.abs(ms - medianMs) > allowed).length;
    return {
      medianMs,
      minMs,
      maxMs,
      steady: strays <= Math.floor(sorted.length * STRAY_SHARE),
      spanMs: newest - first,
    };
  }

  return {
    observe(time) {
      dirty = true;
      if (first === undefined || newest === undefined || previous === undefined) {
        first = newest = previous = time;
        count = 1;
        return;
      }
      if (time < first) first = time;
      // Out of order: it belongs somewhere among the intervals already measured; measuring it against the
      // newest time would invent a negative interval.
      if (time < newest) return;
      // A burst is a chain of signals each closer than foldMs to the one before; it counts once, and
      // intervals run from the start of one occurrence to the start of the next.
      const sinceNewest = time - newest;
      newest = time;
      if (opts.foldMs > 0 && sinceNewest < opts.foldMs) return;
      addInterval(time - previous);
      previous = time;
      count += 1;
    },
    occurrences: () => count,
    snapshot() {
      if (!dirty) return cached;
      dirty = false;
      cached = compute();
      return cached;
    },
  };
}

function median(sorted: readonly number[]): number {
  const mid = Math.floor(sorted.length / 2);
  const hi = sorted[mid] ?? 0;
  if (sorted.length % 2 === 1) return hi;
  return ((sorted[mid - 1] ?? hi) + hi) / 2;
}

/** mulberry32: a tiny deterministic generator; statistical quality is ample for a reservoir. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
