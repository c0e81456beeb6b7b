// "Critical Issues Identified": per finding its Problem, Root Cause, Evidence (verbatim lines) and table.
import type { Evidence, Finding, FindingTable } from "../correlate/index.js";
import { describeCadence, type TimeFormat } from "./clock-format.js";
import { codeBlock, escapeInline, renderTable } from "./escape.js";
import { fillOrUnknown, fillStrict } from "./fill.js";
import { ISSUE_EMOJI, type FindingView } from "./finding-view.js";

/**
 * The whole section body (without its "## " heading): one "### N." block per finding, firing ones first.
 * `evidenceMore` adds a block after a finding's Evidence (probe results); nothing when it gives undefined.
 */
export function renderIssues(views: readonly FindingView[], fmt: TimeFormat, evidenceMore?: (view: FindingView) => string | undefined): string {
  if (views.length === 0) return "No findings in this incident.";
  return views.map((v) => renderIssue(v, fmt, evidenceMore)).join("\n\n---\n\n");
}

function renderIssue(view: FindingView, fmt: TimeFormat, evidenceMore: ((view: FindingView) => string | undefined) | undefined): string {
  const { finding, knowledge } = view;
  const parts = [`### ${view.number}. ${ISSUE_EMOJI[finding.severity]} **${view.title}**${stateNote(finding, fmt)}`];

  const problem = filled(knowledge.problem, view);
  problem.push(occurrenceBullet(finding, fmt));
  if (finding.recoveredAt !== undefined) problem.push(`Recovered at ${fmt.stamp(finding.recoveredAt)}: a recovery line followed the last occurrence`);
  parts.push(`**Problem:**\n${bullets(problem)}`);

  const causes = filled(knowledge.root_causes, view);
  parts.push(`**Root Cause:**\n${bullets(causes.length > 0 ? causes : ["unknown: the rule names no root cause"])}`);

  parts.push(`**Evidence:**\n${renderEvidence(finding)}`);
  const more = evidenceMore?.(view);
  if (more !== undefined) parts.push(more);
  if (finding.table) parts.push(renderFindingTable(finding.table, view));
  return parts.join("\n\n");
}

/** Observed findings are shown, but marked: below the rule's threshold, or recovered since. */
function stateNote(finding: Finding, fmt: TimeFormat): string {
  if (finding.state === "firing") return "";
  if (finding.recoveredAt !== undefined) return ` (observed, recovered at ${fmt.stamp(finding.recoveredAt)})`;
  return " (observed, below threshold)";
}

/** Fills prose templates; a bullet whose placeholder has no value is dropped, never printed raw. */
export function filled(templates: readonly string[], view: FindingView): string[] {
  const out: string[] = [];
  for (const t of templates) {
    const line = fillStrict(t, view.values, escapeInline);
    if (line !== undefined) out.push(line);
  }
  return out;
}

export function bullets(lines: readonly string[]): string {
  return lines.map((l) => `- ${l}`).join("\n");
}

/** "Seen **485** times between A and B, every ~9 s for 1 h 15 min": the figures the correlator measured. */
export function occurrenceBullet(finding: Finding, fmt: TimeFormat): string {
  const { count, firstSeen, lastSeen, cadence } = finding;
  if (count === 1) return `Seen **once**, at ${fmt.stamp(firstSeen)}`;
  let text = `Seen **${count}** times`;
  if (firstSeen === undefined && lastSeen === undefined) return `${text} (times unknown: the lines carry no timestamp)`;
  const [first, last] = [fmt.stamp(firstSeen), fmt.stamp(lastSeen)];
  text += first === last ? ` at ${first}` : ` between ${first} and ${last}`;
  if (cadence) text += `, ${describeCadence(cadence)}`;
  return text;
}

/** The kept lines, verbatim, each under a `# file:line` comment, in a fence no line can close. */
function renderEvidence(finding: Finding): string {
  const ev = finding.evidence;
  if (ev.length === 0) return "No log lines were kept for this finding.";
  const lines: string[] = [];
  if (finding.count > ev.length) lines.push(`# ${ev.length} of ${finding.count} lines (the first and the last), verbatim`);
  for (const e of ev) lines.push(`# ${location(e)}`, e.text);
  return codeBlock(lines.join("\n"));
}

export function location(e: Evidence): string {
  const { file, line, endLine } = e.ref;
  return endLine > line ? `${file}:${line}-${endLine}` : `${file}:${line}`;
}

/** "**Affected Files (6 unique, 20 failed jobs):**" and the finding's table, with what max_rows left out. */
function renderFindingTable(table: FindingTable, view: FindingView): string {
  const unique = table.rows.length + table.omitted;
  const countLabel = table.columns[1];
  const counts = table.rows.map((r) => Number(r[1]));
  const numeric = countLabel !== undefined && table.rows.length > 0 && counts.every((n) => Number.isInteger(n) && n >= 0);
  let summary = `${unique} unique`;
  if (table.omitted > 0) summary += `; the first ${table.rows.length} shown`;
  else if (numeric) summary += `, ${counts.reduce((a, b) => a + b, 0)} ${escapeInline(countLabel.toLowerCase())}`;
  const title = fillOrUnknown(table.title, view.values, escapeInline);
  const out = [`**${title} (${summary}):**`, renderTable(table.columns, table.rows)];
  if (table.omitted > 0) out.push(`${table.omitted} more ${table.omitted === 1 ? "row" : "rows"} not shown.`);
  return out.join("\n\n");
}
