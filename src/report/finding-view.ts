// What the report sections need about each finding, computed once: its rule, title, template values and order.
import { Knowledge, ruleTitle, type Rule, type Severity } from "../rules/index.js";
import type { Finding } from "../correlate/index.js";
import type { Incident, IncidentStatus } from "../incidents/index.js";
import type { TimeFormat } from "./clock-format.js";
import { escapeInline } from "./escape.js";
import { fillOrUnknown, findingValues } from "./fill.js";

export interface FindingView {
  readonly finding: Finding;
  /** Undefined when the rule that made the finding is not loaded: the report then shows what the finding itself says. */
  readonly rule: Rule | undefined;
  readonly knowledge: Knowledge;
  /** 1-based position in "Critical Issues Identified" (firing findings first). */
  readonly number: number;
  /** Markdown-safe title: the rule's title with the finding's values, else the rule id. */
  readonly title: string;
  /** The same title as plain text (for the terminal). */
  readonly plainTitle: string;
  readonly values: Readonly<Record<string, string>>;
}

const NO_KNOWLEDGE: Knowledge = Knowledge.parse({});

/** Severity as the report header shows it (seed 000: "🔴 CRITICAL"). */
export const SEVERITY_BADGE: Readonly<Record<Severity, string>> = {
  critical: "🔴 CRITICAL",
  high: "🟠 HIGH",
  medium: "🟡 MEDIUM",
  low: "🟢 LOW",
  info: "ℹ️ INFO",
};

/** Incident status as the report header shows it: open and observed incidents are still being investigated. */
export const STATUS_BADGE: Readonly<Record<IncidentStatus, string>> = {
  open: "🔍 INVESTIGATING",
  observed: "🔍 INVESTIGATING",
  acknowledged: "🛠️ MITIGATING",
  resolved: "✅ RESOLVED",
};

/** The mark before each issue's title (seed 000: 🚨 for the crash loop, ❌ for the failed jobs). */
export const ISSUE_EMOJI: Readonly<Record<Severity, string>> = {
  critical: "🚨",
  high: "❌",
  medium: "⚠️",
  low: "🔸",
  info: "ℹ️",
};

/** Views of an incident's findings: firing ones first, then observed ones, each group in the incident's order. */
export function findingViews(incident: Incident, rules: ReadonlyMap<string, Rule>, fmt: TimeFormat): FindingView[] {
  const ordered = [
    ...incident.findings.filter((f) => f.state === "firing"),
    ...incident.findings.filter((f) => f.state !== "firing"),
  ];
  return ordered.map((finding, i) => {
    const rule = rules.get(finding.rule);
    const values = findingValues(finding, fmt);
    const template = rule === undefined ? undefined : ruleTitle(rule, finding.state);
    return {
      finding,
      rule,
      knowledge: rule?.knowledge ?? NO_KNOWLEDGE,
      number: i + 1,
      title: template === undefined ? escapeInline(finding.rule) : fillOrUnknown(template, values, escapeInline),
      plainTitle: template === undefined ? finding.rule : fillOrUnknown(template, values, (v) => v),
      values,
    };
  });
}
