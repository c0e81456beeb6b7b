// Parses lines that open with a dated stamp and no host: log4j/logback, Spark, HDFS, OpenStack, Windows CBS, Go, zap.
import type { FormatParser, ParseContext, ParsedLine } from "./parsed.js";
import { emptyParsed, levelFromWord, sniffLevel, toPid } from "./parsed.js";
import { fractionToMs, offsetToMs } from "./timestamp.js";

/**
 * The stamps, each anchored at the start (after an optional "nova-api.log.1.2017-05-16_13:53:08 " file-name token,
 * which Loghub's OpenStack sample puts first):
 * - ISO 8601 with "T" or a space, "," or "." fraction, optional offset: logback/log4j `%d` ("2015-10-18 18:01:47,978"),
 *   OpenStack ("2017-05-16 00:00:00.008"), Windows CBS ("2016-09-28 04:30:30,"), zap's console encoder ("...Z\tERROR").
 * - Go's log package: "2009/11/10 23:00:00" (optionally ".000000").
 * - HealthApp: "20171223-22:15:29:606|" (fields unpadded: "22:16:0:11" is 22:16:00.011).
 * - log4j `yy/MM/dd HH:mm:ss` (Spark) and HDFS's `yyMMdd HHmmss`: only before a level word, since two-digit
 *   dates are ambiguous otherwise.
 */
const FILE_TOKEN = String.raw`(?:(?<file>[\w-]{1,64}\.log[\w.:-]{0,64}) )?`;
const ISO_RE = new RegExp(
  String.raw`^${FILE_TOKEN}(?<y>\d{4})-(?<mo>\d{2})-(?<d>\d{2})[T ](?<h>\d{2}):(?<mi>\d{2}):(?<s>\d{2})(?:[.,](?<f>\d{1,9}))?(?<off>Z|[+-]\d{2}:?\d{2})?(?<sep>,? |\t|\|)(?<rest>.*)$`,
);
const GO_RE = /^(?<y>\d{4})\/(?<mo>\d{2})\/(?<d>\d{2}) (?<h>\d{2}):(?<mi>\d{2}):(?<s>\d{2})(?:\.(?<f>\d{1,9}))? (?<rest>.*)$/;
const HEALTH_RE = /^(?<y>\d{4})(?<mo>\d{2})(?<d>\d{2})-(?<h>\d{1,2}):(?<mi>\d{1,2}):(?<s>\d{1,2}):(?<ms>\d{1,3})\|(?<rest>.*)$/;
const LEVEL_WORDS = "TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|SEVERE|FATAL|CRITICAL";
const SHORT_RE = new RegExp(String.raw`^(?<y>\d{2})/(?<mo>\d{2})/(?<d>\d{2}) (?<h>\d{2}):(?<mi>\d{2}):(?<s>\d{2}) (?<rest>(?:${LEVEL_WORDS}) .*)$`);
const COMPACT_RE = new RegExp(String.raw`^(?<y>\d{2})(?<mo>\d{2})(?<d>\d{2}) (?<h>\d{2})(?<mi>\d{2})(?<s>\d{2}) (?<rest>(?:\d{1,10} )?(?:${LEVEL_WORDS}) .*)$`);

// What follows the stamp: an optional pid, a level word (bracketed or not), an optional [thread], a logger "name:".
const PID_RE = /^(\d{1,10}) /;
const LEVEL_RE = /^\[?([A-Za-z]{3,11})\]?(?:,? +|\t|:? +|$)/;
const THREAD_RE = /^\[[^\]\n]{0,256}\] /;
// A Java or Python logger ("org.apache.hadoop.mapred.Task:", "dfs.DataNode$PacketResponder:"): a module path, not a service.
const LOGGER_RE = /^([A-Za-z_$][\w$]*(?:\.[\w$]+)*): /;
// HealthApp: "Step_LSC|30002312|onStandStepChanged 3579".
const PIPED_RE = /^([^|\n]{1,128})\|(\d{1,10})\|(.*)$/;

const twoDigitYear = (yy: number) => (yy < 70 ? 2000 + yy : 1900 + yy);

interface Stamp {
  readonly y: number;
  readonly mo: number;
  readonly d: number;
  readonly h: number;
  readonly mi: number;
  readonly s: number;
  readonly ms: number;
  readonly off: string | undefined;
}

function valid(t: Stamp): boolean {
  return t.mo >= 1 && t.mo <= 12 && t.d >= 1 && t.d <= 31 && t.h <= 23 && t.mi <= 59 && t.s <= 60;
}

function toEpoch(t: Stamp, ctx: ParseContext): number {
  if (t.off !== undefined) return Date.UTC(t.y, t.mo - 1, t.d, t.h, t.mi, t.s, t.ms) - offsetToMs(t.off);
  return ctx.zone.toEpoch(t.y, t.mo, t.d, t.h, t.mi, t.s, t.ms);
}

/** Level, pid, thread and logger after the stamp; the message is what follows them. */
function afterStamp(p: ParsedLine, rest: string): void {
  let r = rest;
  const piped = PIPED_RE.exec(r);
  if (piped) {
    p.fields.component = (piped[1] ?? "").trim();
    p.pid = toPid(piped[2]);
    p.message = piped[3] ?? "";
    p.level = sniffLevel(p.message);
    return;
  }
  const pid = PID_RE.exec(r);
  if (pid) {
    p.pid = toPid(pid[1]);
    r = r.slice(pid[0].length);
  }
  const lvl = LEVEL_RE.exec(r);
  const level = lvl?.[1] === undefined ? undefined : levelFromWord(lvl[1]);
  if (lvl && level !== undefined) {
    p.level = level;
    r = r.slice(lvl[0].length).trimStart();
    const thread = THREAD_RE.exec(r);
    if (thread) {
      p.fields.thread = thread[0].slice(1, -2);
      r = r.slice(thread[0].length);
    }
    const logger = LOGGER_RE.exec(r);
    if (logger?.[1] !== undefined) {
      p.fields.logger = logger[1];
      r = r.slice(logger[0].length);
    }
  } else {
    p.level = sniffLevel(r);
  }
  p.message = r;
}

function stampOf(g: Record<string, string | undefined>, year: number): Stamp {
  return {
    y: year, mo: Number(g.mo), d: Number(g.d), h: Number(g.h), mi: Number(g.mi), s: Number(g.s),
    ms: g.ms === undefined ? fractionToMs(g.f) : Number(g.ms), off: g.off,
  };
}

/** A line that opens with one of the stamps above (and no host after it: syslog-iso and docker are tried first). */
export const parseStamped: FormatParser = (line, ctx) => {
  const m = ISO_RE.exec(line) ?? GO_RE.exec(line) ?? HEALTH_RE.exec(line);
  const short = m ? undefined : SHORT_RE.exec(line) ?? COMPACT_RE.exec(line);
  const g = (m ?? short)?.groups;
  if (g === undefined) return undefined;
  const stamp = stampOf(g, short ? twoDigitYear(Number(g.y)) : Number(g.y));
  if (!valid(stamp)) return undefined;
  const time = toEpoch(stamp, ctx);
  if (!Number.isFinite(time)) return undefined;
  const p = emptyParsed("stamped", "");
  p.time = time;
  if (g.file !== undefined) p.fields.file_name = g.file;
  afterStamp(p, g.rest ?? "");
  return p;
};
