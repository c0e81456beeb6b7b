// Follows one log file through its rotations (rename, create, copytruncate, compression), truncation and
// re-creation, yielding LogRecords with cursors to resume from.
//
// Why not the npm `tail` package: it keeps no position a restart could resume from (no inode, no fingerprint), it
// reads a renamed file's last unread lines only if the watch event arrives in time, it cannot see copytruncate, and
// it only works on local files. Here the position is (device, inode, offset, fingerprint of the first bytes), and
// each poll is one look at the file's family (the path and its rotated generations, named as logrotate names them)
// that also reads the current generation by device and inode, so the same code works over SSH in one command.
//
// Generations are read one after the other, oldest first, each to its end:
// - the generation being read is found by device and inode wherever it is now (app.log, app.log.1, ...);
// - once it is no longer at the path (renamed away), it is read on until it has been unchanged for `rotateWaitMs`
//   and is at its end: a writer may append to the renamed file until it reopens (logrotate `create` + SIGHUP);
// - then the next newer generation (by name: app.log.3 → .2 → .1 → app.log, or by date) is read from 0, so every
//   generation rotated while firewatch was down is read in order;
// - a generation gone from the family (deleted, compressed) is looked for by its fingerprint among the rest (a
//   copytruncate copy, a .gz); if nowhere, the bytes seen but not read are lost, and reported as such;
// - the live file shrinking or changing its first bytes is copytruncate (a copy with our fingerprint holds the rest)
//   or a truncation (the unread bytes are lost, reported).
// Held records (format sniffing, multi-line) are handed out when a generation ends, so held lines, and thus
// checkpoint(), never span two generations. Only whole lines are handed out (a finished generation's unterminated
// last line too), and a record's cursor is where the next line starts.
// Limits: an empty generation rotated and then compressed or copied cannot be recognised (no first bytes yet); lines
// written between copytruncate's copy and its truncate exist nowhere; rotated files moved to another directory
// (logrotate `olddir`) are not looked for.
import { basename } from "node:path";
import { isHostError } from "../hosts/index.js";
import { createLineSplitter, createMultilineJoiner, createRecordParser, type LogRecord, type RawLine, type Skim } from "../parsers/index.js";
import { systemClock, type Clock } from "../time.js";
import type { FileAccess, FileStat } from "./file-tail-access.js";
import { decodeFileCursor, encodeFileCursor, fingerprintOf, type FileCursor } from "./file-tail-cursor.js";
import { generationsAfter, isNewestRotated } from "./file-tail-generations.js";
import { LineSpans } from "./file-tail-spans.js";
import { serviceFromFileName } from "./paths.js";

export interface FileFollowOptions {
  readonly access: FileAccess;
  readonly path: string;
  /** Resume here (an emitted record's cursor). Without it, start at `startAt`. */
  readonly cursor?: string;
  /** Where a file with no cursor starts: "beginning" or "end" (only new lines). Default "end". */
  readonly startAt?: "beginning" | "end";
  /** Most bytes read per look; a line longer than this is handed out cut at it. Default 1 MiB. */
  readonly maxReadBytes?: number;
  readonly maxLineBytes?: number;
  readonly host?: string;
  /** How long a renamed-away generation must stay unchanged, at its end, before the next is read; default 5 s. */
  readonly rotateWaitMs?: number;
  /** "take": hand out an unterminated last line at the end of the file (a catch-up run that ends there). Default "wait". */
  readonly partialLastLine?: "wait" | "take";
  /**
   * Skimming (issue 18): whether the rules could match a line (the rules' match gate). A line it rules out, that takes
   * part in no multi-line event, becomes no record: it is counted in stats.skipped and the checkpoint moves past it.
   */
  readonly wanted?: Skim["wanted"];
  /** The same verdict from a line's bytes alone (the gate's `bytes`): most lines are then skipped without a parse. */
  readonly wantedBytes?: Skim["wantedBytes"];
  /** The literals wantedBytes looks for (the gate's `literals`): with them, clean lines are judged before any is decoded. */
  readonly wantedLiterals?: Skim["wantedLiterals"];
}

export interface FileFollowStats {
  lines: number;
  bytes: number;
  rotations: number;
  truncations: number;
  /** Generations that vanished with unread bytes (deleted, truncated before they were read to their end). */
  lostGenerations: number;
  /** Bytes seen in a file but gone before they were read (at least this many). */
  lostBytes: number;
  /** Polls that failed because the host was unreachable (retried at the next poll). */
  hostErrors: number;
  /** Lines read that became no record because no rule could match them (only with `wanted`). */
  skipped: number;
}

/** Data provably gone before it was read: which file, how many bytes at least, and why. */
export interface FileLoss {
  readonly file: string;
  readonly dev: string;
  readonly ino: string;
  readonly bytes: number;
  readonly reason: "deleted" | "truncated";
}

export interface FileLag {
  /** Bytes in the file (and the generations after it) not read yet. */
  readonly bytes: number;
  /** When the reader was last at the end of everything there was. */
  readonly caughtUpAt: number;
}

interface Position {
  dev: string;
  ino: string;
  offset: number;
  fpLen: number;
  fingerprint: string;
}

const EMPTY_FINGERPRINT = fingerprintOf(Buffer.alloc(0));
/** Generations crossed (or reads of a backlog) in one poll before it returns what it has. */
const MAX_STEPS = 8;
/** Siblings whose first bytes are compared when the generation being read vanished (a copy or a .gz of it). */
const MAX_CANDIDATES = 12;

export class FileFollower {
  readonly stats: FileFollowStats = { lines: 0, bytes: 0, rotations: 0, truncations: 0, lostGenerations: 0, lostBytes: 0, hostErrors: 0, skipped: 0 };
  /** Whether the path existed at the last look (undefined before the first). */
  exists: boolean | undefined;
  private gen: Position | undefined;
  /** The generation's file at the last look: its name (for its rank among the generations) and content size. */
  private where: { name: string; size: number } | undefined;
  /** The generation is a copy (copytruncate) or a .gz: nothing writes to it, no wait at its end. */
  private frozen = false;
  /** The last generation finished while no next one existed yet (the path was gone). */
  private after: { name: string; dev: string; ino: string } | undefined;
  private fresh: boolean;
  /** Files of the family at a first look that found nothing at the path. */
  private before: Set<string> | undefined;
  private idleSince: number | undefined;
  private drainSize = -1;
  /** The position after the last bytes read, kept when the generation it belongs to ends. */
  private lastRead: Position | undefined;
  private readonly losses: FileLoss[] = [];
  private behind = 0;
  private caughtUpAt: number;
  private readonly splitter;
  private readonly parser;
  private readonly joiner = createMultilineJoiner();
  /** Where each framed line not yet handed out starts and ends (with its file's identity), by line number. */
  private readonly lines = new LineSpans();
  private readonly maxRead: number;
  private readonly rotateWait: number;
  /** Where records completed by a skipped line go: the list of the feed or flush under way. */
  private sink: LogRecord[] = [];

  constructor(private readonly opts: FileFollowOptions, private readonly clock: Clock = systemClock) {
    this.maxRead = opts.maxReadBytes ?? 1024 * 1024;
    this.rotateWait = opts.rotateWaitMs ?? 5000;
    this.splitter = createLineSplitter(opts.maxLineBytes === undefined ? {} : { maxLineBytes: opts.maxLineBytes });
    const wanted = opts.wanted;
    // Lines that name no service (Python logging, `docker logs`) take the one the file name suggests, as in `analyze`.
    const defaultService = serviceFromFileName(opts.path);
    this.parser = createRecordParser(
      { file: opts.path, referenceMs: clock.now(), ...(defaultService === undefined ? {} : { defaultService }) },
      wanted === undefined ? undefined : { wanted, open: () => this.joiner.open(), skipped: (line) => this.skip(line.line), ...(opts.wantedBytes === undefined ? {} : { wantedBytes: opts.wantedBytes, ...(opts.wantedLiterals === undefined ? {} : { wantedLiterals: opts.wantedLiterals }) }) },
    );
    this.caughtUpAt = clock.now();
    this.fresh = opts.cursor === undefined;
    if (opts.cursor !== undefined) {
      this.gen = { ...decodeFileCursor(opts.cursor) };
      this.lastRead = { ...this.gen };
    }
  }

  /** The position after the last line read (not necessarily handed out yet). */
  get position(): FileCursor | undefined {
    return this.gen && { ...this.gen };
  }

  /** False while a renamed-away generation is still being waited on (a catch-up run must not end then). */
  get settled(): boolean {
    return this.idleSince === undefined;
  }

  /** How far the reader is behind the file's end. */
  lag(): FileLag {
    return { bytes: this.behind, caughtUpAt: this.caughtUpAt };
  }

  /** Losses found since the last call (each also counted in stats). */
  takeLosses(): FileLoss[] {
    return this.losses.splice(0);
  }

  /**
   * One step: one look (more when a generation ends), returns the records now complete. At most about one read
   * (maxReadBytes) of lines per poll, two when a generation ended within it: a backlog is handed out in slices the caller processes before it polls again,
   * so the records and line positions alive at once stay bounded (8 reads at once ran an 80 MB heap out of memory).
   */
  async poll(): Promise<LogRecord[]> {
    const out: LogRecord[] = [];
    const start = this.stats.bytes;
    // Past the budget, one more look when a new generation was started and not looked at yet: its first bytes are
    // what finds it again if it is copied away (copytruncate) before the next poll.
    const more = () => this.stats.bytes - start < this.maxRead || this.gen?.fpLen === 0;
    try {
      for (let i = 0; i < MAX_STEPS && more(); i++) if (!(await this.step(out))) break;
    } catch (e) {
      // A later look failed (an SSH link dropped after a generation was read to its end): the position is past the
      // records of the earlier steps, so they are handed out now; the next poll's look meets the failure again.
      if (out.length === 0) throw e;
    }
    return out;
  }

  /**
   * Where a restart should resume once every record handed out so far has been processed: the start of the
   * first line still held (format sniffing, multi-line joining), else the read position. Prefer it to the last
   * record's cursor, which cannot move past lines that make no record yet and so may lag a rotation behind.
   */
  checkpoint(): string | undefined {
    const held = this.lines.firstStart();
    if (held !== undefined) return encodeFileCursor(held);
    const p = this.gen ?? this.lastRead;
    return p && encodeFileCursor(p);
  }

  /** Hands out the records held for format sniffing or multi-line joining (call when the file went quiet). */
  flush(): LogRecord[] {
    const out: LogRecord[] = [];
    this.sink = out;
    this.parser.end((r) => this.join(r, out));
    const last = this.joiner.flush();
    if (last) out.push(this.withCursor(last));
    return out;
  }

  /** One look and what follows from it; true when another step should follow at once. */
  private async step(out: LogRecord[]): Promise<boolean> {
    const path = this.opts.path;
    const g = this.gen;
    const look = await this.opts.access.look(path, g && { dev: g.dev, ino: g.ino, offset: g.offset, length: this.maxRead });
    const now = this.clock.now();
    const atPath = look.files.find((f) => f.path === path);
    this.exists = atPath !== undefined;
    if (g === undefined) return this.begin(look.files, atPath, now);
    const d = look.data;
    // Renamed between the listing and the open (a rotation at that very moment): the next look finds it.
    if (look.raced === true) return false;
    if (d === undefined) return this.vanished(g, look.files, out);
    const live = d.file.path === path;
    const headOk = g.fpLen === 0 || (d.head.length >= g.fpLen && fingerprintOf(d.head.subarray(0, g.fpLen)) === g.fingerprint);
    if (!headOk || d.size < g.offset) return this.truncated(g, d.file, look.files, out);
    if (d.head.length > g.fpLen) {
      g.fpLen = d.head.length;
      g.fingerprint = fingerprintOf(d.head);
    }
    this.where = { name: basename(d.file.path), size: d.size };
    const { consumed, rest } = this.consume(d.bytes, g, out);
    const atEnd = g.offset + rest >= d.size;
    if (live) {
      this.idleSince = undefined;
      if (rest > 0 && atEnd && this.opts.partialLastLine === "take") this.feed(d.bytes.subarray(consumed), g, true, out);
      this.setBehind(d.size - g.offset, now);
      return consumed > 0 && !atEnd;
    }
    // Renamed away: read on until it has been unchanged for rotateWaitMs at its end (its writer may not have reopened yet).
    if (consumed > 0 || d.size !== this.drainSize || this.idleSince === undefined) {
      this.idleSince = now;
      this.drainSize = d.size;
    }
    const newer = generationsAfter(path, look.files, { name: basename(d.file.path), dev: g.dev, ino: g.ino });
    this.setBehind(d.size - g.offset + newer.reduce((n, f) => n + f.size, 0), now);
    const wait = this.frozen || !isNewestRotated(path, look.files, d.file) ? 0 : this.rotateWait;
    if (!atEnd) return consumed > 0;
    if (now - this.idleSince < wait) return false;
    // Its writer is gone: an unterminated last line will never be finished, so it is a line.
    if (rest > 0) this.feed(d.bytes.subarray(consumed), g, true, out);
    return this.next(g, look.files, newer, out);
  }

  private setBehind(bytes: number, now: number): void {
    this.behind = Math.max(0, bytes);
    if (this.behind === 0) this.caughtUpAt = now;
  }

  /**
   * No generation being read: take the one after the last finished; at a first start, the file at the path (from
   * `startAt`) or, while there is none, the first generation that appears (even if it was rotated before we looked).
   */
  private begin(files: readonly FileStat[], atPath: FileStat | undefined, now: number): boolean {
    let first: FileStat | undefined;
    let offset = 0;
    if (this.after !== undefined) {
      const a = this.after;
      const still = files.find((f) => f.dev === a.dev && f.ino === a.ino && f.path !== this.opts.path);
      first = generationsAfter(this.opts.path, files, { name: still ? basename(still.path) : a.name, dev: "", ino: "" })[0] ?? atPath;
    } else if (this.fresh && atPath !== undefined && this.before === undefined) {
      first = atPath;
      offset = this.opts.startAt === "beginning" ? 0 : atPath.size;
    } else if (this.fresh) {
      // Nothing at the path at the first look: what was there then is history; anything that appears later is new.
      const before = (this.before ??= new Set(files.map((f) => `${f.dev}:${f.ino}`)));
      first = generationsAfter(this.opts.path, files.filter((f) => !before.has(`${f.dev}:${f.ino}`)), undefined)[0];
    } else first = atPath;
    if (first === undefined) {
      this.setBehind(0, now);
      return false;
    }
    this.fresh = false;
    this.after = undefined;
    this.start(first, offset);
    return true;
  }

  private start(file: FileStat, offset: number, frozen = false): void {
    this.gen = { dev: file.dev, ino: file.ino, offset, fpLen: 0, fingerprint: EMPTY_FINGERPRINT };
    this.where = { name: basename(file.path), size: file.size };
    this.frozen = frozen;
    this.idleSince = undefined;
    this.drainSize = -1;
  }

  /** The generation ended: hand out what it held, then go on with the next newer one (or wait for the path). */
  private next(g: Position, files: readonly FileStat[], newer: readonly FileStat[], out: LogRecord[]): boolean {
    out.push(...this.flush());
    this.stats.rotations += 1;
    this.lastRead = { ...g };
    const following = newer[0];
    if (following === undefined) {
      this.after = { name: this.where?.name ?? basename(this.opts.path), dev: g.dev, ino: g.ino };
      this.gen = undefined;
      this.where = undefined;
      this.idleSince = undefined;
      return files.some((f) => f.path === this.opts.path);
    }
    this.start(following, 0);
    return true;
  }

  /** A sibling with the generation's first bytes and at least its offset: a copy (copytruncate) or its .gz. */
  private async findCopy(g: Position, files: readonly FileStat[], exclude: { dev: string; ino: string }): Promise<{ file: FileStat; size: number } | undefined> {
    if (g.fpLen === 0) return undefined;
    const candidates = files.filter((f) => f.path !== this.opts.path && !(f.dev === exclude.dev && f.ino === exclude.ino) && (f.size >= g.offset || f.path.endsWith(".gz")));
    for (const f of candidates.slice(0, MAX_CANDIDATES)) {
      const d = (await this.opts.access.look(this.opts.path, { dev: f.dev, ino: f.ino, offset: 0, length: 0 })).data;
      if (d && d.size >= g.offset && d.head.length >= g.fpLen && fingerprintOf(d.head.subarray(0, g.fpLen)) === g.fingerprint) return { file: d.file, size: d.size };
    }
    return undefined;
  }

  /** The generation's inode is gone from the family: read on in its copy if there is one, else count what is lost. */
  private async vanished(g: Position, files: readonly FileStat[], out: LogRecord[]): Promise<boolean> {
    const copy = await this.findCopy(g, files, g);
    if (copy) {
      const offset = g.offset;
      const fp = { fpLen: g.fpLen, fingerprint: g.fingerprint };
      this.start(copy.file, offset, true);
      Object.assign(this.gen ?? {}, fp);
      this.where = { name: basename(copy.file.path), size: copy.size };
      return true;
    }
    this.lose(g, "deleted");
    const name = this.where?.name ?? basename(this.opts.path);
    return this.next(g, files, generationsAfter(this.opts.path, files, { name, dev: g.dev, ino: g.ino }), out);
  }

  /** The file shrank or its first bytes changed: copytruncate (read the copy first) or a truncation (it starts over). */
  private async truncated(g: Position, file: FileStat, files: readonly FileStat[], out: LogRecord[]): Promise<boolean> {
    this.stats.truncations += 1;
    const copy = await this.findCopy(g, files, g);
    if (copy) {
      const fp = { fpLen: g.fpLen, fingerprint: g.fingerprint };
      this.start(copy.file, g.offset, true);
      Object.assign(this.gen ?? {}, fp);
      this.where = { name: basename(copy.file.path), size: copy.size };
      return true;
    }
    this.lose(g, "truncated");
    out.push(...this.flush());
    this.start(file, 0);
    return true;
  }

  /** Bytes seen in the generation but never read are gone: count them (nothing seen unread: nothing provably lost). */
  private lose(g: Position, reason: FileLoss["reason"]): void {
    const bytes = this.where === undefined ? 0 : this.where.size - g.offset;
    if (bytes <= 0) return;
    this.stats.lostGenerations += 1;
    this.stats.lostBytes += bytes;
    this.losses.push({ file: this.where?.name ?? basename(this.opts.path), dev: g.dev, ino: g.ino, bytes, reason });
  }

  /** Hands out the whole lines of `bytes` (read at g.offset); returns how many bytes that took and how many are left. */
  private consume(bytes: Buffer, g: Position, out: LogRecord[]): { consumed: number; rest: number } {
    if (bytes.length === 0) return { consumed: 0, rest: 0 };
    let end = bytes.lastIndexOf(0x0a) + 1;
    // A line longer than a whole read is cut there (the splitter caps it anyway); otherwise wait for its "\n".
    if (end === 0 && bytes.length >= this.maxRead) end = bytes.length;
    if (end > 0) this.feed(bytes.subarray(0, end), g, bytes[end - 1] !== 0x0a, out);
    return { consumed: end, rest: bytes.length - end };
  }

  private feed(bytes: Buffer, p: Position, cut: boolean, out: LogRecord[]): void {
    this.sink = out;
    const base = p.offset;
    // The generation's identity once per read, shared by its lines (issue 18: nothing allocated per line here).
    const gen = { dev: p.dev, ino: p.ino, fpLen: p.fpLen, fingerprint: p.fingerprint };
    let nl = -1;
    let lineStart = base;
    const onRecord = (r: LogRecord) => this.join(r, out);
    const onLine = (raw: RawLine) => {
      nl = bytes.indexOf(0x0a, nl + 1);
      const endOffset = base + (nl === -1 ? bytes.length : nl + 1);
      this.lines.add(raw.lineNo, gen, lineStart, endOffset);
      lineStart = endOffset;
      this.stats.lines += 1;
      this.parser.push(raw, onRecord);
    };
    // A bare line is a span of `bytes` itself (the splitter keeps a Buffer as it is): its "\n" is right after it, or
    // after its "\r".
    const onBare = this.opts.wantedLiterals === undefined || this.opts.wantedBytes === undefined ? undefined : (chunk: Buffer, start: number, end: number, lineNo: number) => {
      nl = chunk[end] === 0x0a ? end : end + 1;
      const endOffset = base + nl + 1;
      this.lines.add(lineNo, gen, lineStart, endOffset);
      lineStart = endOffset;
      this.stats.lines += 1;
      this.parser.pushBare(chunk, start, end, lineNo, onRecord);
    };
    this.splitter.push(bytes, onLine, onBare);
    if (cut) this.splitter.end(onLine);
    this.stats.bytes += bytes.length;
    p.offset = base + bytes.length;
    this.lastRead = { ...p };
  }

  /** A line no rule can match stood alone: the event it completes is handed out, and the line is forgotten. */
  private skip(lineNo: number): void {
    const last = this.joiner.flush();
    if (last !== undefined) this.sink.push(this.withCursor(last));
    this.lines.dropThrough(lineNo);
    this.stats.skipped += 1;
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
    const end = this.lines.startOf(r.ref.endLine + 1) ?? this.lines.endOf(r.ref.endLine);
    this.lines.dropThrough(r.ref.endLine);
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
