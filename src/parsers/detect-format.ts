// Recognises a file's log format from its first lines, and parses each line with it (falling back per line).
import { hasNanoStamp, parseCompose, parseDocker } from "./format-docker.js";
import { parseDmesg } from "./format-dmesg.js";
import { parseJsonLine, parseJsonObject } from "./format-json.js";
import { parsePython } from "./format-python.js";
import { parseSyslog, parseSyslogIso } from "./format-syslog.js";
import { parseProxifier } from "./format-bracketed.js";
import { parseHpc, parseRas } from "./format-epoch.js";
import { parseJul } from "./format-jul.js";
import { parseKlog } from "./format-klog.js";
import { parseLogcat } from "./format-logcat.js";
import { parseLogfmt } from "./format-logfmt.js";
import { parseStamped } from "./format-stamped.js";
import type { FormatParser, ParseContext, ParsedLine } from "./parsed.js";
import { emptyParsed, sniffLevel } from "./parsed.js";
import type { LogFormat } from "./record.js";

const parsePlain = (line: string): ParsedLine => {
  const p = emptyParsed("plain", line);
  p.level = sniffLevel(line);
  return p;
};

const BY_FORMAT: Readonly<Record<LogFormat, FormatParser>> = {
  plain: parsePlain,
  syslog: parseSyslog,
  "syslog-precise": parseSyslog,
  "syslog-iso": parseSyslogIso,
  "journal-json": parseJsonLine,
  json: parseJsonLine,
  docker: parseDocker,
  compose: parseCompose,
  python: parsePython,
  dmesg: parseDmesg,
  apache: parseDmesg,
  stamped: parseStamped,
  logfmt: parseLogfmt,
  jul: parseJul,
  logcat: parseLogcat,
  klog: parseKlog,
  proxifier: parseProxifier,
  ras: parseRas,
  hpc: parseHpc,
  // Snapshots are read by parsers/snapshot.ts before per-line parsing; a line given one of these formats is plain.
  "docker-ps": parsePlain,
  "docker-inspect": parsePlain,
  "systemctl-status": parsePlain,
};

const isDigit = (c: string | undefined) => c !== undefined && c >= "0" && c <= "9";

/**
 * The formats a line can be without a file-level hint, most specific first; the first character picks the
 * candidates so a line costs one or two regexes. compose ("name  | msg") is too loose to guess per line.
 */
const BY_DIGIT_NANO: readonly FormatParser[] = [parseDocker, parseSyslogIso, parsePython, parseStamped];
const BY_DIGIT: readonly FormatParser[] = [parseSyslogIso, parsePython, parseDocker, parseStamped, parseLogcat, parseHpc];
const BY_UPPER: readonly FormatParser[] = [parseSyslog, parsePython, parseJul, parseKlog, parseRas];
const BY_LOWER: readonly FormatParser[] = [parseLogfmt, parseStamped];
const BY_BRACKET: readonly FormatParser[] = [parseDmesg, parseProxifier];
const BY_JSON: readonly FormatParser[] = [parseJsonLine];
const BY_ANGLE: readonly FormatParser[] = [parseSyslogIso, parseSyslog];
const BY_DASH: readonly FormatParser[] = [parseRas];
const NONE: readonly FormatParser[] = [];

function candidates(line: string): readonly FormatParser[] {
  const c = line[0];
  if (c === undefined) return NONE;
  if (c === "{") return BY_JSON;
  if (c === "<") return BY_ANGLE;
  if (c === "[") return BY_BRACKET;
  if (isDigit(c)) return hasNanoStamp(line) ? BY_DIGIT_NANO : BY_DIGIT;
  if (c >= "A" && c <= "Z") return BY_UPPER;
  if (c >= "a" && c <= "z") return BY_LOWER;
  if (c === "-") return BY_DASH;
  return NONE;
}

export type IssueSink = (issue: "bad_json") => void;

/** Parses one line as `format`, else as whatever it recognisably is, else as plain text; never throws. */
export function parseLine(line: string, format: LogFormat, ctx: ParseContext, onIssue?: IssueSink): ParsedLine {
  // A "plain" stream is one whose first lines had no known shape; its later lines may still have one.
  if (format !== "plain") {
    const own = BY_FORMAT[format](line, ctx);
    if (own) return own;
  }
  for (const parse of candidates(line)) {
    const p = parse(line, ctx);
    if (p) return p;
  }
  if (format === "compose") {
    const p = parseCompose(line, ctx);
    if (p) return p;
  }
  if (onIssue && parseJsonObject(line) === "bad") onIssue("bad_json");
  return parsePlain(line);
}

/** How many lines detectFormat reads before deciding. */
export const SNIFF_LINES = 20;

/**
 * The format most of the first non-empty lines parse as (ties go to the more specific format), or plain.
 * `ctx` should be a throwaway: sniffing must not advance the stream's year inference.
 */
export function detectFormat(lines: readonly string[], ctx: ParseContext): LogFormat {
  const votes = new Map<LogFormat, number>();
  let composeVotes = 0;
  let seen = 0;
  for (const line of lines) {
    if (line.trim() === "") continue;
    if (++seen > SNIFF_LINES) break;
    for (const parse of candidates(line)) {
      const p = parse(line, ctx);
      if (p) {
        votes.set(p.format, (votes.get(p.format) ?? 0) + 1);
        break;
      }
    }
    if (parseCompose(line, ctx)) composeVotes += 1;
  }
  let best: LogFormat = "plain";
  let bestVotes = 0;
  for (const [format, n] of votes) if (n > bestVotes) [best, bestVotes] = [format, n];
  // compose wins only when nearly every line has the "name  | " prefix: plain text with a "|" is common.
  if (composeVotes > bestVotes && composeVotes >= Math.ceil(seen * 0.8)) return "compose";
  return best;
}
