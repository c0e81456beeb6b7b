// renderText: a short terminal summary, one block per incident and a one-line total; colour only when asked for.
import type { Finding } from "../correlate/index.js";
import type { Incident } from "../incidents/index.js";
import { ruleTitle, type Rule, type Severity } from "../rules/index.js";
import { createTimeFormat, describeCadence, type TimeFormat } from "./clock-format.js";
import { escapeTerminal } from "./escape.js";
import { fillOrUnknown, findingValues } from "./fill.js";

export interface TextOptions {
  /** ANSI colours; the CLI passes true only when stdout is a TTY (and NO_COLOR is unset). Default false. */
  readonly color?: boolean;
  /** IANA zone for times (default UTC). */
  readonly timeZone?: string;
  /** Rules, to show each finding's title; without them findings show their rule id only. */
  readonly rules?: ReadonlyMap<string, Rule>;
  /** How many fields to show per finding (default 4). */
  readonly maxFields?: number;
  /** Lines are wrapped to this many columns (default 100), continuing under their own indent. */
  readonly width?: number;
}

const WIDTH = 100;
// eslint-disable-next-line no-control-regex -- the escape is what it finds: colour codes take no columns.
const ANSI = /\u001b\[[0-9;]*m/g;
const visible = (s: string) => [...s.replace(ANSI, "")].length;

/**
 * Wraps one line to `width` columns: at the two-space gaps between its parts first (title, cadence, fields), then
 * at single spaces inside a part too long for a line. Continuations are indented four columns deeper than the line.
 * A single word wider than the width stays whole (a path is not cut in the middle).
 */
export function wrapLine(line: string, width: number): string[] {
  if (visible(line) <= width) return [line];
  const lead = line.length - line.trimStart().length;
  const indent = " ".repeat(lead + 4);
  const out: string[] = [];
  let current = line.slice(0, lead);
  let empty = true;
  const put = (piece: string, gap: string) => {
    if (!empty && visible(current) + gap.length + visible(piece) > width) {
      out.push(current);
      current = indent;
      empty = true;
    }
    current += (empty ? "" : gap) + piece;
    empty = false;
  };
  // [part, gap, part, gap, ...]: a part keeps the gap before it (padding that aligns columns stays).
  const pieces = line.trimStart().split(/(?<=\S)( {2,})(?=\S)/);
  for (let i = 0; i < pieces.length; i += 2) {
    const part = pieces[i] ?? "";
    const gap = pieces[i - 1] ?? "  ";
    if (visible(indent) + visible(part) <= width) put(part, gap);
    else part.split(" ").forEach((word, j) => put(word, j === 0 ? gap : " "));
  }
  out.push(current);
  return out;
}

const SEVERITY_COLOR: Readonly<Record<Severity, string>> = {
  critical: "\u001b[1;31m",
  high: "\u001b[31m",
  medium: "\u001b[33m",
  low: "\u001b[32m",
  info: "\u001b[36m",
};
const RESET = "\u001b[0m";
const DIM = "\u001b[2m";
/** Field values longer than this are cut with "…": the terminal summary points at the report, it does not replace it. */
const MAX_VALUE_CHARS = 60;

/** The terminal summary. Log-derived text is stripped of control characters, so a log line cannot drive the terminal. */
export function renderText(incidents: readonly Incident[], opts: TextOptions = {}): string {
  const fmt = createTimeFormat(opts.timeZone);
  const paint = (code: string, s: string) => (opts.color === true ? `${code}${s}${RESET}` : s);
  const blocks = incidents.map((i) => renderIncident(i, fmt, paint, opts));
  const text = [...blocks, total(incidents)].join("\n\n");
  return text.split("\n").flatMap((l) => wrapLine(l, opts.width ?? WIDTH)).join("\n") + "\n";
}

type Paint = (code: string, s: string) => string;

function renderIncident(incident: Incident, fmt: TimeFormat, paint: Paint, opts: TextOptions): string {
  const safe = escapeTerminal;
  const head = [
    incident.id,
    paint(SEVERITY_COLOR[incident.severity], incident.severity.toUpperCase()),
    incident.status,
    safe(incident.title),
  ].join("  ");
  const lines = [
    head,
    `  host ${safe(incident.host || "unknown")}  service ${safe(incident.service || "unknown")}`,
    `  first seen ${fmt.stamp(incident.firstSeen)}  last seen ${fmt.stamp(incident.lastSeen)}`,
  ];
  for (const f of incident.findings) lines.push(renderFinding(f, fmt, paint, opts));
  return lines.join("\n");
}

function renderFinding(f: Finding, fmt: TimeFormat, paint: Paint, opts: TextOptions): string {
  const state = f.state === "firing" ? paint(SEVERITY_COLOR[f.severity], "firing  ") : paint(DIM, "observed");
  const rule = opts.rules?.get(f.rule);
  const template = rule?.title === undefined ? undefined : ruleTitle(rule, f.state);
  // Unknown names read "unknown": the terminal never shows a raw placeholder either.
  const title = template === undefined ? "" : `  ${escapeTerminal(fillOrUnknown(template, findingValues(f, fmt), cut))}`;
  const fields = Object.entries(f.fields)
    .filter(([k, v]) => v !== "" && k !== "host" && k !== "service")
    .slice(0, opts.maxFields ?? 4)
    .map(([k, v]) => `${escapeTerminal(k)}=${escapeTerminal(cut(v))}`);
  const cadence = f.cadence ? `  ${describeCadence(f.cadence)}` : "";
  const tail = fields.length > 0 ? `\n      ${fields.join("  ")}` : "";
  return `  - ${state}  ${f.rule}  ×${f.count}${title}${cadence}${tail}`;
}

function cut(v: string): string {
  return v.length > MAX_VALUE_CHARS ? `${v.slice(0, MAX_VALUE_CHARS - 1)}…` : v;
}

/** "2 incidents (1 open, 1 observed), 3 findings (2 firing, 1 observed)". */
function total(incidents: readonly Incident[]): string {
  if (incidents.length === 0) return "No incidents.";
  const count = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  const byStatus = new Map<string, number>();
  for (const i of incidents) byStatus.set(i.status, (byStatus.get(i.status) ?? 0) + 1);
  const findings = incidents.flatMap((i) => i.findings);
  const firing = findings.filter((f) => f.state === "firing").length;
  const statuses = [...byStatus].map(([s, n]) => `${n} ${s}`).join(", ");
  return `${count(incidents.length, "incident")} (${statuses}), ${count(findings.length, "finding")} (${firing} firing, ${findings.length - firing} observed)`;
}
