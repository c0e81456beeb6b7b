// Follows one log file through rotation (rename, copytruncate), truncation and re-creation, yielding LogRecords with cursors.
//
// Why not the npm `tail` package: it follows a path with fs.watch/watchFile and re-opens it on rename, but it
// keeps no position a restart could resume from (no inode, no fingerprint), it reads a renamed file's last
// unread lines only if the watch event arrives in time, it cannot see copytruncate (the inode stays, the
// size drops, the tail of the old content sits in the copy), and it only works on local files. Here the
// position is (device, inode, offset, fingerprint of the first bytes), checked on every poll, and the same
// code reads a file over SSH through a Host.
//
// Each poll: stat the path. Same identity and the head still matches: read on from the offset. Otherwise:
// - renamed away (another inode at the path): find the old inode among the siblings, read it to its end,
//   then start the new file at 0;
// - copytruncate or truncation (same inode, smaller, or its first bytes changed): a sibling with our
//   fingerprint and at least our offset is the copy: read it from the offset, then start again at 0;
// - deleted: whatever was unread is gone (counted as a lost generation); wait for the path to come back.
// A generation's held records (format sniffing, multi-line) are handed out before the next one is read, so
// held lines, and thus checkpoint(), never span two generations.
// Only whole lines are handed out, and a record's cursor is the offset after its last line, so a restart
// from any emitted record's cursor neither loses nor repeats a line.
// Known limits: two rotations within one poll skip the middle generation; so does rotating a file before a
// poll read any byte of it (no fingerprint yet to recognise its copy by); lines written between a
// copytruncate's copy and its truncate are lost (they exist nowhere); a truncated file rewritten to the same
// first 256 bytes is taken for the old one.
import { isHostError } from "../hosts/index.js";
import { createLineSplitter, createMultilineJoiner, createRecordParser, type LogRecord, type RawLine } from "../parsers/index.js";
import { systemClock, type Clock } from "../time.js";
import type { FileAccess, FileStat } from "./file-tail-access.js";
import { decodeFileCursor, encodeFileCursor, FINGERPRINT_BYTES, fingerprintOf, type FileCursor } from "./file-tail-cursor.js";

export interface FileFollowOptions {
  readonly access: FileAccess;
  readonly path: string;
  /** Resume here (an emitted record's cursor). Without it, start at `startAt`. */
  readonly cursor?: string;
  /** Where a file with no cursor starts: "beginning" or "end" (only new lines). Default "end". */
  readonly startAt?: "beginning" | "end";
  /** Most bytes read per poll; a line longer than this is handed out cut at it. Default 1 MiB. */
  readonly maxReadBytes?: number;
  readonly maxLineBytes?: number;
  readonly host?: string;
}

export interface FileFollowStats {
  lines: number;
  bytes: number;
  rotations: number;
  truncations: number;
  /** Generations that vanished with unread bytes (deleted, or rotated away out of reach). */
  lostGenerations: number;
  /** Polls that failed because the host was unreachable (retried at the next poll). */
  hostErrors: number;
}

interface Position {
  dev: string;
  ino: string;
  offset: number;
  fpLen: number;
  fingerprint: string;
}

export class FileFollower {
  readonly stats: FileFollowStats = { lines: 0, bytes: 0, rotations: 0, truncations: 0, lostGenerations: 0, hostErrors: 0 };
  private pos: Position | undefined;
  private resumeFrom: Position | undefined;
  /** The position after the last bytes read, kept when the generation it belongs to goes away. */
  private lastRead: Position | undefined;
  private started = false;
  private readonly splitter;
  private readonly parser;
  private readonly joiner = createMultilineJoiner();
  /** Where each framed line not yet handed out starts and ends (with its file's identity), by line number. */
  private readonly lines = new Map<number, { start: Position; end: Position }>();
  private readonly maxRead: number;

  constructor(private readonly opts: FileFollowOptions, clock: Clock = systemClock) {
    this.maxRead = opts.maxReadBytes ?? 1024 * 1024;
    this.splitter = createLineSplitter(opts.maxLineBytes === undefined ? {} : { maxLineBytes: opts.maxLineBytes });
    this.parser = createRecordParser({ file: opts.path, referenceMs: clock.now() });
    if (opts.cursor !== undefined) this.resumeFrom = { ...decodeFileCursor(opts.cursor) };
  }

  /** The position after the last line read (not necessarily handed out yet). */
  get position(): FileCursor | undefined {
    return this.pos && { ...this.pos };
  }

  /** One step: notices rotation or truncation, reads what is new, returns the records now complete. */
  async poll(): Promise<LogRecord[]> {
    const out: LogRecord[] = [];
    const a = this.opts.access;
    const st = await a.stat(this.opts.path, this.pos?.fpLen);
    if (!this.started) {
      this.started = true;
      await this.begin(st, out);
      return out;
    }
    const pos = this.pos;
    if (pos === undefined) {
      if (st) await this.startGeneration(st, 0, out);
      return out;
    }
    if (st && st.dev === pos.dev && st.ino === pos.ino) {
      const sameHead = pos.fpLen === 0 || (st.headSha256 !== undefined ? st.headSha256 === pos.fingerprint : await this.headMatches(this.opts.path, pos));
      if (st.size < pos.offset || !sameHead) {
        this.stats.truncations += 1;
        await this.drainOld(pos, out);
        out.push(...this.flush());
        await this.startGeneration(st, 0, out);
      } else {
        await this.readOn(this.opts.path, pos, st.size, out);
      }
      return out;
    }
    // Another file at the path, or none: the old generation was renamed away or deleted.
    this.stats.rotations += 1;
    await this.drainOld(pos, out);
    out.push(...this.flush());
    this.pos = undefined;
    if (st) await this.startGeneration(st, 0, out);
    return out;
  }

  /**
   * Where a restart should resume once every record handed out so far has been processed: the start of the
   * first line still held (format sniffing, multi-line joining), else the read position. Prefer it to the last
   * record's cursor, which cannot move past lines that make no record yet and so may lag a rotation behind.
   */
  checkpoint(): string | undefined {
    for (const held of this.lines.values()) return encodeFileCursor(held.start);
    const p = this.pos ?? this.lastRead ?? this.resumeFrom;
    return p && encodeFileCursor(p);
  }

  /** Hands out the records held for format sniffing or multi-line joining (call when the file went quiet). */
  flush(): LogRecord[] {
    const out: LogRecord[] = [];
    this.parser.end((r) => this.join(r, out));
    const last = this.joiner.flush();
    if (last) out.push(this.withCursor(last));
    return out;
  }

  private async begin(st: FileStat | undefined, out: LogRecord[]): Promise<void> {
    const from = this.resumeFrom;
    if (from === undefined) {
      if (st) await this.startGeneration(st, this.opts.startAt === "beginning" ? 0 : st.size, out);
      return;
    }
    if (st && st.dev === from.dev && st.ino === from.ino && st.size >= from.offset && (await this.headMatches(this.opts.path, from))) {
      this.pos = { ...from };
      await this.readOn(this.opts.path, this.pos, st.size, out);
      return;
    }
    // The file of the cursor is no longer at the path: finish it wherever it went, then take what is there now.
    await this.drainOld(from, out);
    out.push(...this.flush());
    if (st) await this.startGeneration(st, 0, out);
  }

  private async startGeneration(st: FileStat, offset: number, out: LogRecord[]): Promise<void> {
    const head = await this.opts.access.read(st.path, 0, Math.min(FINGERPRINT_BYTES, st.size));
    this.pos = { dev: st.dev, ino: st.ino, offset, fpLen: head.length, fingerprint: fingerprintOf(head) };
    await this.readOn(st.path, this.pos, st.size, out);
  }

  /** Whether the first fpLen bytes at `path` are still the ones the position was taken from. */
  private async headMatches(path: string, p: Position): Promise<boolean> {
    if (p.fpLen === 0) return true;
    const head = await this.opts.access.read(path, 0, p.fpLen);
    return head.length === p.fpLen && fingerprintOf(head) === p.fingerprint;
  }

  /**
   * Reads the rest of the generation `p` was in, wherever it is now: renamed (same inode, preferred) or
   * copied by copytruncate (another inode with the same first bytes). Either must hold at least p.offset
   * bytes. Nothing found means the unread rest is gone (counted).
   */
  private async drainOld(p: Position, out: LogRecord[]): Promise<void> {
    if (p.fpLen === 0 && p.offset === 0) return;
    const candidates = (await this.opts.access.siblings(this.opts.path)).filter((s) => s.size >= p.offset);
    candidates.sort((a, b) => Number(b.dev === p.dev && b.ino === p.ino) - Number(a.dev === p.dev && a.ino === p.ino));
    for (const s of candidates) {
      if (await this.headMatches(s.path, p)) {
        await this.readOn(s.path, { ...p }, s.size, out, true);
        return;
      }
    }
    this.stats.lostGenerations += 1;
  }

  /** Reads whole lines from p.offset up to `size` (all of them when `toEnd`, else at most maxRead bytes). */
  private async readOn(path: string, p: Position, size: number, out: LogRecord[], toEnd = false): Promise<void> {
    while (p.offset < size) {
      const buf = await this.opts.access.read(path, p.offset, Math.min(this.maxRead, size - p.offset));
      if (buf.length === 0) return;
      if (p.fpLen < FINGERPRINT_BYTES && p.offset < FINGERPRINT_BYTES) {
        const head = await this.opts.access.read(path, 0, Math.min(FINGERPRINT_BYTES, p.offset + buf.length));
        p.fpLen = head.length;
        p.fingerprint = fingerprintOf(head);
      }
      let end = buf.lastIndexOf(0x0a) + 1;
      // A line longer than a whole read is cut there (the splitter caps it anyway); otherwise wait for its "\n".
      if (end === 0) {
        if (buf.length < this.maxRead) return;
        end = buf.length;
      }
      this.feed(buf.subarray(0, end), p, end === buf.length && buf[end - 1] !== 0x0a, out);
      if (!toEnd) return;
    }
  }

  private feed(bytes: Buffer, p: Position, cut: boolean, out: LogRecord[]): void {
    const base = p.offset;
    let nl = -1;
    let lineStart = base;
    const onLine = (raw: RawLine) => {
      nl = bytes.indexOf(0x0a, nl + 1);
      const endOffset = base + (nl === -1 ? bytes.length : nl + 1);
      this.lines.set(raw.lineNo, { start: { ...p, offset: lineStart }, end: { ...p, offset: endOffset } });
      lineStart = endOffset;
      this.stats.lines += 1;
      this.parser.push(raw, (r) => this.join(r, out));
    };
    this.splitter.push(bytes, onLine);
    if (cut) this.splitter.end(onLine);
    this.stats.bytes += bytes.length;
    p.offset = base + bytes.length;
    this.lastRead = { ...p };
  }

  private join(r: LogRecord, out: LogRecord[]): void {
    for (const done of this.joiner.push(r)) out.push(this.withCursor(done));
  }

  /**
   * A record's cursor is where the first line not yet handed out starts: after a rotation that is the new
   * file at 0, so a restart does not have to find its way across generations it already knew about.
   * Without a next line yet, it is the end of the record's last line.
   */
  private withCursor(r: LogRecord): LogRecord {
    const end = this.lines.get(r.ref.endLine + 1)?.start ?? this.lines.get(r.ref.endLine)?.end;
    for (const k of this.lines.keys()) {
      if (k > r.ref.endLine) break;
      this.lines.delete(k);
    }
    const host = r.host ?? this.opts.host;
    return { ...r, ...(host === undefined ? {} : { host }), ...(end === undefined ? {} : { cursor: encodeFileCursor(end) }) };
  }
}

export interface FollowFileOptions extends FileFollowOptions {
  /** Time between polls; default 250 ms. */
  readonly pollMs?: number;
  /** Quiet time after which held records (sniffing, multi-line) are handed out; default 1 s. */
  readonly flushAfterMs?: number;
  readonly signal?: AbortSignal;
  readonly clock?: Clock;
}

/** Follows a file until aborted; each record carries the cursor to resume after it. */
export async function* followFile(opts: FollowFileOptions): AsyncGenerator<LogRecord> {
  const clock = opts.clock ?? systemClock;
  const follower = new FileFollower(opts, clock);
  let lastData = clock.now();
  let flushed = true;
  while (!opts.signal?.aborted) {
    const before = follower.stats.bytes;
    try {
      yield* await follower.poll();
    } catch (e) {
      // The host is down for now (SSH link lost): the follower keeps its position, the next poll goes on
      // from there. Anything else (permission denied, a missing command) is not fixed by waiting.
      if (!isHostError(e) || (e.reason !== "unreachable" && e.reason !== "link_lost")) throw e;
      follower.stats.hostErrors += 1;
    }
    if (follower.stats.bytes !== before) {
      lastData = clock.now();
      flushed = false;
    } else if (!flushed && clock.now() - lastData >= (opts.flushAfterMs ?? 1000)) {
      yield* follower.flush();
      flushed = true;
    }
    try {
      await clock.sleep(opts.pollMs ?? 250, opts.signal);
    } catch {
      return;
    }
  }
}
