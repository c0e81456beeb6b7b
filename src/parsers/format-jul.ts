// Parses java.util.logging's SimpleFormatter header: "Dec 07, 2026 2:45:12 AM com.example.Server start" (the
// "SEVERE: message" line after it is joined to it by join-multiline).
import type { FormatParser } from "./parsed.js";
import { emptyParsed } from "./parsed.js";
import { MONTHS } from "./timestamp.js";

const JUL_RE = /^(?<mon>[A-Z][a-z]{2}) (?<d>\d{1,2}), (?<y>\d{4}) (?<h>\d{1,2}):(?<mi>\d{2}):(?<s>\d{2}) (?<ampm>[AP]M) (?<source>\S{1,256})(?: (?<method>\S{1,256}))?$/;

/** The level line SimpleFormatter writes after the header. */
export const JUL_LEVEL_LINE_RE = /^(?:SEVERE|WARNING|INFO|CONFIG|FINE|FINER|FINEST): /;

export const parseJul: FormatParser = (line, ctx) => {
  const g = JUL_RE.exec(line)?.groups;
  if (g === undefined) return undefined;
  const month = MONTHS[g.mon ?? ""];
  const h12 = Number(g.h);
  if (month === undefined || h12 < 1 || h12 > 12 || Number(g.mi) > 59 || Number(g.s) > 60) return undefined;
  const hour = (h12 % 12) + (g.ampm === "PM" ? 12 : 0);
  const p = emptyParsed("jul", line);
  p.time = ctx.zone.toEpoch(Number(g.y), month, Number(g.d), hour, Number(g.mi), Number(g.s), 0);
  p.fields.logger = g.source ?? "";
  if (g.method !== undefined) p.fields.method = g.method;
  return p;
};
