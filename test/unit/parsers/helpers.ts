// Test helpers for the parsers: feed bytes in chosen chunks, collect async iterables.
import { Buffer } from "node:buffer";

export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** Yields `bytes` cut at the given offsets (sorted, deduplicated, clamped). */
export async function* asChunks(bytes: Buffer, cuts: readonly number[]): AsyncGenerator<Buffer> {
  const points = [...new Set(cuts.map((c) => Math.min(c, bytes.length)))].sort((a, b) => a - b);
  let prev = 0;
  for (const p of points) {
    if (p > prev) yield bytes.subarray(prev, p);
    prev = Math.max(prev, p);
  }
  if (prev < bytes.length) yield bytes.subarray(prev);
}

export async function* fromList<T>(items: readonly T[]): AsyncGenerator<T> {
  for (const x of items) yield x;
}
