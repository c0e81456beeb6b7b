// The markdown incident report in the documented format (seed 000): header, then ten sections separated by rules.
import { LOGGED_HOST_FIELD } from "../correlate/index.js";
import type { Incident } from "../incidents/index.js";
import type { Rule } from "../rules/index.js";
import { createTimeFormat, type TimeFormat } from "./clock-format.js";
import { escapeInline } from "./escape.js";
import { createFieldExtractor } from "./evidence-fields.js";
import { fillStrict, hasPlaceholder } from "./fill.js";
import { findingViews, SEVERITY_BADGE, STATUS_BADGE, type FindingView } from "./finding-view.js";
import { renderActions, renderAnalysis, renderDocs, renderImpact, renderNextSteps, renderPrevention } from "./markdown-guidance.js";
import { occurrenceBullet, renderIssues } from "./markdown-issues.js";
import { draftedAnalysis, draftedParagraph, draftedSteps, proseNote, type ReportProse } from "./markdown-prose.js";
import { renderTimeline } from "./markdown-timeline.js";
import { assignProbes, renderProbeBlock } from "./probe-evidence.js";
import type { AuditEntry, StoredProbe } from "../store/index.js";
import { renderKeyFigures, renderRemediation, type Lifecycle } from "./markdown-postmortem.js";
import { firewatchVersion } from "./version.js";

export interface MarkdownOptions {
  /** IANA zone for every time in the report (default UTC). */
  readonly timeZone?: string;
  /** "Reported By" (default: firewatch and its version). */
  readonly reportedBy?: string;
  /** The time of writing, epoch ms: the report's Date when the incident's lines carry no time. */
  readonly now?: number;
  /** Prose a model drafted (draftProse): replaces the Executive Summary and Next Steps, leads the Root Cause Analysis. */
  readonly prose?: ReportProse;
  /** Why a model that was asked for prose was not used: one line at the top of the Executive Summary. */
  readonly proseNote?: string;
  /** The incident's stored probe results: shown under each finding's Evidence (the rest after the last finding). */
  readonly probes?: readonly StoredProbe[];
  /** Immediate Actions of observed (below-threshold) findings too; by default only firing findings' are shown. */
  readonly allActions?: boolean;
  /** The stored lifecycle (live incidents): the report opens with its Key Figures. */
  readonly lifecycle?: Lifecycle;
  /** The incident's audit entries (store.listAudit({ target: id })): the Remediation section, and when it was fixed. */
  readonly audit?: readonly AuditEntry[];
}

/** The section headings, in the documented order. */
export const SECTION_TITLES = [
  "Executive Summary",
  "Critical Issues Identified",
  "Impact Assessment",
  "Timeline",
  "Immediate Actions Required",
  "Root Cause Analysis",
  "Prevention Measures",
  "Related Documentation",
  "Next Steps",
] as const;

/** Renders one incident as the report an on-call engineer would write; every figure comes from the incident. */
export function renderMarkdown(incident: Incident, rules: ReadonlyMap<string, Rule>, opts: MarkdownOptions = {}): string {
  const fmt = createTimeFormat(opts.timeZone);
  const views = findingViews(incident, rules, fmt);
  const model = opts.prose?.model ?? "";
  const summary = draftedParagraph(model, opts.prose?.executiveSummary, renderSummary(views, fmt));
  const bodies: Record<(typeof SECTION_TITLES)[number], string> = {
    "Executive Summary": opts.proseNote === undefined ? summary : `${proseNote(opts.proseNote)}\n\n${summary}`,
    "Critical Issues Identified": renderIssuesWithProbes(incident, rules, views, fmt, opts.probes ?? []),
    "Impact Assessment": renderImpact(views),
    Timeline: renderTimeline(views, fmt, createFieldExtractor(rules)),
    "Immediate Actions Required": renderActions(views, fmt, { allActions: opts.allActions === true }),
    "Root Cause Analysis": draftedAnalysis(model, opts.prose?.rootCauseAnalysis, renderAnalysis(views)),
    "Prevention Measures": renderPrevention(views),
    "Related Documentation": renderDocs(views),
    "Next Steps": draftedSteps(model, opts.prose?.nextSteps, renderNextSteps(views)),
  };
  const sections = SECTION_TITLES.map((t) => `## ${t}\n\n${bodies[t]}`);
  // Live: the figures a postmortem opens with come first, and what was done follows what should be done.
  const audit = opts.audit ?? [];
  const remediation = renderRemediation(audit, fmt);
  if (remediation !== undefined) sections.splice(SECTION_TITLES.indexOf("Immediate Actions Required") + 1, 0, `## Remediation\n\n${remediation}`);
  if (opts.lifecycle !== undefined) sections.unshift(`## Key Figures\n\n${renderKeyFigures(incident, opts.lifecycle, audit, fmt, opts.now ?? opts.lifecycle.createdAt)}`);
  return [renderHeader(incident, fmt, opts), ...sections].join("\n\n---\n\n") + "\n";
}

/** Critical Issues, with each probe result under the finding it belongs to; without probes exactly renderIssues. */
function renderIssuesWithProbes(incident: Incident, rules: ReadonlyMap<string, Rule>, views: readonly FindingView[], fmt: TimeFormat, probes: readonly StoredProbe[]): string {
  if (probes.length === 0) return renderIssues(views, fmt);
  const { byFinding, rest } = assignProbes(incident.findings, rules, probes, incident.host);
  const issues = renderIssues(views, fmt, (v) => renderProbeBlock("Probe results", byFinding.get(v.finding) ?? [], fmt));
  const other = renderProbeBlock(views.length === 0 ? "Probe results" : "Other probe results", rest, fmt);
  return other === undefined ? issues : `${issues}\n\n${other}`;
}

function renderHeader(incident: Incident, fmt: TimeFormat, opts: MarkdownOptions): string {
  const version = firewatchVersion();
  const reportedBy = opts.reportedBy ?? (version === undefined ? "firewatch" : `firewatch ${version}`);
  // Markdown hard line breaks (two trailing spaces), as in the documented format.
  const lines = [
    `**Date:** ${reportDate(incident, fmt, opts.now)}`,
    `**Severity:** ${badge(SEVERITY_BADGE[incident.severity])}`,
    `**Status:** ${badge(STATUS_BADGE[incident.status])}`,
    `**Reported By:** ${escapeInline(reportedBy)}`,
    `**Incident:** ${escapeInline(incident.id)} on host ${escapeInline(known(incident.host))}, service ${escapeInline(known(incident.service))}${loggedAs(incident)}`,
  ];
  return `# Incident Report: ${reportTitle(incident.title)}\n\n${lines.join("  \n")}`;
}

/** Live, a host the lines name that is not the source's host or an alias is flagged, not followed (docs/incidents.md). */
function loggedAs(incident: Incident): string {
  const names = [...new Set(incident.findings.flatMap((f) => (f.fields[LOGGED_HOST_FIELD] === undefined ? [] : [f.fields[LOGGED_HOST_FIELD]])))];
  if (names.length === 0) return "";
  return ` (its lines name host ${names.map(escapeInline).join(", ")}, which is not ${escapeInline(known(incident.host))} or one of its aliases)`;
}

/** An absent or empty value reads "unknown" (the grouping stage uses "" for a missing group value). */
function known(value: string | undefined): string {
  return value === undefined || value === "" ? "unknown" : value;
}

/** "🔴 **CRITICAL**": the emoji outside the bold, as in the documented format. */
function badge(text: string): string {
  const space = text.indexOf(" ");
  return `${text.slice(0, space)} **${text.slice(space + 1)}**`;
}

/**
 * The incident title, escaped. The grouping stage leaves unknown {names} in titles as they are; a report must
 * not show a raw placeholder, so they read "unknown" here.
 */
function reportTitle(title: string): string {
  const escaped = escapeInline(title);
  if (!hasPlaceholder(title)) return escaped;
  return escapeInline(title.replace(/\{[A-Za-z_][\w.-]*\}/g, "unknown"));
}

/** The day(s) the incident covers in the report's zone; without times, the day of writing; else "unknown". */
function reportDate(incident: Incident, fmt: TimeFormat, now: number | undefined): string {
  const first = incident.firstSeen ?? incident.lastSeen;
  const last = incident.lastSeen ?? incident.firstSeen;
  if (first === undefined || last === undefined) return now === undefined ? "unknown" : fmt.date(now);
  const a = fmt.date(first);
  const b = fmt.date(last);
  return a === b ? a : `${a} to ${b}`;
}

/** Key figures (numbers) inserted into a summary are bold, as in the documented format. */
function summaryValue(value: string): string {
  const escaped = escapeInline(value);
  return /^[+-]?\d[\d.,]*%?$/.test(value) ? `**${escaped}**` : escaped;
}

/** Executive Summary: one paragraph of the rules' summary templates; a finding without one gets a sentence of its figures. */
function renderSummary(views: readonly FindingView[], fmt: TimeFormat): string {
  if (views.length === 0) return "No findings in this incident.";
  const sentences = views.map((v) => {
    // A rule's summary states its condition as fact ("is in a crash loop"); only a firing finding has earned that.
    const template = v.finding.state === "firing" ? v.knowledge.summary : undefined;
    const text = template === undefined ? undefined : fillStrict(template, v.values, summaryValue);
    if (text !== undefined) return text.trim();
    const state = v.finding.state === "firing" ? "" : v.finding.recoveredAt !== undefined ? " (observed, recovered)" : " (observed, below threshold)";
    return `${v.title}${state}: ${lowerFirst(occurrenceBullet(v.finding, fmt))}.`;
  });
  return sentences.join(" ");
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}
