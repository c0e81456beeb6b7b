// Where a plain file is cut for a two-thread scan, and the counting of one byte range of it.
import type { FileHandle } from "node:fs/promises";
import type { LineCounter } from "../rules/count-lines.js";

/** A plain file at least this large is counted in two parts, one of them in a worker thread (its start-up is ~0.1 s). */
export const SPLIT_MIN_BYTES = 32 << 20;
export const READ_CHUNK = 1 << 20;
const PROBE = 64 << 10;

/**
 * The offset just after the first "\n" at or after the middle of a file of `size` bytes: [0, cut) holds whole lines
 * and [cut, size) starts at a line start, so each line is in exactly one part. Undefined when no "\n" follows the
 * middle (the file's second half is one unterminated line): the file is then counted in one part.
 */
export async function splitPoint(fh: FileHandle, size: number): Promise<number | undefined> {
  const buf = Buffer.allocUnsafe(PROBE);
  for (let pos = Math.floor(size / 2); pos < size; pos += PROBE) {
    const { bytesRead } = await fh.read(buf, 0, Math.min(PROBE, size - pos), pos);
    if (bytesRead === 0) return undefined;
    const nl = buf.subarray(0, bytesRead).indexOf(0x0a);
    if (nl !== -1) return pos + nl + 1 < size ? pos + nl + 1 : undefined;
  }
  return undefined;
}

/**
 * Feeds bytes [start, end) of an open file to the counter, then ends the input (an unterminated last line is counted).
 * One reused 1 MiB buffer: the counter consumes each chunk synchronously and copies what it keeps.
 */
export async function countRange(fh: FileHandle, counter: LineCounter, start: number, end: number, signal?: AbortSignal): Promise<void> {
  const buf = Buffer.allocUnsafe(READ_CHUNK);
  for (let pos = start; pos < end; ) {
    signal?.throwIfAborted();
    const { bytesRead } = await fh.read(buf, 0, Math.min(READ_CHUNK, end - pos), pos);
    if (bytesRead === 0) break;
    counter.write(buf.subarray(0, bytesRead));
    pos += bytesRead;
  }
  counter.endInput();
}
