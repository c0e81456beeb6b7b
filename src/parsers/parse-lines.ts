// Turns one stream's framed lines into LogRecords: decode, detect the format from the first lines, parse each.
import { detectFormat, parseLine, SNIFF_LINES } from "./detect-format.js";
import type { FrameStats, RawLine } from "./frame.js";
import { countIssue, createFrameStats, decodeLine } from "./frame.js";
import type { ParseContext } from "./parsed.js";
import type { LogFormat, LogRecord } from "./record.js";
import { createYearInferrer, createZone } from "./timestamp.js";

export interface ParseLinesOptions {
  /** Written into ref.file: the path, or "-" for stdin. */
  readonly file: string;
  /** IANA zone for stamps without an offset (syslog, Python asctime, dmesg -T); default: the process's zone. */
  readonly timeZone?: string;
  /** Reference time for syslog stamps without a year (file mtime, or the clock for stdin). */
  readonly referenceMs: number;
  /** Kernel boot time, to place dmesg's seconds-since-boot stamps. */
  readonly bootTimeMs?: number;
  /** Skip detection and parse as this format (lines that do not fit still fall back per line). */
  readonly format?: LogFormat;
  /** Where bad_json is counted (the framing counts the other issues). */
  readonly stats?: FrameStats;
  readonly signal?: AbortSignal;
}

/** Creates the per-stream context: a zone and a year inferrer that only this stream advances. */
export function createParseContext(opts: Pick<ParseLinesOptions, "timeZone" | "referenceMs" | "bootTimeMs">): ParseContext {
  const zone = createZone(opts.timeZone);
  return { zone, yearFor: createYearInferrer(opts.referenceMs, zone), bootTimeMs: opts.bootTimeMs };
}

/**
 * LogRecords for one stream's lines. Blank lines make no record (they still count in line numbers).
 * Detection buffers at most SNIFF_LINES non-empty lines (each already capped) before the first record.
 */
export async function* parseLines(lines: AsyncIterable<RawLine>, opts: ParseLinesOptions): AsyncGenerator<LogRecord> {
  const ctx = createParseContext(opts);
  const stats = opts.stats ?? createFrameStats();
  const onIssue = (lineNo: number) => (issue: "bad_json") => countIssue(stats, issue, lineNo);
  let format = opts.format;
  const pending: { text: string; raw: RawLine }[] = [];

  const toRecord = (text: string, raw: RawLine, fmt: LogFormat): LogRecord => {
    const p = parseLine(text, fmt, ctx, onIssue(raw.lineNo));
    return {
      text: p.text ?? text,
      message: p.message,
      time: p.time,
      host: p.host,
      service: p.service,
      pid: p.pid,
      level: p.level,
      fields: p.fields,
      format: p.format,
      ref: { file: opts.file, line: raw.lineNo, endLine: raw.lineNo },
      ...(p.cursor === undefined ? {} : { cursor: p.cursor }),
      truncatedBytes: raw.truncatedBytes,
    };
  };

  for await (const raw of lines) {
    opts.signal?.throwIfAborted();
    const text = decodeLine(raw.bytes);
    if (!/\S/.test(text)) continue;
    if (format === undefined) {
      pending.push({ text, raw });
      if (pending.length < SNIFF_LINES) continue;
      format = detectFormat(pending.map((l) => l.text), createParseContext({ ...opts, referenceMs: opts.referenceMs }));
      for (const l of pending.splice(0)) yield toRecord(l.text, l.raw, format);
      continue;
    }
    yield toRecord(text, raw, format);
  }
  if (format === undefined && pending.length > 0) {
    const fmt = detectFormat(pending.map((l) => l.text), createParseContext(opts));
    for (const l of pending.splice(0)) yield toRecord(l.text, l.raw, fmt);
  }
}
