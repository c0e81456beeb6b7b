// Counts a group's signals per key value for the report table, with a status looked up from another rule.
import type { Rule } from "../rules/schema.js";
import type { FindingTable } from "./finding.js";

/** Distinct keys counted per group; signals with further new keys are not counted (keeps memory bounded). */
export const MAX_TABLE_KEYS = 10_000;
/** Values remembered per context rule and field (most recently seen kept). */
export const MAX_CONTEXT_VALUES = 10_000;

type TableSpec = NonNullable<Rule["table"]>;

export interface TableCounter {
  add(key: string | undefined): void;
  build(hasStatus: (rule: string, field: string, value: string) => boolean): FindingTable;
}

export function createTableCounter(spec: TableSpec): TableCounter {
  const counts = new Map<string, number>();
  return {
    add(key) {
      if (key === undefined) return;
      const n = counts.get(key);
      if (n !== undefined) counts.set(key, n + 1);
      else if (counts.size < MAX_TABLE_KEYS) counts.set(key, 1);
    },
    build(hasStatus) {
      // Most signals first; ties by key so the table reads the same on every run.
      const sorted = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      const shown = sorted.slice(0, spec.max_rows);
      const status = spec.status;
      const columns = status === undefined ? [spec.key_label, spec.count_label] : [spec.key_label, spec.count_label, status.label];
      const rows = shown.map(([key, n]) =>
        status === undefined
          ? [key, String(n)]
          : [key, String(n), hasStatus(status.rule, status.key, key) ? status.present : status.absent],
      );
      return { title: spec.title, columns, rows, omitted: sorted.length - shown.length };
    },
  };
}

/**
 * Remembers the values other rules' tables look up (seed 000: a failed job's file name that a
 * `job_completed` line also names → "Already completed"). Only the (rule, field) pairs some table asks
 * for are kept, each bounded to the most recently seen values. Lookups are across all hosts.
 */
export interface ContextValues {
  record(ruleId: string, fields: (name: string) => string | undefined): void;
  has(ruleId: string, field: string, value: string): boolean;
}

export function createContextValues(rules: readonly Rule[]): ContextValues {
  const wanted = new Map<string, Map<string, Set<string>>>();
  for (const rule of rules) {
    const s = rule.table?.status;
    if (s === undefined) continue;
    let byField = wanted.get(s.rule);
    if (byField === undefined) {
      byField = new Map();
      wanted.set(s.rule, byField);
    }
    if (!byField.has(s.key)) byField.set(s.key, new Set());
  }
  return {
    record(ruleId, fields) {
      const byField = wanted.get(ruleId);
      if (byField === undefined) return;
      for (const [field, values] of byField) {
        const v = fields(field);
        if (v === undefined) continue;
        // Re-inserting moves the value to the end, so the oldest one is the one dropped.
        values.delete(v);
        values.add(v);
        if (values.size > MAX_CONTEXT_VALUES) {
          const oldest = values.values().next();
          if (oldest.done !== true) values.delete(oldest.value);
        }
      }
    },
    has: (ruleId, field, value) => wanted.get(ruleId)?.get(field)?.has(value) ?? false,
  };
}
