// Public surface of the parsers floor: bytes → capped lines → LogRecord, multi-line events joined.
export type { Level, LogFormat, LogRecord, SourceRef } from "./record.js";
/** The formats whose stamps carry no year (syslog, logcat...): their year is inferred. */
export { YEARLESS_FORMATS } from "./record.js";
/** frameLines splits bytes into capped lines (semantics in frame.ts's header); decodeLine never throws. */
export { DEFAULT_MAX_LINE_BYTES, LINE_ISSUES, countIssue, createFrameStats, createLineSplitter, decodeLine, frameLines, utf8SafeLength } from "./frame.js";
export type { FrameOptions, FrameStats, LineIssue, LineSplitter, RawLine } from "./frame.js";
/** parseLines detects a stream's format from its first lines and parses every line into a LogRecord. */
export { createParseContext, createRecordParser, parseLines } from "./parse-lines.js";
export type { ParseLinesOptions, RecordParser, Skim, SkimmedLine } from "./parse-lines.js";
/** detectFormat guesses a format from sample lines; parseLine parses one line with per-line fallback. */
export { detectFormat, parseLine, SNIFF_LINES } from "./detect-format.js";
export type { ParseContext, ParsedLine } from "./parsed.js";
/** joinMultiline folds tracebacks, panics and stack traces into one record; the joiner also flushes on demand. */
export { createMultilineJoiner, joinMultiline } from "./join-multiline.js";
export type { JoinOptions, MultilineJoiner } from "./join-multiline.js";
/** The structured fields whose text rules match beside a record's text (err.message, error, exc_info...). */
export { ERROR_KEYS, ERROR_TEXT_LEAVES, MAX_ERROR_TEXTS } from "./error-fields.js";
/** Time zones and year inference for stamps that lack them. */
export { createYearInferrer, createZone, defaultTimeZone, parseIsoTime } from "./timestamp.js";
export type { CalendarDate, YearReference, Zone } from "./timestamp.js";
/**
 * byteLaneFor(literals): one automaton over a line's bytes for the gate's literals and what makes a line need its parse;
 * its `wanted` is the gate's byte verdict (for the bytes of a decoded line, what the string prefilter says of its text).
 */
export { byteLaneFor, type ByteLane } from "./byte-lane.js";
