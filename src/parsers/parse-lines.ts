// Turns one stream's framed lines into LogRecords: decode, detect the format from the first lines, parse each.
import { detectFormat, parseLine, SNIFF_LINES } from "./detect-format.js";
import { mayJoin } from "./join-multiline.js";
import type { FrameStats, RawLine } from "./frame.js";
import { countIssue, createFrameStats, decodeLine } from "./frame.js";
import type { ParseContext, ParsedLine } from "./parsed.js";
import { normalizeService } from "./parsed.js";
import type { LogFormat, LogRecord } from "./record.js";
import { createYearInferrer, createZone, MONTHS, type YearInferrer } from "./timestamp.js";
import { createSnapshotReader, detectSnapshot, type SnapshotEntry, type SnapshotReader } from "./snapshot.js";
import { byteLaneFor, LANE_AT, LANE_EQUALS, LANE_INNER, LANE_PARSE, LANE_WANTED, type ByteLane } from "./byte-lane.js";

/** The largest epoch ms a Date can represent (ECMA-262: ±8.64e15). */
const MAX_TIME_MS = 8.64e15;

export interface ParseLinesOptions {
  /** Written into ref.file: the path, or "-" for stdin. */
  readonly file: string;
  /** IANA zone for stamps without an offset (syslog, Python asctime, dmesg -T); default: the process's zone. */
  readonly timeZone?: string;
  /** No stamp without a year (syslog, logcat) is placed after this day (file mtime, the clock, `--reference-time`). */
  readonly referenceMs: number;
  /** A time these logs are known to be from (a dated stamp elsewhere in the run): yearless stamps take the year nearest it. */
  readonly yearHintMs?: number;
  /** Kernel boot time, to place dmesg's seconds-since-boot stamps. */
  readonly bootTimeMs?: number;
  /** Skip detection and parse as this format (lines that do not fit still fall back per line). */
  readonly format?: LogFormat;
  /** Where bad_json is counted (the framing counts the other issues). */
  readonly stats?: FrameStats;
  /** The service of lines that name none (Python logging, `docker logs`): e.g. the one the file name suggests. */
  readonly defaultService?: string;
  readonly signal?: AbortSignal;
}

/** A line read but left unmaterialised by skimming: what the counts and the run's time need of it. */
export interface SkimmedLine {
  /** Its line number in the stream (RawLine.lineNo). */
  readonly line: number;
  readonly time: number | undefined;
  readonly host: string | undefined;
  readonly format: LogFormat;
  /** Judged on its bytes alone (Skim.wantedBytes): never parsed, so its time, host and own format are unknown. */
  readonly unparsed?: true;
}

/**
 * Skimming (the fast path of `analyze`): every line is still decoded and parsed (its time places the stream's yearless
 * stamps and the run's end), but a record is built only for a line the rules may match, or one that takes part in a
 * joined event; every other line is reported to `skipped` instead. The caller owns the multi-line joiner.
 */
export interface Skim {
  /**
   * Whether the rules could match this line: a wrong "maybe" costs time, a wrong "no" a signal. `bytes` are given when
   * they are the UTF-8 of `text` (every format but the JSON ones, whose text is their message).
   */
  wanted(line: {
    readonly bytes: Uint8Array | undefined;
    readonly text: string;
    readonly message: string;
    readonly errors: readonly string[] | undefined;
    readonly fields: Readonly<Record<string, string>>;
  }): boolean;
  /** Whether the joiner holds an event that a further line may continue: every line is a record then. */
  open(): boolean;
  /**
   * A line became no record; it would have been one of its own (the joiner's pending record is complete now). `line`
   * is the reader's to reuse after the call: read it, do not keep it (one object serves every unparsed line).
   */
  skipped(line: SkimmedLine): void;
  /**
   * For a reader that only counts the lines it skips (the daemon's file follower): whether the rules could match a line,
   * from its bytes alone. With it, a line whose parse could add nothing to that verdict (no key=value, JSON, compose
   * prefix or escape), that starts with no yearless stamp (every such stamp is parsed, in order: it places the next
   * ones' year) and that cannot take part in a joined event is judged on its bytes and never parsed; its SkimmedLine
   * has no time or host.
   */
  readonly wantedBytes?: (bytes: Uint8Array) => boolean;
  /**
   * The literal sets wantedBytes looks for (MatchGate.literals). With them, RecordParser.pushBare judges a line in one
   * walk over its bytes, for the rules and for what makes a line need its parse, before any Buffer or string is made.
   */
  readonly wantedLiterals?: readonly (readonly string[] | undefined)[];
}

/** A line whose parse may give fields or error texts of its own, or text unlike its bytes: JSON, RFC 5424, a BOM. */
const NEEDS_PARSE_RE = /^[{<\uFEFF]/;
/**
 * The streams whose lines' messages are parsed apart: a docker or compose message may be JSON ("{", with "\\" escapes)
 * after the stamp or the "name  | " prefix. Elsewhere "{", "\\" and "|" after a line's start are slices of the line
 * (logcat's "Intent { act=... }", HealthApp's "stamp|component|pid|message"), whose bytes the gate has read.
 */
const INNER_FORMATS: ReadonlySet<LogFormat> = new Set<LogFormat>(["docker", "compose"]);
const INNER_RE = /[{\\|]/;
/** key=value pairs become fields (and error texts) only as logfmt (a line starting lower-case) or a docker event (ISO stamp). */
const KEY_VALUE_RE = /^(?:[a-z]|\d{4}-\d\d-\d\dT)/;
const KEY_VALUE_FORMATS: ReadonlySet<LogFormat> = new Set<LogFormat>(["logfmt", "docker", "compose"]);
/**
 * What mayJoin looks for at the start of a line or of its message, looked for anywhere (the message may start
 * anywhere), and java.util.logging's header (a record its level line joins).
 */
const MAY_JOIN_RE = /Traceback \(most recent call last\):|\[FATAL PANIC OCCURRED\]|' panicked at |panic: |fatal error: |[Ee]rror(?::|\s*$)|^\s|^[A-Z][a-z]{2} \d{1,2}, \d{4} /;
const SPACE_AT_RE = /\sat \S/;
/** The endings of join-multiline.ts's FRAME_RE: ")", ":123", "]", "native", "<anonymous>". */
const FRAME_END_RE = /(?:[)\]]|:\d+|native|<anonymous>)$/;

/**
 * Whether a stack frame ("    at fn (file.js:1:2)", FRAME_RE) may start somewhere in this line, as a prefixed line's
 * message: whitespace + "at " + a non-space, and the line (its trailing whitespace aside) ending as a frame ends. A
 * message runs to the end of its line, so "connection from ... at Sat Jul  9 11:35:59 2005" needs no parse.
 */
function mayBeFrame(text: string): boolean {
  return SPACE_AT_RE.test(text) && FRAME_END_RE.test(text.trimEnd());
}
/** The shapes of the yearless stamps (syslog, logcat, klog, proxifier), each at the start of its line. */
const YEARLESS_RE = /^(?:([A-Z][a-z]{2}) |(\d\d)-\d\d |[IWEF](\d\d)\d\d |\[(\d\d)\.\d\d )/;

/**
 * Whether parsing this line could move the stream's year inference: false when it starts with no yearless stamp, or
 * with one of the month the last stamp had (no roll-over, no late line), whichever format then claims it.
 */
function movesYear(text: string, years: YearInferrer): boolean {
  const m = YEARLESS_RE.exec(text);
  if (m === null) return false;
  const month = m[1] !== undefined ? MONTHS[m[1]] : Number(m[2] ?? m[3] ?? m[4]);
  // A capitalised word that is no month ("Got ", "The ") is no stamp.
  if (month === undefined) return false;
  return !years.keeps(month);
}

const MONTH_CODES = new Map(Object.entries(MONTHS).map(([name, month]) => [(name.charCodeAt(0) << 16) | (name.charCodeAt(1) << 8) | name.charCodeAt(2), month]));
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const isUpper = (c: number) => c >= 0x41 && c <= 0x5a;
const isLower = (c: number) => c >= 0x61 && c <= 0x7a;

/** The first bytes of the line startNeedsParse looks at, -1 past its end: one buffer for every line, no allocation. */
const head = new Int16Array(11);
const at = (k: number): number => head[k] ?? -1;

/**
 * What the start of a line judged on its bytes (pushBare: no literal of LANE_PARSE in it) says: whether skimming must
 * parse it after all. The line-start parts of NEEDS_PARSE_RE (^{, ^<, a BOM), MAY_JOIN_RE (^\s, java.util.logging's
 * header), KEY_VALUE_RE and YEARLESS_RE with movesYear, on bytes; a start that is not plain ASCII is always parsed.
 */
function startNeedsParse(b: Uint8Array, start: number, end: number, fmt: LogFormat, equals: boolean, years: YearInferrer): boolean {
  for (let k = 0; k < head.length; k++) head[k] = start + k < end ? (b[start + k] ?? -1) : -1;
  const b0 = at(0);
  if (b0 <= 0x20 || b0 === 0x3c || b0 === 0x7b || b0 >= 0x80) return true;
  if (equals && (KEY_VALUE_FORMATS.has(fmt) || isLower(b0) ||
    (isDigit(b0) && isDigit(at(1)) && isDigit(at(2)) && isDigit(at(3)) && at(4) === 0x2d && isDigit(at(5)) && isDigit(at(6)) && at(7) === 0x2d && isDigit(at(8)) && isDigit(at(9)) && at(10) === 0x54))) return true;
  let month: number | undefined;
  if (isUpper(b0) && isLower(at(1)) && isLower(at(2)) && at(3) === 0x20) {
    // "Mmm d, yyyy " (a superset: the digits of the year are not looked at).
    if (isDigit(at(4)) && (at(5) === 0x2c || (isDigit(at(5)) && at(6) === 0x2c))) return true;
    month = MONTH_CODES.get((b0 << 16) | (at(1) << 8) | at(2));
  } else if (isDigit(b0) && isDigit(at(1)) && at(2) === 0x2d && isDigit(at(3)) && isDigit(at(4)) && at(5) === 0x20) {
    month = (b0 - 0x30) * 10 + at(1) - 0x30;
  } else if ((b0 === 0x49 || b0 === 0x57 || b0 === 0x45 || b0 === 0x46) && isDigit(at(1)) && isDigit(at(2)) && isDigit(at(3)) && isDigit(at(4)) && at(5) === 0x20) {
    month = (at(1) - 0x30) * 10 + at(2) - 0x30;
  } else if (b0 === 0x5b && isDigit(at(1)) && isDigit(at(2)) && at(3) === 0x2e && isDigit(at(4)) && isDigit(at(5)) && at(6) === 0x20) {
    month = (at(1) - 0x30) * 10 + at(2) - 0x30;
  }
  return month !== undefined && !years.keeps(month);
}

/** The index of the line's last byte that is no ASCII whitespace, or start - 1 when there is none. */
function lastNonSpace(b: Uint8Array, start: number, end: number): number {
  let j = end - 1;
  for (let c = b[j] ?? 0; j >= start && (c === 0x20 || (c >= 0x09 && c <= 0x0d)); c = b[j] ?? 0) j -= 1;
  return j;
}

/**
 * The line-end part of MAY_JOIN_RE, /[Ee]rror\s*$/, on bytes: "Error" or "error" before nothing but ASCII whitespace.
 * A line ending in a non-ASCII character (which may be a space of another kind) is always parsed.
 */
function endNeedsParse(b: Uint8Array, start: number, end: number): boolean {
  const j = lastNonSpace(b, start, end);
  if (j < start) return false;
  if ((b[j] ?? 0) >= 0x80) return true;
  const e = b[j - 4] ?? 0;
  return j - 4 >= start && (e === 0x45 || e === 0x65) && b[j - 3] === 0x72 && b[j - 2] === 0x72 && b[j - 1] === 0x6f && b[j] === 0x72;
}

/**
 * mayBeFrame's ending on bytes, for a line whose bytes hold whitespace + "at " (LANE_AT): after its trailing ASCII
 * whitespace, ")", "]", ":" and digits, "native" or "<anonymous>". A non-ASCII last character is always parsed.
 */
function frameEndBytes(b: Uint8Array, start: number, end: number): boolean {
  const j = lastNonSpace(b, start, end);
  if (j < start) return false;
  const last = b[j] ?? 0;
  if (last >= 0x80 || last === 0x29 || last === 0x5d) return true;
  if (isDigit(last)) {
    let k = j;
    while (k >= start && isDigit(b[k] ?? 0)) k -= 1;
    return k >= start && b[k] === 0x3a;
  }
  // "native" and "<anonymous>" end in "e" and ">": any other last byte ends no frame (no closure made per line).
  if (last === 0x65) return endsWithAscii(b, start, j, "native");
  return last === 0x3e && endsWithAscii(b, start, j, "<anonymous>");
}

/** Whether b[start, j] ends with `word` (ASCII). */
function endsWithAscii(b: Uint8Array, start: number, j: number, word: string): boolean {
  const from = j + 1 - word.length;
  if (from < start) return false;
  for (let i = 0; i < word.length; i++) if (b[from + i] !== word.charCodeAt(i)) return false;
  return true;
}

/** A bare line as the RawLine its span of the chunk is (clean, within the cap: nothing truncated). */
function spanLine(chunk: Buffer, start: number, end: number, lineNo: number): RawLine {
  return { bytes: chunk.subarray(start, end), lineNo, truncatedBytes: 0 };
}

/** Creates the per-stream context: a zone and a year inferrer that only this stream advances. */
export function createParseContext(opts: Pick<ParseLinesOptions, "timeZone" | "referenceMs" | "yearHintMs" | "bootTimeMs">): ParseContext & { readonly yearFor: YearInferrer } {
  const zone = createZone(opts.timeZone);
  return { zone, yearFor: createYearInferrer({ referenceMs: opts.referenceMs, hintMs: opts.yearHintMs }, zone), bootTimeMs: opts.bootTimeMs };
}

export interface RecordParser {
  /** Feeds one framed line; calls onRecord for each record ready (none while the format is being sniffed). */
  push(raw: RawLine, onRecord: (r: LogRecord) => void): void;
  /**
   * Feeds one line as bytes [start, end) of a chunk (LineSplitter's onBare: a whole, clean line within the cap). A line
   * skimming would leave unparsed and unwanted is judged on those bytes and held as its span; any other is pushed.
   */
  pushBare(chunk: Buffer, start: number, end: number, lineNo: number, onRecord: (r: LogRecord) => void): void;
  /** End of stream: releases the lines still held for sniffing. */
  end(onRecord: (r: LogRecord) => void): void;
}

/**
 * The synchronous core of parseLines. Blank lines make no record (they still count in line numbers).
 * Detection holds at most SNIFF_LINES non-empty lines (each already capped) before the first record.
 */
export function createRecordParser(opts: Omit<ParseLinesOptions, "signal">, skim?: Skim): RecordParser {
  const ctx = createParseContext(opts);
  const stats = opts.stats ?? createFrameStats();
  let lineNo = 0;
  const onIssue = (issue: "bad_json") => countIssue(stats, issue, lineNo);
  let format = opts.format;
  const pending: { text: string; raw: RawLine }[] = [];
  // A pasted status snapshot (docker ps, docker inspect, systemctl status) is read by its own reader; the lines it
  // does not claim are parsed as log lines.
  let snapshot: SnapshotReader | undefined;
  let snapshotFormat: LogFormat = "plain";

  const parse = (text: string, raw: RawLine, fmt: LogFormat): ParsedLine => {
    lineNo = raw.lineNo;
    // A UTF-8 byte-order mark (Windows tools) hides line 1's shape; parse without it, keep the text verbatim.
    return parseLine(raw.lineNo === 1 && text.startsWith("\uFEFF") ? text.slice(1) : text, fmt, ctx, onIssue);
  };
  const build = (text: string, raw: RawLine, p: ParsedLine): LogRecord => ({
    text: p.text ?? text,
    ...(p.text !== undefined && p.text !== text ? { raw: text } : {}),
    ...(p.errors === undefined ? {} : { errors: p.errors }),
    message: p.message,
    time: placeable(p.time),
    host: p.host,
    // The file names the service of a recognised format's lines; a line of no known shape could be anyone's.
    service: p.service ?? (p.format === "plain" ? undefined : opts.defaultService),
    pid: p.pid,
    level: p.level,
    fields: p.fields,
    format: p.format,
    ref: { file: opts.file, line: raw.lineNo, endLine: raw.lineNo },
    ...(p.cursor === undefined ? {} : { cursor: p.cursor }),
    truncatedBytes: raw.truncatedBytes,
  });
  const toRecord = (text: string, raw: RawLine, fmt: LogFormat): LogRecord => build(text, raw, parse(text, raw, fmt));

  // Skimming: the last line that would be a record of its own, held until the next line shows it continues nothing.
  // A line judged on its bytes is held unparsed (p undefined): parsed only if the next line makes it a record.
  let held: { text: string; raw: RawLine; p: ParsedLine | undefined; fmt: LogFormat } | undefined;
  // A line pushBare judged on its bytes is held as its span of the chunk (the chunk outlives it, as a RawLine's bytes
  // do): made a RawLine only if the next line makes it a record. At most one of held and heldSpan is set.
  // One object, refilled for each line held: most lines of a busy log pass through it.
  const span: { chunk: Buffer; start: number; end: number; lineNo: number; fmt: LogFormat } = { chunk: Buffer.alloc(0), start: 0, end: 0, lineNo: 0, fmt: "plain" };
  let heldSpan: typeof span | undefined;
  // What `skipped` is told of a held span: one object, refilled (issue 18: ~60 MB of garbage per 1M lines otherwise).
  const quiet: { line: number; time: undefined; host: undefined; format: LogFormat; unparsed: true } = { line: 0, time: undefined, host: undefined, format: "plain", unparsed: true };
  const lane: ByteLane | undefined = skim?.wantedBytes !== undefined && skim.wantedLiterals !== undefined ? byteLaneFor(skim.wantedLiterals) : undefined;
  const skimmed = (h: { raw: RawLine; p: ParsedLine | undefined; fmt: LogFormat }): SkimmedLine =>
    h.p === undefined ? { line: h.raw.lineNo, time: undefined, host: undefined, format: h.fmt, unparsed: true } : { line: h.raw.lineNo, time: placeable(h.p.time), host: h.p.host, format: h.p.format };
  const skimLine = (s: Skim, text: string, raw: RawLine, fmt: LogFormat, onRecord: (r: LogRecord) => void) => {
    // Issue 18: most lines of a busy log are neither candidates nor stamps that place a year: no parse for them.
    const quick = s.wantedBytes !== undefined && fmt !== "jul" && !NEEDS_PARSE_RE.test(text) && !(INNER_FORMATS.has(fmt) && INNER_RE.test(text)) && !(text.includes("=") && (KEY_VALUE_FORMATS.has(fmt) || KEY_VALUE_RE.test(text))) &&
      !MAY_JOIN_RE.test(text) && !mayBeFrame(text) && !movesYear(text, ctx.yearFor);
    const p = quick ? undefined : parse(text, raw, fmt);
    const joins = p !== undefined && mayJoin(p.format, p.text ?? text, p.message);
    letGo(s, joins, onRecord);
    if (p === undefined) {
      if (s.open() || s.wantedBytes?.(raw.bytes) === true) onRecord(toRecord(text, raw, fmt));
      else held = { text, raw, p: undefined, fmt };
      return;
    }
    if (joins || s.open() || s.wanted({ bytes: p.text === undefined ? raw.bytes : undefined, text: p.text ?? text, message: p.message, errors: p.errors, fields: p.fields })) {
      onRecord(build(text, raw, p));
    } else held = { text, raw, p, fmt };
  };
  /** The held line, now that the next one is known: a record if that one may continue it (the joiner decides), else skipped. */
  function letGo(s: Skim, joins: boolean, onRecord: (r: LogRecord) => void): void {
    if (held !== undefined) {
      const h = held;
      held = undefined;
      if (joins) onRecord(build(h.text, h.raw, h.p ?? parse(h.text, h.raw, h.fmt)));
      else s.skipped(skimmed(h));
    } else if (heldSpan !== undefined) {
      const { chunk, start, end, lineNo, fmt } = heldSpan;
      heldSpan = undefined;
      if (joins) {
        const raw = spanLine(chunk, start, end, lineNo);
        onRecord(toRecord(decodeLine(raw.bytes), raw, fmt));
      } else {
        quiet.line = lineNo;
        quiet.format = fmt;
        s.skipped(quiet);
      }
    }
  }
  const releaseHeld = (s: Skim) => letGo(s, false, () => undefined);

  const fromSnapshot = (e: SnapshotEntry): LogRecord => ({
    text: e.text,
    message: e.text,
    time: undefined,
    host: undefined,
    service: e.subject === undefined ? opts.defaultService : normalizeService(e.subject),
    pid: undefined,
    level: undefined,
    fields: e.fields,
    format: snapshotFormat,
    ref: { file: opts.file, line: e.firstLine, endLine: e.lastLine },
    truncatedBytes: 0,
  });
  const throughSnapshot = (reader: SnapshotReader, text: string, raw: RawLine, onRecord: (r: LogRecord) => void) => {
    const { entries, passThrough } = reader.push(text, raw.lineNo);
    for (const e of entries) onRecord(fromSnapshot(e));
    if (passThrough) onRecord(toRecord(text, raw, "plain"));
  };

  const release = (onRecord: (r: LogRecord) => void) => {
    const kind = opts.format === undefined ? detectSnapshot(pending.map((l) => l.text)) : undefined;
    if (kind !== undefined) {
      snapshot = createSnapshotReader(kind);
      snapshotFormat = kind;
      format = kind;
      for (const l of pending) throughSnapshot(snapshot, l.text, l.raw, onRecord);
      pending.length = 0;
      return;
    }
    // Sniffing gets its own context: it must not advance this stream's year inference.
    const fmt = detectFormat(pending.map((l) => (l.raw.lineNo === 1 ? l.text.replace(/^\uFEFF/, "") : l.text)), createParseContext(opts));
    format = fmt;
    for (const l of pending) onRecord(toRecord(l.text, l.raw, fmt));
    pending.length = 0;
  };

  const push = (raw: RawLine, onRecord: (r: LogRecord) => void): void => {
    const text = decodeLine(raw.bytes);
    if (!/\S/.test(text)) return;
    if (snapshot !== undefined) {
      throughSnapshot(snapshot, text, raw, onRecord);
      return;
    }
    if (format !== undefined) {
      if (skim !== undefined) skimLine(skim, text, raw, format, onRecord);
      else onRecord(toRecord(text, raw, format));
      return;
    }
    pending.push({ text, raw });
    if (pending.length >= SNIFF_LINES) release(onRecord);
  };

  return {
    push,
    pushBare(chunk, start, end, lineNo, onRecord) {
      const fmt = format;
      // What skimLine would do with the line, decided on its bytes: a line that would be parsed or wanted takes the
      // ordinary way; a quick, unwanted one lets the held line go as skipped and is held itself (or is a record of a
      // joined event that is still open).
      if (skim === undefined || lane === undefined || fmt === undefined || fmt === "jul" || snapshot !== undefined) {
        push(spanLine(chunk, start, end, lineNo), onRecord);
        return;
      }
      const flags = lane(chunk, start, end);
      if ((flags & (LANE_WANTED | LANE_PARSE)) !== 0 || ((flags & LANE_INNER) !== 0 && INNER_FORMATS.has(fmt)) || startNeedsParse(chunk, start, end, fmt, (flags & LANE_EQUALS) !== 0, ctx.yearFor) || endNeedsParse(chunk, start, end) ||
        ((flags & LANE_AT) !== 0 && frameEndBytes(chunk, start, end))) {
        push(spanLine(chunk, start, end, lineNo), onRecord);
        return;
      }
      letGo(skim, false, onRecord);
      if (skim.open()) {
        const raw = spanLine(chunk, start, end, lineNo);
        onRecord(toRecord(decodeLine(raw.bytes), raw, fmt));
      } else {
        span.chunk = chunk;
        span.start = start;
        span.end = end;
        span.lineNo = lineNo;
        span.fmt = fmt;
        heldSpan = span;
      }
    },
    end(onRecord) {
      if (skim !== undefined) releaseHeld(skim);
      if (format === undefined && pending.length > 0) release(onRecord);
      for (const e of snapshot?.end() ?? []) onRecord(fromSnapshot(e));
    },
  };
}

/** A stamp outside what Date can hold (a JSON "time": 1e300) would make every later toISOString throw: no time. */
function placeable(time: number | undefined): number | undefined {
  return time !== undefined && Math.abs(time) <= MAX_TIME_MS ? time : undefined;
}

/** LogRecords for one stream's lines: the format is detected from the first lines, then each line is parsed. */
export async function* parseLines(lines: AsyncIterable<RawLine>, opts: ParseLinesOptions): AsyncGenerator<LogRecord> {
  const parser = createRecordParser(opts);
  const ready: LogRecord[] = [];
  const collect = (r: LogRecord) => { ready.push(r); };
  for await (const raw of lines) {
    opts.signal?.throwIfAborted();
    parser.push(raw, collect);
    yield* ready;
    ready.length = 0;
  }
  parser.end(collect);
  yield* ready;
}
