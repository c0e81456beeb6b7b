// Parses syslog-style lines: journalctl short / short-precise / short-iso, RFC 3164 and RFC 5424.
import type { FormatParser, ParseContext, ParsedLine } from "./parsed.js";
import { emptyParsed, levelFromPriority, serviceFor, sniffLevel, toPid } from "./parsed.js";
import { fractionToMs, MONTHS, offsetToMs } from "./timestamp.js";

// "<34>" (optional) "Dec 26 17:57:01" or "Dec 26 17:57:01.123456", host, rest.
const BSD_RE = /^(?:<(\d{1,3})>)?([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))? (\S+) ?(.*)$/;
// "2025-12-26T17:57:01-0500 host rest", also "+00:00", "Z" and fractions (short-iso-precise).
const ISO_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?(Z|[+-]\d{2}:?\d{2}) (\S+) ?(.*)$/;
// RFC 5424: "<34>1 2025-12-26T22:57:01.003Z host app procid msgid SD msg".
const RFC5424_RE = /^<(\d{1,3})>1 (\S+) (\S+) (\S+) (\S+) (\S+) (.*)$/;
// "prog[pid]: msg", "prog: msg", "sshd(pam_unix)[19939]: msg"; a program name has no spaces.
// The colon is followed by a space or the end: "rsky_ingester::labeler: msg" is a Rust target, not a tag.
// The name stops at "(" so the optional "(pam_unix)" has one place to start: no quadratic backtracking on "((((".
const TAG_RE = /^([^\s[\]:()]+(?:\([^)\s]*\))?)(?:\[(\d+)\])?:(?: |$)(.*)$/;
// "2025-...Z INFO app: msg" is an application's line (tracing, logback), not a host called INFO.
const LEVEL_AS_HOST_RE = /^(?:TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|FATAL|CRITICAL)$/;
// "kernel: [ 123.456789] msg": the monotonic stamp moves to fields, the message keeps the rest.
const KERNEL_MONO_RE = /^\[\s*(\d+\.\d+)\] ?(.*)$/;

/** Fills program, pid, service and message from the part after the host ("prog[pid]: msg"). */
export function splitTag(p: ParsedLine, rest: string): ParsedLine {
  const m = TAG_RE.exec(rest);
  if (!m) {
    p.message = rest;
    return p;
  }
  const program = m[1] ?? "";
  let message = m[3] ?? "";
  p.pid = toPid(m[2]);
  if (program === "kernel") {
    const k = KERNEL_MONO_RE.exec(message);
    if (k) {
      p.fields.monotonic = k[1] ?? "";
      message = k[2] ?? "";
    }
  }
  p.fields.program = program;
  p.service = serviceFor(program, message, p.fields);
  p.message = message;
  // Without a <PRI>, the program's own words are the only level there is ("Error: Failed to start server").
  p.level ??= sniffLevel(message);
  return p;
}

const parseBsd = (line: string, ctx: ParseContext): ParsedLine | undefined => {
  const m = BSD_RE.exec(line);
  if (!m) return undefined;
  const [, pri, mon, day, hh, mm, ss, frac, host, rest] = m;
  const month = MONTHS[mon ?? ""];
  const d = Number(day);
  if (month === undefined || d < 1 || d > 31 || Number(hh) > 23 || Number(mm) > 59 || Number(ss) > 60) return undefined;
  const p = emptyParsed(frac === undefined ? "syslog" : "syslog-precise", "");
  const year = ctx.yearFor(month, d);
  p.time = ctx.zone.toEpoch(year, month, d, Number(hh), Number(mm), Number(ss), fractionToMs(frac));
  p.host = host;
  if (pri !== undefined) p.level = levelFromPriority(Number(pri) & 7);
  return splitTag(p, rest ?? "");
};

const parseIso = (line: string): ParsedLine | undefined => {
  const m = ISO_RE.exec(line);
  if (!m) return undefined;
  const [, y, mo, d, hh, mm, ss, frac, off, host, rest] = m;
  // journalctl always writes "prog[pid]:" here; without it this is more likely "docker logs -t" text.
  if (!TAG_RE.test(rest ?? "") || LEVEL_AS_HOST_RE.test(host ?? "")) return undefined;
  const t = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(hh), Number(mm), Number(ss), fractionToMs(frac)) - offsetToMs(off ?? "Z");
  if (!Number.isFinite(t)) return undefined;
  const p = emptyParsed("syslog-iso", "");
  p.time = t;
  p.host = host;
  return splitTag(p, rest ?? "");
};

/** Skips RFC 5424 structured data ("-" or "[id k=\"v\"]..." with escaped quotes and brackets); returns the message. */
function afterStructuredData(s: string): string | undefined {
  if (s.startsWith("- ")) return s.slice(2);
  if (s === "-") return "";
  let i = 0;
  while (s[i] === "[") {
    let inQuote = false;
    for (i += 1; i < s.length; i++) {
      const c = s[i];
      if (c === "\\") i += 1;
      else if (c === '"') inQuote = !inQuote;
      else if (c === "]" && !inQuote) break;
    }
    if (i >= s.length) return undefined;
    i += 1;
  }
  if (i === 0) return undefined;
  return s[i] === " " ? s.slice(i + 1) : s.slice(i);
}

const parse5424 = (line: string): ParsedLine | undefined => {
  const m = RFC5424_RE.exec(line);
  if (!m) return undefined;
  const [, pri, stamp, host, app, procid, msgid, tail] = m;
  const iso = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/.exec(stamp ?? "");
  let message = afterStructuredData(tail ?? "");
  if (message === undefined) return undefined;
  if (message.startsWith("\uFEFF")) message = message.slice(1); // RFC 5424's BOM before a UTF-8 MSG
  const p = emptyParsed("syslog-iso", message);
  if (iso) {
    const [, y, mo, d, hh, mm, ss, frac, off] = iso;
    p.time = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(hh), Number(mm), Number(ss), fractionToMs(frac)) - offsetToMs(off ?? "Z");
  }
  const nil = (v: string | undefined) => (v === undefined || v === "-" ? undefined : v);
  p.host = nil(host);
  p.level = levelFromPriority(Number(pri) & 7);
  p.pid = toPid(nil(procid));
  const appName = nil(app);
  if (appName !== undefined) p.fields.program = appName;
  const id = nil(msgid);
  if (id !== undefined) p.fields.msgid = id;
  p.service = serviceFor(appName, message, p.fields);
  return p;
};

/** syslog and journalctl short / short-precise ("Dec 26 17:57:01[.123456] host prog[pid]: msg"). */
export const parseSyslog: FormatParser = (line, ctx) => parseBsd(line, ctx);

/** journalctl short-iso[-precise] and RFC 5424. */
export const parseSyslogIso: FormatParser = (line) => (line.startsWith("<") ? parse5424(line) : parseIso(line));
