// Parses supercomputer logs that lead with epoch seconds: BGL and Thunderbird ("- 1117838570 2005.06.03 node ...") and HPC.
import type { FormatParser } from "./parsed.js";
import { emptyParsed, levelFromWord, sniffLevel } from "./parsed.js";
import { splitTag } from "./format-syslog.js";

// "- 1117838570 2005.06.03 R02-M1-N0-C:J12-U11 rest": alert label ("-" for none), epoch seconds, date, node.
const RAS_RE = /^(?<alert>-|[A-Z][A-Z_]{1,31}) (?<epoch>\d{9,10}) (?<date>\d{4}\.\d{2}\.\d{2}) (?<node>\S{1,128}) (?<rest>.*)$/;
// BGL after the node: "2005-06-03-15.42.50.675872 R02-M1-N0-C:J12-U11 RAS KERNEL INFO msg".
const BGL_RE = /^\d{4}-\d{2}-\d{2}-\d{2}\.\d{2}\.\d{2}\.(?<us>\d{6}) (?<loc>\S{1,128}) (?<type>[A-Z]{2,16}) (?<component>[A-Z_]{2,16}) (?<level>[A-Z]{3,8}) (?<msg>.*)$/;
// Thunderbird after the node: a syslog line "Nov 9 12:01:01 dn228/dn228 crond(pam_unix)[2915]: msg".
const TBIRD_RE = /^[A-Z][a-z]{2} {1,2}\d{1,2} \d{2}:\d{2}:\d{2} (?<host>\S{1,128}) (?<rest>.*)$/;
// HPC: "134681 node-246 unix.hw state_change.unavailable 1077804742 1 msg": log id, node, component, state, epoch, flag.
const HPC_RE = /^\d{1,12} (?<node>\S{1,128}) (?<component>\S{1,128}) (?<state>\S{1,128}) (?<epoch>\d{9,10}) (?<flag>-?\d) (?<msg>.*)$/;

/** BGL and Thunderbird: the epoch is UTC, so no zone is needed; BGL adds microseconds in its second stamp. */
export const parseRas: FormatParser = (line) => {
  const g = RAS_RE.exec(line)?.groups;
  if (g === undefined) return undefined;
  const p = emptyParsed("ras", g.rest ?? "");
  p.time = Number(g.epoch) * 1000;
  p.host = g.node;
  if (g.alert !== "-" && g.alert !== undefined) p.fields.alert = g.alert;
  const rest = g.rest ?? "";
  const bgl = BGL_RE.exec(rest)?.groups;
  if (bgl !== undefined) {
    p.time += Math.floor(Number(bgl.us) / 1000);
    p.fields.component = bgl.component ?? "";
    p.level = levelFromWord(bgl.level ?? "");
    p.message = bgl.msg ?? "";
    return p;
  }
  const tb = TBIRD_RE.exec(rest)?.groups;
  if (tb !== undefined) return splitTag(p, tb.rest ?? "");
  p.level = sniffLevel(rest);
  return p;
};

/** HPC (Loghub): the epoch in the fifth column. */
export const parseHpc: FormatParser = (line) => {
  const g = HPC_RE.exec(line)?.groups;
  if (g === undefined) return undefined;
  const p = emptyParsed("hpc", g.msg ?? "");
  p.time = Number(g.epoch) * 1000;
  p.host = g.node;
  p.fields.component = g.component ?? "";
  p.fields.state = g.state ?? "";
  p.level = sniffLevel(p.message);
  return p;
};
