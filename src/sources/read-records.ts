// Reads inputs for `analyze`: open → frame → decode → detect/parse → join, with counts of what was read and lost.
import { IDLE, withIdleMarks } from "./idle.js";
import type { JoinOptions, LineIssue, LogFormat, LogRecord, RawLine, Skim, SkimmedLine } from "../parsers/index.js";
import { createFrameStats, createLineSplitter, createMultilineJoiner, createRecordParser, LINE_ISSUES } from "../parsers/index.js";
import type { OpenDeps } from "./files.js";
import { openInput } from "./files.js";
import type { InputFile } from "./paths.js";
import { serviceFromFileName } from "./paths.js";

/** What a read saw, readable while and after it runs (`--stats`). */
export interface ReadStats {
  files: number;
  /** Physical lines, empty ones included. */
  lines: number;
  /** Bytes after decompression, newlines included. */
  bytes: number;
  /** Records yielded (after multi-line joining). */
  records: number;
  readonly issues: Record<LineIssue, number>;
  /** The first place each issue was seen, "path:line", to show the user one example. */
  readonly samples: Partial<Record<LineIssue, string>>;
}

export function createReadStats(): ReadStats {
  return { files: 0, lines: 0, bytes: 0, records: 0, issues: { too_long: 0, invalid_utf8: 0, binary: 0, bad_json: 0 }, samples: {} };
}

export interface ReadOptions extends OpenDeps {
  /** Line cap in bytes (default DEFAULT_MAX_LINE_BYTES). */
  readonly maxLineBytes?: number;
  /** IANA time zone for stamps without an offset; default the process's zone. */
  readonly timeZone?: string;
  /** The clock: reference time for syslog years on stdin (files use their mtime, never later than the clock). */
  readonly now?: () => number;
  /**
   * Reference time for stamps without a year, for every input, instead of mtime / clock (`--reference-time`): no
   * such stamp is placed after it. A checkout sets mtimes to "now", so a "Dec 26" fixture would drift to another year.
   */
  readonly referenceMs?: number;
  /** A time the inputs are known to be from (a dated stamp of the run, see findYearHint): yearless stamps take the year nearest it. */
  readonly yearHintMs?: number;
  /** Kernel boot time for dmesg's seconds-since-boot stamps. */
  readonly bootTimeMs?: number;
  /** Parse every input as this format instead of detecting it (lines that do not fit still fall back per line). */
  readonly format?: LogFormat;
  readonly join?: JoinOptions;
  readonly signal?: AbortSignal;
  /**
   * A live pipe (`analyze --follow`): after this long without input, the records held back (format sniffing,
   * a multi-line event that may go on) are handed out instead of waiting for more lines or the end.
   */
  readonly idleFlushMs?: number;
  /** Filled in as the read goes; also the generator's return value. */
  readonly stats?: ReadStats;
  /**
   * The fast path: records only for the lines `wanted` says the rules may match (and the lines of joined events);
   * every other line is parsed for its time and handed to `skipped` with its file, never yielded.
   */
  readonly skim?: {
    readonly wanted: Skim["wanted"];
    readonly skipped: (file: string, line: SkimmedLine) => void;
    /** With it, a line the gate rules out on its bytes, whose parse could change nothing, is skipped unparsed (no time). */
    readonly wantedBytes?: Skim["wantedBytes"];
    /** The literals wantedBytes looks for: with them, clean lines are judged on their bytes before any is decoded. */
    readonly wantedLiterals?: Skim["wantedLiterals"];
  };
}

/**
 * LogRecords of every input in order, ref.file = the path ("-" for stdin); multi-line events joined per input.
 * Memory is bounded by the line cap, one chunk's records and the join limits, whatever the input size.
 */
export async function* readLogRecords(inputs: readonly InputFile[], opts: ReadOptions = {}): AsyncGenerator<LogRecord, ReadStats> {
  const stats = opts.stats ?? createReadStats();
  const now = opts.now ?? (() => Date.now());
  for (const input of inputs) {
    const frameStats = createFrameStats();
    const baseLines = stats.lines;
    const baseBytes = stats.bytes;
    stats.files += 1;
    // The per-line stages are synchronous: one await per chunk, not three per line.
    const splitter = createLineSplitter({ stats: frameStats, ...(opts.maxLineBytes === undefined ? {} : { maxLineBytes: opts.maxLineBytes }) });
    // Lines that name no service (Python logging, `docker logs`) take the one the file name suggests.
    const defaultService = input.kind === "file" ? serviceFromFileName(input.path) : undefined;
    const skim = opts.skim;
    const joiner = createMultilineJoiner(opts.join);
    const ready: LogRecord[] = [];
    const parser = createRecordParser({
      file: input.path,
      ...(defaultService === undefined ? {} : { defaultService }),
      // A file cannot hold lines from after it was last written, nor from the future (an mtime a checkout or a copy set).
      referenceMs: opts.referenceMs ?? Math.min(input.mtimeMs ?? Infinity, now()),
      ...(opts.yearHintMs === undefined ? {} : { yearHintMs: opts.yearHintMs }),
      stats: frameStats,
      ...(opts.timeZone === undefined ? {} : { timeZone: opts.timeZone }),
      ...(opts.bootTimeMs === undefined ? {} : { bootTimeMs: opts.bootTimeMs }),
      ...(opts.format === undefined ? {} : { format: opts.format }),
    }, skim === undefined ? undefined : {
      wanted: skim.wanted,
      ...(skim.wantedBytes === undefined ? {} : { wantedBytes: skim.wantedBytes }),
      ...(skim.wantedBytes === undefined || skim.wantedLiterals === undefined ? {} : { wantedLiterals: skim.wantedLiterals }),
      open: () => joiner.open(),
      skipped: (line) => {
        // The line would have completed the pending record and stood alone: complete it, count the line as a record.
        const last = joiner.flush();
        if (last !== undefined) ready.push(last);
        stats.records += 1;
        skim.skipped(input.path, line);
      },
    });
    const onRecord = (r: LogRecord) => {
      for (const done of joiner.push(r)) ready.push(done);
    };
    const onLine = (l: RawLine) => parser.push(l, onRecord);
    const onBare = skim?.wantedLiterals === undefined ? undefined : (chunk: Buffer, start: number, end: number, lineNo: number) => parser.pushBare(chunk, start, end, lineNo, onRecord);
    const drain = () => {
      splitter.end(onLine);
      parser.end(onRecord);
      const last = joiner.flush();
      if (last !== undefined) ready.push(last);
    };
    try {
      let failure: unknown;
      try {
        const chunks = openInput(input, opts.signal, opts.stdin === undefined ? {} : { stdin: opts.stdin });
        for await (const chunk of opts.idleFlushMs === undefined ? chunks : withIdleMarks(chunks, opts.idleFlushMs)) {
          opts.signal?.throwIfAborted();
          if (chunk === IDLE) {
            parser.end(onRecord);
            const held = joiner.flush();
            if (held !== undefined) ready.push(held);
            stats.records += ready.length;
            yield* ready;
            ready.length = 0;
            continue;
          }
          splitter.push(chunk, onLine, onBare);
          // Live totals, for a progress bar while a large file is read.
          stats.lines = baseLines + frameStats.lines;
          stats.bytes = baseBytes + frameStats.bytes;
          stats.records += ready.length;
          yield* ready;
          ready.length = 0;
        }
      } catch (e) {
        // A damaged input (broken gzip) still gives the records read before the damage, then its error.
        if (opts.signal?.aborted) throw e;
        failure = e;
      }
      drain();
      stats.records += ready.length;
      yield* ready;
      ready.length = 0;
      if (failure !== undefined) throw failure;
    } finally {
      stats.lines = baseLines + frameStats.lines;
      stats.bytes = baseBytes + frameStats.bytes;
      for (const issue of LINE_ISSUES) {
        stats.issues[issue] += frameStats.issues[issue];
        const first = frameStats.firstLine[issue];
        if (first !== undefined) stats.samples[issue] ??= `${input.path}:${first}`;
      }
    }
  }
  return stats;
}

/**
 * The newest time of any line of the inputs (files: they are read again), parsed as readLogRecords parses them; for a
 * run that skipped lines unparsed and finds an absence whose verdict waits on it.
 */
export async function latestLineTime(inputs: readonly InputFile[], opts: Omit<ReadOptions, "skim" | "stats" | "idleFlushMs">): Promise<number | undefined> {
  let latest: number | undefined;
  const see = (t: number | undefined) => {
    if (t !== undefined && (latest === undefined || t > latest)) latest = t;
  };
  // Every line is parsed (no wantedBytes) and none is wanted: records only for the lines of joined events.
  const skim = { wanted: () => false, skipped: (_file: string, line: SkimmedLine) => see(line.time) };
  for await (const r of readLogRecords(inputs, { ...opts, skim })) see(r.time);
  return latest;
}
