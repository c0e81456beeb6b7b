// Splits a rule's signals into groups: the values of its `group_by` names, and the stable key they make.
import type { Signal } from "../rules/signal.js";

/**
 * The value of one `group_by` name for a signal: the record attributes host, service and pid first, then
 * the fields the regex captured, then the structured fields the source carried (journald, JSON keys).
 * Undefined when the signal has no such value.
 */
export function lookupGroupValue(name: string, signal: Signal): string | undefined {
  const { record } = signal;
  switch (name) {
    case "host":
      return record.host ?? signal.fields.host;
    case "service":
      return record.service ?? signal.fields.service;
    case "pid":
      return record.pid?.toString() ?? signal.fields.pid;
    default:
      return signal.fields[name] ?? record.fields[name];
  }
}

/** The group values of a signal, in `group_by` order; a missing value is "". */
export function groupValues(groupBy: readonly string[], signal: Signal): string[] {
  return groupBy.map((name) => lookupGroupValue(name, signal) ?? "");
}

/**
 * Rule id + group values, e.g. `eaddrinuse_loop{host="mithrandir",service="palantir",port="9003"}`.
 * Values are JSON-quoted so that no value can make two different groups collide; the key is stable across
 * runs because it depends on nothing but the rule and the values.
 */
export function makeGroupKey(ruleId: string, groupBy: readonly string[], values: readonly string[]): string {
  const parts = groupBy.map((name, i) => `${name}=${JSON.stringify(values[i] ?? "")}`);
  return `${ruleId}{${parts.join(",")}}`;
}
