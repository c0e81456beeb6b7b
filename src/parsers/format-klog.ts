// Parses glog/klog lines (Kubernetes, many Go daemons): "E1107 12:34:56.789012    1234 server.go:42] msg" (no year).
import type { FormatParser } from "./parsed.js";
import { emptyParsed, toPid } from "./parsed.js";
import type { Level } from "./record.js";

const KLOG_RE = /^(?<level>[IWEF])(?<mo>\d{2})(?<d>\d{2}) (?<h>\d{2}):(?<mi>\d{2}):(?<s>\d{2})\.(?<f>\d{6}) +(?<pid>\d{1,10}) (?<source>[\w.-]{1,128}:\d{1,7})\] (?<msg>.*)$/;
const KLOG_LEVELS: Readonly<Record<string, Level>> = { I: "info", W: "warn", E: "error", F: "fatal" };

/** glog's header: level letter, MMDD, time with microseconds, thread id, file:line; the year is inferred. */
export const parseKlog: FormatParser = (line, ctx) => {
  const g = KLOG_RE.exec(line)?.groups;
  if (g === undefined) return undefined;
  const mo = Number(g.mo);
  const d = Number(g.d);
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || Number(g.h) > 23 || Number(g.mi) > 59 || Number(g.s) > 60) return undefined;
  const p = emptyParsed("klog", g.msg ?? "");
  p.time = ctx.zone.toEpoch(ctx.yearFor(mo, d), mo, d, Number(g.h), Number(g.mi), Number(g.s), Math.floor(Number(g.f) / 1000));
  p.level = KLOG_LEVELS[g.level ?? ""];
  p.pid = toPid(g.pid);
  p.fields.source = g.source ?? "";
  return p;
};
