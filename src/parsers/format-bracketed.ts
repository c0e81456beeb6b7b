// Parses Proxifier's "[10.30 16:49:06] chrome.exe - msg": a month.day stamp in brackets, no year.
import type { FormatParser } from "./parsed.js";
import { emptyParsed, sniffLevel } from "./parsed.js";

const PROXIFIER_RE = /^\[(?<mo>\d{2})\.(?<d>\d{2}) (?<h>\d{2}):(?<mi>\d{2}):(?<s>\d{2})\] (?<program>\S{1,128}) (?:\*64 )?- (?<msg>.*)$/;

export const parseProxifier: FormatParser = (line, ctx) => {
  const g = PROXIFIER_RE.exec(line)?.groups;
  if (g === undefined) return undefined;
  const mo = Number(g.mo);
  const d = Number(g.d);
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || Number(g.h) > 23 || Number(g.mi) > 59 || Number(g.s) > 60) return undefined;
  const p = emptyParsed("proxifier", g.msg ?? "");
  p.time = ctx.zone.toEpoch(ctx.yearFor(mo, d), mo, d, Number(g.h), Number(g.mi), Number(g.s), 0);
  p.fields.program = g.program ?? "";
  p.level = sniffLevel(p.message);
  return p;
};
