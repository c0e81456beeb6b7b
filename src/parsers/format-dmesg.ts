// Parses kernel ring buffer lines: dmesg "[ 1234.567890] msg" and dmesg -T "[Thu Nov  6 03:12:09 2025] msg" (and Apache's
// error log, which shares the -T stamp).
import type { FormatParser } from "./parsed.js";
import { emptyParsed, levelFromWord } from "./parsed.js";
import { MONTHS } from "./timestamp.js";

const MONO_RE = /^\[\s*(\d{1,10})\.(\d{1,9})\] ?(.*)$/;
const HUMAN_RE = /^\[(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) ([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) (\d{4})\] ?(.*)$/;
// Apache's error log shares dmesg -T's stamp but follows it with "[level]": not the kernel then.
const BRACKET_LEVEL_RE = /^\[(emerg|alert|crit|error|warn|notice|info|debug)\] ?/;

export const parseDmesg: FormatParser = (line, ctx) => {
  const mono = MONO_RE.exec(line);
  if (mono) {
    const [, sec, frac, message] = mono;
    const p = emptyParsed("dmesg", message ?? "");
    p.fields.monotonic = `${sec}.${frac}`;
    // Seconds since boot; without a boot time the event has no wall-clock time.
    if (ctx.bootTimeMs !== undefined) p.time = ctx.bootTimeMs + Math.floor(Number(`${sec}.${frac}`) * 1000);
    p.service = "kernel";
    return p;
  }
  const h = HUMAN_RE.exec(line);
  if (!h) return undefined;
  const [, mon, day, hh, mm, ss, year, rest] = h;
  const month = MONTHS[mon ?? ""];
  if (month === undefined) return undefined;
  const lvl = BRACKET_LEVEL_RE.exec(rest ?? "");
  const p = emptyParsed(lvl ? "apache" : "dmesg", rest ?? "");
  p.time = ctx.zone.toEpoch(Number(year), month, Number(day), Number(hh), Number(mm), Number(ss), 0);
  if (lvl?.[1]) p.level = levelFromWord(lvl[1]);
  else p.service = "kernel";
  return p;
};
