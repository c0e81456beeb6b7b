// Job failure categories: the rules whose signals classify a failure reason, with the label and solution their YAML gives.
import type { LogRecord } from "../parsers/record.js";
import type { Rule, Signal } from "../rules/index.js";

/** The category of a reason that no rule recognises. */
export const UNCATEGORIZED = "UNCATEGORIZED";

export interface JobCategory {
  /** Rule id, or "" for UNCATEGORIZED. */
  readonly ruleId: string;
  /** Seed 003's upper-case name (LEGACY_ENCRYPTION), from the rule's first problem bullet, else the rule id upper-cased. */
  readonly label: string;
  /** The documented solution: "SOLUTION: ..." of the rule's summary, else its first next step. */
  readonly solution: string | undefined;
  readonly severity: string;
}

const LABEL_RE = /^([A-Z][A-Z0-9_]+):/;
const SOLUTION_RE = /SOLUTION:\s*([^\n]+?)\s*$/;

/** The category a rule stands for; the text comes from the rule's knowledge, so the YAML stays the one source. */
export function categoryOf(rule: Rule): JobCategory {
  const first = rule.knowledge.problem[0] ?? "";
  const label = LABEL_RE.exec(first)?.[1] ?? rule.id.toUpperCase();
  const fromSummary = SOLUTION_RE.exec(rule.knowledge.summary ?? "")?.[1];
  const solution = fromSummary ?? rule.knowledge.next_steps[0];
  return { ruleId: rule.id, label, solution: solution?.replace(/\.$/, ""), severity: rule.severity };
}

export const UNCATEGORIZED_CATEGORY: JobCategory = {
  ruleId: "",
  label: UNCATEGORIZED,
  solution: "Read the failure reasons (-v) and add a rule for them (firewatch rules test)",
  severity: "medium",
};

export interface Classification {
  readonly category: JobCategory;
  /** The fields the winning rule captured (path, file, max_retries...). */
  readonly fields: Readonly<Record<string, string>>;
  /** Other rules that matched too, in rule order. */
  readonly alsoMatched: readonly string[];
}

/**
 * Builds the classifier once: the first signal-role rule (in rule order) whose main pattern set matches the
 * record wins; context rules (job_completed) never classify a failure.
 */
export function createClassifier(rules: readonly Rule[], match: (record: LogRecord) => Signal[]): (record: LogRecord) => Classification {
  const byId = new Map<string, JobCategory>();
  for (const r of rules) if (r.role === "signal") byId.set(r.id, categoryOf(r));
  return (record) => {
    const hits = match(record).filter((s) => s.role === "match" && byId.has(s.ruleId));
    const first = hits[0];
    if (!first) return { category: UNCATEGORIZED_CATEGORY, fields: {}, alsoMatched: [] };
    return {
      category: byId.get(first.ruleId) ?? UNCATEGORIZED_CATEGORY,
      fields: first.fields,
      alsoMatched: [...new Set(hits.slice(1).map((s) => s.ruleId))].filter((id) => id !== first.ruleId),
    };
  };
}

/** Finds a category by label (any case) or rule id: `--category legacy_encryption`, `--category MAC_CHECK_FAILED`. */
export function findCategory(rules: readonly Rule[], name: string): JobCategory | undefined {
  const want = name.trim().toLowerCase();
  if (want === UNCATEGORIZED.toLowerCase()) return UNCATEGORIZED_CATEGORY;
  for (const r of rules) {
    if (r.role !== "signal") continue;
    const c = categoryOf(r);
    if (r.id === want || c.label.toLowerCase() === want) return c;
  }
  return undefined;
}
