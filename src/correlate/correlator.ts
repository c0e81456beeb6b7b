// The correlator: signals in, per-rule per-group state, findings out as a snapshot at any time.
import { FirewatchError } from "../errors.js";
import type { LogRecord } from "../parsers/record.js";
import type { Rule } from "../rules/schema.js";
import { fieldSummaries } from "../rules/index.js";
import type { Signal, SignalRole } from "../rules/signal.js";
import { createCadenceTracker, type CadenceTracker } from "./cadence.js";
import { createCondition, type Condition } from "./conditions.js";
import { createEvidenceBuffer, type EvidenceBuffer } from "./evidence.js";
import { LOGGED_HOST_FIELD, type Finding } from "./finding.js";
import { capturedOrRecordField, groupValues, lookupGroupValue, makeGroupKey, ownField } from "./group-key.js";
import { compileDerive, createFieldSummaries, emptyFields, type CompiledDerive, type FieldSummaries } from "./summarise-fields.js";
import { createContextValues, createTableCounter, type TableCounter } from "./table.js";

export const DEFAULT_MAX_GROUPS_PER_RULE = 1000;
export const DEFAULT_EVIDENCE_PER_END = 3;
const SOURCE_ATTRIBUTES: ReadonlySet<string> = new Set(["host", "service", "pid"]);
/** Interval tolerance for the cadence of rules that are not recurrences (which bring their own). */
const DEFAULT_CADENCE_TOLERANCE = 0.5;

export interface CorrelatorOptions {
  /** Groups kept per rule; the least recently updated one is dropped beyond it. */
  readonly maxGroupsPerRule?: number;
  /** Evidence lines kept at each end (first N, last N). */
  readonly evidencePerEnd?: number;
}

export interface CorrelatorStats {
  /** Groups held now, over all rules. */
  readonly groups: number;
  /** Groups dropped by the per-rule cap (their state is lost; a later signal starts them afresh). */
  readonly droppedGroups: number;
  readonly signals: number;
  /** Signals naming a rule the correlator was not given. */
  readonly unknownRuleSignals: number;
}

export interface Correlator {
  /** Feeds one signal; synchronous, bounded work (a scan of the rule's groups only for a wildcard, see targets). */
  push(signal: Signal): void;
  /**
   * A snapshot of every group with at least one match, in a deterministic order. `now` (event time, e.g.
   * the last record's time) lets absence deadlines pass; the newest signal time counts as well. It changes
   * no state: calling it between pushes never alters later results (a fast-check property holds it to that).
   */
  findings(now?: number): Finding[];
  /**
   * The latest time at which `findings(now)` can still change with `now`: the last deadline of an absence still
   * waiting for its B, or undefined when none waits. Any two `now`s both past it (or both below every deadline and
   * the newest signal time) give the same findings.
   */
  lastDeadline(): number | undefined;
  stats(): CorrelatorStats;
}

interface RuleState {
  readonly rule: Rule;
  readonly derive: CompiledDerive;
  /** Map order is recency: a touched group is moved to the end, the first one is the LRU victim. */
  readonly groups: Map<string, Group>;
  /** The rule's `fields` names that no pattern of it captures: taken from the record's structured fields. */
  readonly declared: readonly string[];
}

interface Group {
  readonly key: string;
  readonly values: Readonly<Record<string, string>>;
  host: string | undefined;
  service: string | undefined;
  /** The first host name a line gave that is not the source's host (live only; see LOGGED_HOST_FIELD). */
  loggedHost: string | undefined;
  count: number;
  firstSeen: number | undefined;
  lastSeen: number | undefined;
  lastMatch: number | undefined;
  /** The record of the newest match, to tell a line that is both A and C of a rule from a later C. */
  lastMatchRecord: LogRecord | undefined;
  recovered: boolean;
  recoveredAt: number | undefined;
  readonly condition: Condition;
  readonly fields: FieldSummaries;
  readonly evidence: EvidenceBuffer;
  readonly cadence: CadenceTracker;
  readonly table: TableCounter | undefined;
  /** Bumped by every signal that changes the group: a finding built at the same version is reused (see cached). */
  version: number;
  /** The parts of the last finding that depend on the group alone (not on `now` or context), and their version. */
  cached: { readonly version: number; readonly parts: GroupParts } | undefined;
}

/** What toFinding takes from a group's own state: the same until the group changes (its version). */
type GroupParts = Pick<Finding, "count" | "firstSeen" | "lastSeen" | "host" | "service" | "fields" | "evidence" | "cadence" | "recoveredAt">;

/**
 * Builds a correlator over raw rules. Time is the records' event time, never the wall clock; pass the
 * time the input has reached as `findings(now)` (the last record's time in `analyze`, the clock in `watch`).
 * Records without a time (plain text) are ordered by arrival and no window can be checked against them:
 * count- and order-based conditions then apply without the window (conditions.ts says how, per kind).
 * Signals should arrive roughly in time order: a little disorder is handled (thresholds keep the N newest
 * times sorted, sequences pair by time), but an absence deadline judged before a late-arriving B is not
 * revisited; merge several files by time upstream for exact results.
 */
export function createCorrelator(rules: readonly Rule[], opts: CorrelatorOptions = {}): Correlator {
  const maxGroups = opts.maxGroupsPerRule ?? DEFAULT_MAX_GROUPS_PER_RULE;
  const perEnd = opts.evidencePerEnd ?? DEFAULT_EVIDENCE_PER_END;
  if (!Number.isInteger(maxGroups) || maxGroups < 1) throw new FirewatchError("usage", `maxGroupsPerRule must be a positive integer, got ${maxGroups}`);
  if (!Number.isInteger(perEnd) || perEnd < 0) throw new FirewatchError("usage", `evidencePerEnd must be a non-negative integer, got ${perEnd}`);

  const states = new Map<string, RuleState>();
  for (const rule of rules) {
    if (states.has(rule.id)) throw new FirewatchError("rule_invalid", `two rules have the id ${rule.id}`, { hint: "rule ids must be unique" });
    states.set(rule.id, { rule, derive: compileDerive(rule), groups: new Map(), declared: uncapturedFields(rule) });
  }
  const context = createContextValues(rules);
  let maxTime: number | undefined;
  let signals = 0;
  let unknown = 0;
  let dropped = 0;

  function newGroup(rule: Rule, key: string, signal: Signal): Group {
    const values = emptyFields();
    for (const name of rule.group_by) values[name] = lookupGroupValue(name, signal) ?? "";
    const tolerance = rule.kind === "recurrence" ? rule.recurrence.tolerance : DEFAULT_CADENCE_TOLERANCE;
    const foldMs = rule.kind === "recurrence" ? rule.recurrence.min_interval : 0;
    return {
      key,
      values,
      host: signal.record.host,
      service: signal.record.service,
      loggedHost: undefined,
      count: 0,
      firstSeen: undefined,
      lastSeen: undefined,
      lastMatch: undefined,
      lastMatchRecord: undefined,
      recovered: false,
      recoveredAt: undefined,
      condition: createCondition(rule),
      fields: createFieldSummaries(fieldSummaries(rule.fields)),
      evidence: createEvidenceBuffer(perEnd),
      cadence: createCadenceTracker({ tolerance, foldMs }),
      table: rule.table === undefined ? undefined : createTableCounter(rule.table),
      version: 0,
      cached: undefined,
    };
  }

  function touch(state: RuleState, group: Group): void {
    state.groups.delete(group.key);
    state.groups.set(group.key, group);
    while (state.groups.size > maxGroups) {
      const victim = state.groups.keys().next();
      if (victim.done === true) break;
      state.groups.delete(victim.value);
      dropped += 1;
    }
  }

  /**
   * The groups a signal belongs to. A match (or a sequence's B, which may arrive before its A) creates its
   * group. Other roles only update existing groups, and a field they did not capture acts as a wildcard:
   * "Server listening" without the port still clears every port's group of that host.
   */
  function targets(state: RuleState, signal: Signal): Group[] {
    const { rule } = state;
    const values = groupValues(rule.group_by, signal);
    const key = makeGroupKey(rule.id, rule.group_by, values);
    const exact = state.groups.get(key);
    if (exact !== undefined) return [exact];
    if (signal.role === "match" || signal.role === "then") return [joinNamed(state, values, signal) ?? newGroup(rule, key, signal)];
    // host, service and pid describe the source, not the line: missing there is "" as for a match (a
    // host-less file must not clear every host's groups). Only captured names can be wildcards.
    const known = rule.group_by.map((name, i) => (SOURCE_ATTRIBUTES.has(name) ? values[i] : lookupGroupValue(name, signal)));
    if (known.every((v) => v !== undefined)) return [];
    return [...state.groups.values()].filter((g) =>
      rule.group_by.every((name, i) => known[i] === undefined || g.values[name] === known[i]),
    );
  }

  /**
   * A line that lacks a value the rule groups by (busybox's "nc: bind: Address already in use" names no port) joins
   * the group of the same service that has it, the most recently touched one: it is the same failure told with less
   * detail (issue 14: it made a second finding with port "", a probe of port "" and tripled counts). Only when the
   * service has no such group does the line start a group of its own.
   */
  function joinNamed(state: RuleState, values: readonly string[], signal: Signal): Group | undefined {
    const { group_by } = state.rule;
    const service = signal.record.service;
    if (service === undefined || !group_by.some((name, i) => values[i] === "" && !SOURCE_ATTRIBUTES.has(name))) return undefined;
    let found: Group | undefined;
    for (const g of state.groups.values()) {
      if (g.service !== service) continue;
      const fits = group_by.every((name, i) => (values[i] === "" && !SOURCE_ATTRIBUTES.has(name) ? g.values[name] !== "" : g.values[name] === values[i]));
      if (fits) found = g;
    }
    return found;
  }

  function apply(group: Group, role: SignalRole, signal: Signal, tableKey: string | undefined, declared: readonly string[]): void {
    const t = signal.record.time;
    // One line matching both a rule's main pattern and its until/expect/clears is one event: it cannot
    // answer, end or recover the A it is itself.
    if (role !== "match" && signal.record === group.lastMatchRecord) return;
    group.version += 1;
    if (role === "clears") {
      // Recovery counts only after the last match; an out-of-order older clears line changes nothing.
      if (group.count === 0 || group.recovered) return;
      if (t !== undefined && group.lastMatch !== undefined && t < group.lastMatch) return;
      group.recovered = true;
      group.recoveredAt = t;
      group.condition.reset();
      group.evidence.add(signal.record);
      return;
    }
    group.evidence.add(signal.record);
    group.condition.observe(role, t);
    // expect is the healthy side of an absence: it is evidence, but its fields do not describe the failure.
    if (role === "expect") return;
    group.fields.add(signal.fields);
    // A failed job's queue: structured records carry what no regex of the rule captures. Names a pattern does
    // capture never come from the record (a docker line's own `container` is not the unhealthy one it names).
    if (declared.length > 0) group.fields.add(recordFields(declared, signal));
    group.host ??= signal.record.host;
    group.service ??= signal.record.service;
    group.loggedHost ??= ownField(signal.record.fields, LOGGED_HOST_FIELD);
    if (t !== undefined) {
      if (group.firstSeen === undefined || t < group.firstSeen) group.firstSeen = t;
      if (group.lastSeen === undefined || t > group.lastSeen) group.lastSeen = t;
    }
    if (role !== "match") return;
    group.count += 1;
    group.lastMatchRecord = signal.record;
    group.recovered = false;
    group.recoveredAt = undefined;
    if (t !== undefined) {
      group.cadence.observe(t);
      if (group.lastMatch === undefined || t > group.lastMatch) group.lastMatch = t;
    }
    if (group.table !== undefined && tableKey !== undefined) {
      group.table.add(capturedOrRecordField(signal, tableKey));
    }
  }

  return {
    push(signal) {
      signals += 1;
      const t = signal.record.time;
      if (t !== undefined && (maxTime === undefined || t > maxTime)) maxTime = t;
      context.record(signal.ruleId, (name) => capturedOrRecordField(signal, name));
      const state = states.get(signal.ruleId);
      if (state === undefined) {
        unknown += 1;
        return;
      }
      if (state.rule.role === "context") return;
      for (const group of targets(state, signal)) {
        apply(group, signal.role, signal, state.rule.table?.key, state.declared);
        touch(state, group);
      }
    },
    findings(now) {
      // Later signals show time passing too: "now" is at least the newest event time seen.
      const effectiveNow = now === undefined ? maxTime : maxTime === undefined ? now : Math.max(now, maxTime);
      const out: Finding[] = [];
      for (const state of states.values()) {
        if (state.rule.role === "context") continue;
        for (const group of state.groups.values()) {
          if (group.count === 0) continue;
          // An absence that has not missed yet is the normal state (A seen, B still allowed to come): no finding.
          if (state.rule.kind === "absence" && !group.recovered && (group.condition.misses?.(effectiveNow) ?? 0) === 0) continue;
          out.push(toFinding(state, group, effectiveNow, context.has));
        }
      }
      return out.sort(compareFindings);
    },
    lastDeadline() {
      let last: number | undefined;
      for (const state of states.values()) {
        if (state.rule.kind !== "absence") continue;
        for (const group of state.groups.values()) {
          const d = group.condition.deadline?.();
          if (d !== undefined && (last === undefined || d > last)) last = d;
        }
      }
      return last;
    },
    stats() {
      let groups = 0;
      for (const s of states.values()) groups += s.groups.size;
      return { groups, droppedGroups: dropped, signals, unknownRuleSignals: unknown };
    },
  };
}

function toFinding(
  state: RuleState,
  group: Group,
  now: number | undefined,
  hasStatus: (rule: string, field: string, value: string) => boolean,
): Finding {
  const { rule } = state;
  const p = groupParts(state, group, now);
  // Written out in the order findings always had: it is the order of their keys in JSON and in the store.
  return {
    rule: rule.id,
    severity: rule.severity,
    state: !group.recovered && group.condition.holds(now) ? "firing" : "observed",
    count: p.count,
    firstSeen: p.firstSeen,
    lastSeen: p.lastSeen,
    host: p.host,
    service: p.service,
    groupKey: group.key,
    fields: p.fields,
    evidence: p.evidence,
    cadence: p.cadence,
    table: group.table?.build(hasStatus),
    recoveredAt: p.recoveredAt,
  };
}

/**
 * A finding's parts that follow from the group's state: rebuilt only when a signal changed the group since the last
 * call (a watch commit asks for every finding twice a second, and most groups have not moved). An absence's count is
 * its misses by `now`, so its parts are always rebuilt; the state (a window by `now`) and the table (the context's
 * statuses) are never kept.
 */
function groupParts(state: RuleState, group: Group, now: number | undefined): GroupParts {
  const misses = group.condition.misses?.(now);
  if (misses === undefined && group.cached?.version === group.version) return group.cached.parts;
  const base = emptyFields();
  if (group.host !== undefined) base.host = group.host;
  if (group.service !== undefined) base.service = group.service;
  if (group.loggedHost !== undefined) base[LOGGED_HOST_FIELD] = group.loggedHost;
  const count = misses ?? group.count;
  // {count} is there for derived texts ("{count} lines" when no job id was found), not a field of its own.
  const fields = withoutEmpty(state.derive(emptyFields(base, group.values, group.fields.result()), { count: String(count) }));
  const parts: GroupParts = {
    count,
    firstSeen: group.firstSeen,
    lastSeen: group.lastSeen,
    host: group.values.host || group.host,
    service: group.values.service || group.service,
    fields,
    evidence: group.evidence.list(),
    cadence: group.cadence.snapshot(),
    recoveredAt: group.recoveredAt,
  };
  if (misses === undefined) group.cached = { version: group.version, parts };
  return parts;
}

/** Deterministic order, independent of arrival and recency: first seen, then rule, then group. */
function compareFindings(a: Finding, b: Finding): number {
  const ta = a.firstSeen ?? Infinity;
  const tb = b.firstSeen ?? Infinity;
  if (ta !== tb) return ta < tb ? -1 : 1;
  if (a.rule !== b.rule) return a.rule < b.rule ? -1 : 1;
  return a.groupKey < b.groupKey ? -1 : a.groupKey > b.groupKey ? 1 : 0;
}

/** A group value the line did not give is "" in the key only: a finding never shows an empty field ("port **"). */
function withoutEmpty(fields: Record<string, string>): Record<string, string> {
  for (const [k, v] of Object.entries(fields)) if (v === "") delete fields[k];
  return fields;
}

const NO_FIELDS: Readonly<Record<string, string>> = Object.freeze({});
const CAPTURE = /\(\?<([A-Za-z_$][\w$]*)>/g;

/** The rule's declared `fields` that none of its patterns (any role) captures. */
function uncapturedFields(rule: Rule): string[] {
  const specs = [rule.match, rule.clears];
  if (rule.kind === "sequence") specs.push(rule.then);
  if (rule.kind === "absence") specs.push(rule.expect, rule.until);
  // Text regexes and the regexes of structured alternatives (FIELD: regex) alike.
  const sources = specs.flatMap((s) => (s === undefined ? [] : [...s.any, ...(s.structured ?? []).flatMap((alt) => Object.values(alt))]));
  const captured = new Set(sources.flatMap((src) => [...src.matchAll(CAPTURE)].map((m) => m[1])));
  // A field with its own `capture` regexes is found in the line by the matcher, never taken from the record.
  return Object.entries(rule.fields).filter(([name, spec]) => !captured.has(name) && typeof spec === "string").map(([name]) => name);
}

/** The uncaptured declared fields the signal's record carries as structured fields. */
function recordFields(declared: readonly string[], signal: Signal): Readonly<Record<string, string>> {
  const from = signal.record.fields;
  let out: Record<string, string> | undefined;
  for (const name of declared) {
    if (Object.hasOwn(signal.fields, name) || !Object.hasOwn(from, name)) continue;
    const v = from[name];
    if (v !== undefined) (out ??= {})[name] = v;
  }
  return out ?? NO_FIELDS;
}
