// Parses Android logcat (threadtime) lines: "03-17 16:13:38.811  1702  2395 D WindowManager: msg" (no year).
import type { FormatParser, ParsedLine } from "./parsed.js";
import { emptyParsed, toPid } from "./parsed.js";
import type { Level } from "./record.js";

const LOGCAT_RE = /^(?<mo>\d{2})-(?<d>\d{2}) (?<h>\d{2}):(?<mi>\d{2}):(?<s>\d{2})\.(?<ms>\d{3}) +(?<pid>\d{1,10}) +(?<tid>\d{1,10}) (?<level>[VDIWEFA]) (?<tag>[^:\n]{0,128}?) ?: (?<msg>.*)$/;
const LOGCAT_LEVELS: Readonly<Record<string, Level>> = { V: "trace", D: "debug", I: "info", W: "warn", E: "error", F: "fatal", A: "fatal" };

/** logcat -v threadtime; the year comes from the stream's year inference, like syslog's. */
export const parseLogcat: FormatParser = (line, ctx): ParsedLine | undefined => {
  const g = LOGCAT_RE.exec(line)?.groups;
  if (g === undefined) return undefined;
  const mo = Number(g.mo);
  const d = Number(g.d);
  const h = Number(g.h);
  const mi = Number(g.mi);
  const s = Number(g.s);
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return undefined;
  const p = emptyParsed("logcat", g.msg ?? "");
  p.time = ctx.zone.toEpoch(ctx.yearFor(mo, d), mo, d, h, mi, s, Number(g.ms));
  p.pid = toPid(g.pid);
  p.level = LOGCAT_LEVELS[g.level ?? ""];
  p.fields.tag = (g.tag ?? "").trim();
  p.fields.tid = g.tid ?? "";
  return p;
};
