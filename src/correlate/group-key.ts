// Splits a rule's signals into groups: the values of its `group_by` names, and the stable key they make.
import type { Signal } from "../rules/signal.js";

/** A field by name, own properties only: `constructor` or `toString` must not find Object's methods. */
export function ownField(fields: Readonly<Record<string, string>>, name: string): string | undefined {
  return Object.hasOwn(fields, name) ? fields[name] : undefined;
}

/**
 * The value of one `group_by` name for a signal: the record attributes host, service and pid first, then
 * the fields the regex captured, then the structured fields the source carried (journald, JSON keys).
 * Undefined when the signal has no such value.
 */
export function lookupGroupValue(name: string, signal: Signal): string | undefined {
  const { record } = signal;
  switch (name) {
    case "host":
      return record.host ?? ownField(signal.fields, "host");
    case "service":
      return record.service ?? ownField(signal.fields, "service");
    case "pid":
      return record.pid?.toString() ?? ownField(signal.fields, "pid");
    default:
      return capturedOrRecordField(signal, name);
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

/** A field the regex captured, else one the source carried (journald fields, JSON keys). */
export function capturedOrRecordField(signal: Signal, name: string): string | undefined {
  return ownField(signal.fields, name) ?? ownField(signal.record.fields, name);
}
