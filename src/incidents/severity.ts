// Severity order: which of two findings or incidents is worse.
import type { Severity } from "../rules/schema.js";

const RANK: Readonly<Record<Severity, number>> = { critical: 4, high: 3, medium: 2, low: 1, info: 0 };

/** Higher is worse: critical 4, high 3, medium 2, low 1, info 0. */
export function severityRank(s: Severity): number {
  return RANK[s];
}

/** The worse of two severities. */
export function maxSeverity(a: Severity, b: Severity): Severity {
  return RANK[b] > RANK[a] ? b : a;
}
