// Splits a byte stream into capped physical lines; the one definition of "a line" that analyze and scan share.
//
// Line semantics (src/rules' `scan` engine reproduces them exactly; change both or neither):
// - Lines are split on "\n" (0x0A) only. A lone "\r" is an ordinary byte.
// - One trailing "\r" is stripped from each line (CRLF files), the unterminated last line included;
//   "\r\r\n" keeps the first "\r".
// - Every "\n" ends a line, so empty lines exist and are numbered (lineNo is 1-based and counts every "\n").
//   The bytes after the last "\n" form a last line only when they are non-empty (a lone "\r" counts, and
//   becomes an empty line once the "\r" is stripped).
// - The line cap applies to the line content (after the "\r" is stripped): a longer line keeps its first
//   `maxLineBytes` bytes, cut back to the start of a UTF-8 sequence that would otherwise be split (only a
//   well-formed lead byte with too few continuation bytes left is cut; invalid bytes are kept as they are).
//   The bytes dropped are counted in `truncatedBytes`.
// - Memory stays bounded: at most maxLineBytes + 1 bytes of an unfinished line are copied and kept between
//   chunks, so a 1 GB line without "\n" costs no more than a short one.
// - decodeLine turns the kept bytes into a string: UTF-8, invalid sequences become U+FFFD, NUL and other
//   control characters survive. It never throws.
// - No line is dropped here: long ones are capped, binary (NUL) and invalid UTF-8 ones kept; all are counted
//   in FrameStats. Blank lines make no LogRecord later (parse-lines.ts) but keep their numbers.
// createLineSplitter is the synchronous core (one call per chunk); frameLines is its async-iterable form.
import { Buffer, isUtf8 } from "node:buffer";

/** The default cap on one physical line, in bytes (64 KiB). */
export const DEFAULT_MAX_LINE_BYTES = 65536;

export interface RawLine {
  /** The line content: no "\n", no trailing "\r", at most maxLineBytes bytes. */
  readonly bytes: Buffer;
  /** 1-based physical line number within the stream. */
  readonly lineNo: number;
  /** Bytes of the line content dropped by the cap (0 for most lines). */
  readonly truncatedBytes: number;
}

/** Why a line was degraded or dropped; the keys are stable (shown by --stats). */
export type LineIssue = "too_long" | "invalid_utf8" | "binary" | "bad_json";
export const LINE_ISSUES: readonly LineIssue[] = ["too_long", "invalid_utf8", "binary", "bad_json"];

/** Counters the framing (and later stages) update as they go; read them after the stream ends. */
export interface FrameStats {
  /** Physical lines seen (empty ones included). */
  lines: number;
  /** Bytes read, newlines included. */
  bytes: number;
  /** Lines per issue. */
  readonly issues: Record<LineIssue, number>;
  /** The first line number that showed each issue, as a sample to point the user at. */
  readonly firstLine: Partial<Record<LineIssue, number>>;
}

export function createFrameStats(): FrameStats {
  return { lines: 0, bytes: 0, issues: { too_long: 0, invalid_utf8: 0, binary: 0, bad_json: 0 }, firstLine: {} };
}

/** Counts one occurrence of an issue and remembers the first line it happened on. */
export function countIssue(stats: FrameStats, issue: LineIssue, lineNo: number): void {
  stats.issues[issue] += 1;
  stats.firstLine[issue] ??= lineNo;
}

export interface FrameOptions {
  maxLineBytes?: number;
  signal?: AbortSignal;
  stats?: FrameStats;
}

/** UTF-8 with U+FFFD for invalid sequences; never throws, keeps NUL and control characters. */
export function decodeLine(bytes: Buffer): string {
  return bytes.toString("utf8");
}

/** Length to keep of `buf` (already at most `cap` bytes long) so that no UTF-8 sequence is split. */
export function utf8SafeLength(buf: Buffer, cap: number): number {
  const end = Math.min(cap, buf.length);
  // Walk back over at most 3 continuation bytes (10xxxxxx) to the lead byte of the last sequence.
  let i = end - 1;
  let continuation = 0;
  while (i >= 0 && continuation < 3 && ((buf[i] ?? 0) & 0xc0) === 0x80) { i -= 1; continuation += 1; }
  if (i < 0) return end;
  const lead = buf[i] ?? 0;
  const need = lead >= 0xf0 && lead <= 0xf4 ? 4 : lead >= 0xe0 && lead <= 0xef ? 3 : lead >= 0xc2 && lead <= 0xdf ? 2 : 1;
  return need > 1 && i + need > end ? i : end;
}

export interface LineSplitter {
  /**
   * Feeds the next chunk; calls onLine, synchronously, for every line the chunk completes. With onBare, a line that
   * lies wholly in the chunk, is known clean (no NUL, well-formed UTF-8) and is within the cap is handed as its bytes
   * [start, end) of the chunk instead ("\r\n" ends it too): no Buffer or RawLine is made for it. It is counted as
   * onLine's lines are.
   */
  push(chunk: Uint8Array, onLine: (line: RawLine) => void, onBare?: (chunk: Buffer, start: number, end: number, lineNo: number) => void): void;
  /** The stream ended: emits the unterminated last line, if it is non-empty. */
  end(onLine: (line: RawLine) => void): void;
}

/**
 * The synchronous core of frameLines (same semantics, see this file's header), for stages that want to
 * handle a chunk's lines without one await per line.
 */
export function createLineSplitter(opts: Omit<FrameOptions, "signal"> = {}): LineSplitter {
  const cap = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  if (!Number.isInteger(cap) || cap < 1) throw new RangeError(`maxLineBytes must be a positive integer, got ${cap}`);
  const stats = opts.stats ?? createFrameStats();
  // The unfinished line carried between chunks: copies of its first cap+1 bytes (the +1 keeps a final "\r"
  // visible for a line of exactly `cap` bytes), its full length, and its last byte.
  let parts: Buffer[] = [];
  let stored = 0;
  let total = 0;
  let lastByte = -1;
  let lineNo = 0;

  // `clean`: the line is known to hold no NUL and only well-formed UTF-8 (its chunk's region was checked at once).
  const finish = (head: Buffer, headTotal: number, headLast: number, clean: boolean): RawLine => {
    lineNo += 1;
    stats.lines += 1;
    const contentLen = headLast === 0x0d ? headTotal - 1 : headTotal;
    let bytes = head.length > contentLen ? head.subarray(0, contentLen) : head;
    let truncatedBytes = 0;
    if (contentLen > cap) {
      // Cut at a sequence's start: a clean line stays clean.
      bytes = bytes.subarray(0, utf8SafeLength(bytes, cap));
      truncatedBytes = contentLen - bytes.length;
      countIssue(stats, "too_long", lineNo);
    }
    if (!clean) {
      if (bytes.includes(0)) countIssue(stats, "binary", lineNo);
      if (!isUtf8(bytes)) countIssue(stats, "invalid_utf8", lineNo);
    }
    return { bytes, lineNo, truncatedBytes };
  };

  const keep = (seg: Buffer) => {
    if (seg.length === 0) return;
    const room = cap + 1 - stored;
    if (room > 0) {
      // Copy: a subarray would pin the whole chunk in memory while the line is unfinished.
      const piece = Buffer.from(seg.subarray(0, Math.min(room, seg.length)));
      parts.push(piece);
      stored += piece.length;
    }
    total += seg.length;
    lastByte = seg[seg.length - 1] ?? -1;
  };

  return {
    push(raw, onLine, onBare) {
      const chunk = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
      stats.bytes += chunk.length;
      let pos = 0;
      // Issue 18: the lines after the chunk's first "\n" and up to its last lie wholly in it; one look at that region
      // for NUL and malformed UTF-8 stands for a look at each of them (a line of a region without either has neither).
      // The first line may continue bytes of the previous chunk and is looked at on its own.
      const firstNl = chunk.indexOf(0x0a);
      const lastNl = firstNl === -1 ? -1 : chunk.lastIndexOf(0x0a);
      let cleanFrom = Infinity;
      if (lastNl > firstNl) {
        const region = chunk.subarray(firstNl + 1, lastNl);
        if (!region.includes(0) && isUtf8(region)) cleanFrom = firstNl + 1;
      }
      for (let nl = firstNl; nl !== -1; nl = chunk.indexOf(0x0a, pos)) {
        if (onBare !== undefined && pos >= cleanFrom) {
          const end = nl > pos && chunk[nl - 1] === 0x0d ? nl - 1 : nl;
          if (end - pos <= cap) {
            lineNo += 1;
            stats.lines += 1;
            onBare(chunk, pos, end, lineNo);
            pos = nl + 1;
            continue;
          }
        }
        const seg = chunk.subarray(pos, nl);
        if (total === 0) {
          // Fast path: the whole line lies in this chunk, no copy.
          onLine(finish(seg, seg.length, seg.length > 0 ? (seg[seg.length - 1] ?? -1) : -1, pos >= cleanFrom));
        } else {
          keep(seg);
          const head = parts.length === 1 ? (parts[0] ?? Buffer.alloc(0)) : Buffer.concat(parts, stored);
          const line = finish(head, total, lastByte, false);
          parts = [];
          stored = 0;
          total = 0;
          lastByte = -1;
          onLine(line);
        }
        pos = nl + 1;
      }
      keep(chunk.subarray(pos));
    },
    end(onLine) {
      if (total > 0) onLine(finish(Buffer.concat(parts, stored), total, lastByte, false));
      parts = [];
      stored = 0;
      total = 0;
      lastByte = -1;
    },
  };
}

/**
 * Splits chunks into lines following the semantics in this file's header.
 * Empty lines are yielded too (they keep the numbering honest); callers decide to skip them.
 */
export async function* frameLines(
  chunks: AsyncIterable<Uint8Array>,
  opts: FrameOptions = {},
): AsyncGenerator<RawLine> {
  const splitter = createLineSplitter(opts);
  const ready: RawLine[] = [];
  const collect = (l: RawLine) => { ready.push(l); };
  for await (const chunk of chunks) {
    opts.signal?.throwIfAborted();
    splitter.push(chunk, collect);
    // At most one chunk's lines wait here.
    yield* ready;
    ready.length = 0;
  }
  opts.signal?.throwIfAborted();
  splitter.end(collect);
  yield* ready;
}
