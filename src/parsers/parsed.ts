// What a format parser extracts from one line, the context it reads, and the normalisations all formats share.
import type { Level, LogFormat } from "./record.js";
import type { Zone } from "./timestamp.js";

/** The fields one line yields; `text` is set only when it differs from the physical line (JSON formats). */
export interface ParsedLine {
  format: LogFormat;
  message: string;
  time: number | undefined;
  host: string | undefined;
  service: string | undefined;
  pid: number | undefined;
  level: Level | undefined;
  fields: Record<string, string>;
  cursor?: string;
  /** For JSON formats: what rules match (the message), instead of the physical line. */
  text?: string;
  /** Texts of the line's error fields (err.message, err.stack, error, exc_info...), matched by rules beside the text. */
  errors?: string[];
}

/** Per-stream state a parser may read: the zone for stamps without offset, the year for stamps without one. */
export interface ParseContext {
  readonly zone: Zone;
  /** Year of a yearless stamp (syslog, logcat) of this month and day (stateful: rolls forward Dec → Jan). */
  readonly yearFor: (month: number, day: number) => number;
  /** Epoch ms of the kernel's boot, to place dmesg's "[ 1234.5678]" stamps; undefined leaves them without time. */
  readonly bootTimeMs: number | undefined;
}

export type FormatParser = (line: string, ctx: ParseContext) => ParsedLine | undefined;

export function emptyParsed(format: LogFormat, message: string): ParsedLine {
  return { format, message, time: undefined, host: undefined, service: undefined, pid: undefined, level: undefined, fields: {} };
}

const LEVEL_WORDS: Readonly<Record<string, Level>> = {
  fatal: "fatal", critical: "fatal", crit: "fatal", emerg: "fatal", emergency: "fatal", alert: "fatal", panic: "fatal",
  error: "error", err: "error", eror: "error", severe: "error", failure: "error",
  warning: "warn", warn: "warn", wrn: "warn",
  info: "info", information: "info", informational: "info", notice: "info", inf: "info",
  debug: "debug", dbg: "debug", verbose: "debug", fine: "debug",
  trace: "trace", trc: "trace", finer: "trace", finest: "trace", silly: "trace",
};

/** "ERROR", "warning", "Crit" → Level; undefined for words that are not levels. */
export function levelFromWord(word: string): Level | undefined {
  return LEVEL_WORDS[word.toLowerCase()];
}

/** pino / bunyan numeric levels: 10 trace, 20 debug, 30 info, 40 warn, 50 error, 60 fatal. */
export function levelFromPino(n: number): Level | undefined {
  if (n >= 60) return "fatal";
  if (n >= 50) return "error";
  if (n >= 40) return "warn";
  if (n >= 30) return "info";
  if (n >= 20) return "debug";
  if (n >= 10) return "trace";
  return undefined;
}

/** syslog / journald PRIORITY 0-7. */
export function levelFromPriority(p: number): Level | undefined {
  if (!Number.isInteger(p) || p < 0 || p > 7) return undefined;
  return p <= 2 ? "fatal" : p === 3 ? "error" : p === 4 ? "warn" : p <= 6 ? "info" : "debug";
}

// A level word at the start of a free-text message: "ERROR ...", "[WARN] ...", "level=error", "E1226 ..." is not one.
const LEADING_LEVEL_RE = /^\s*(?:\[|<)?(FATAL|CRITICAL|CRIT|ERROR|ERR|WARNING|WARN|INFO|NOTICE|DEBUG|TRACE)(?:\]|>)?(?=[\s:|-]|$)/i;
const LOGFMT_LEVEL_RE = /(?:^|\s)level=("?)(\w+)\1(?=\s|$)/;

/** The level a free-text message announces at its start (or as logfmt `level=`), if any. */
export function sniffLevel(message: string): Level | undefined {
  const m = LEADING_LEVEL_RE.exec(message);
  if (m?.[1]) return levelFromWord(m[1]);
  const l = LOGFMT_LEVEL_RE.exec(message);
  return l?.[2] ? levelFromWord(l[2]) : undefined;
}

/** "transcription-palantir.service" → "transcription-palantir"; other unit types keep their suffix. */
export function normalizeService(name: string): string {
  return name.endsWith(".service") ? name.slice(0, -".service".length) : name;
}

// systemd's own lines about a unit: "transcription-palantir.service: Scheduled restart job, ...".
const UNIT_NAME = String.raw`[\w@:.\\-]+\.(?:service|socket|timer|mount|scope|slice|target|path|swap|automount|device)`;
const UNIT_PREFIX_RE = new RegExp(`^(${UNIT_NAME}): `);
// systemd ≥ 249 names the unit in its job lines: "Started transcription-palantir.service - Description.".
const UNIT_JOB_RE = new RegExp(`^(?:Started|Stopped|Starting|Stopping|Reloading|Reloaded|Failed to start|Failed to stop|Dependency failed for) (${UNIT_NAME})(?: - |\\.{0,3}$)`);
const SYSTEMD_PROGRAMS = new Set(["systemd", "init"]);

/**
 * The service a syslog-style line is about: for systemd's own lines naming a unit ("unit: ..." or
 * "Started unit - ..."), that unit (and
 * `fields.unit` set to its full name); otherwise the program, normalised.
 */
export function serviceFor(program: string | undefined, message: string, fields: Record<string, string>): string | undefined {
  if (program !== undefined && SYSTEMD_PROGRAMS.has(program)) {
    const m = UNIT_PREFIX_RE.exec(message) ?? UNIT_JOB_RE.exec(message);
    if (m?.[1]) {
      fields.unit = m[1];
      return normalizeService(m[1]);
    }
  }
  return program === undefined ? undefined : normalizeService(program);
}

// "decision_data.backend.services.audio_processor", "org.apache.hadoop.mapred.Task", "uvicorn.error": a logger's path.
const MODULE_PATH_RE = /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$-]*)+$/;

/**
 * Whether a name is a logger's dotted module path rather than a service: a service is a unit, a container, an app's
 * `service`/`name` or the file, never the module that logged the line.
 */
export function isModulePath(name: string): boolean {
  return MODULE_PATH_RE.test(name);
}

/** A positive integer pid from text, or undefined. */
export function toPid(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d{1,10}$/.test(text)) return undefined;
  const n = Number(text);
  return n > 0 ? n : undefined;
}
