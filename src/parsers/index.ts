// Public surface of the parsers floor: bytes → capped lines → LogRecord, multi-line events joined.
export type { Level, LogFormat, LogRecord, SourceRef } from "./record.js";
/** frameLines splits bytes into capped lines (semantics in frame.ts's header); decodeLine never throws. */
export { DEFAULT_MAX_LINE_BYTES, countIssue, createFrameStats, decodeLine, frameLines, utf8SafeLength } from "./frame.js";
export type { FrameOptions, FrameStats, LineIssue, RawLine } from "./frame.js";
