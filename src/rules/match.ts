// The per-record matcher: one prefilter pass per field, then only the candidate regexes; matches become Signals.
// Patterns on the text (or message) are tried on the record's error fields too (err.message, error, exc_info...).
import type { LogRecord } from "../parsers/record.js";
import type { Signal } from "./signal.js";
import type { CompiledPatternSet, CompiledRule, FieldSelector } from "./compile.js";
import { createStringPrefilter, type StringPrefilter } from "./prefilter.js";
import { byteLaneFor } from "../parsers/index.js";
import { LONG_LINE_CHARS } from "./regex-fallback.js";
import { MAX_ERROR_TEXTS } from "../parsers/index.js";

/** The text a selector reads from a record; undefined when the record has no such field. */
export function selectField(record: LogRecord, field: FieldSelector): string | undefined {
  switch (field.kind) {
    case "text": return record.text;
    case "message": return record.message;
    case "service": return record.service;
    case "host": return record.host;
    case "field": return record.fields[field.name];
  }
}

/** Named groups of a match, undefined ones omitted. */
export function capturedFields(m: RegExpExecArray): Record<string, string> {
  const out: Record<string, string> = {};
  if (m.groups) for (const [k, v] of Object.entries(m.groups)) if (v !== undefined) out[k] = v;
  return out;
}

function fieldKey(f: FieldSelector): string {
  return f.kind === "field" ? `fields.${f.name}` : f.kind;
}

interface FieldGroup {
  readonly field: FieldSelector;
  readonly prefilter: StringPrefilter;
  /** stamp[p] === epoch: pattern p of this field passed the prefilter for the current record. */
  readonly stamp: Uint32Array;
  text: string | undefined;
  /** Text and message patterns are tried on the record's error texts as well. */
  readonly readsErrors: boolean;
  /** errorStamps[j]: the prefilter's marks for error text j of the current record, made on first need. */
  readonly errorStamps: Uint32Array[];
  /** errorsMarked[j] === epoch: errorStamps[j] holds the current record's marks. */
  readonly errorsMarked: Uint32Array;
}

interface Entry {
  readonly rule: CompiledRule;
  readonly set: CompiledPatternSet;
  readonly group: FieldGroup;
  /** Index of set.any[0] in its group's stamp array. */
  readonly first: number;
  /** The set has `structured` alternatives (a few systemd rules): a flag, so other sets pay one boolean test. */
  readonly structured: boolean;
}

/**
 * Builds the matcher once; the returned function is synchronous, compiles nothing and allocates only for matches.
 * Signals come in rule order, and within a rule in set order (match, then/expect/until, clears).
 */
export function createMatcher(rules: readonly CompiledRule[]): (record: LogRecord) => Signal[] {
  const literalsByField = new Map<string, { field: FieldSelector; literals: (readonly string[] | undefined)[] }>();
  const pending: { rule: CompiledRule; set: CompiledPatternSet; key: string; first: number }[] = [];
  for (const rule of rules)
    for (const set of rule.sets) {
      const key = fieldKey(set.field);
      let g = literalsByField.get(key);
      if (!g) { g = { field: set.field, literals: [] }; literalsByField.set(key, g); }
      pending.push({ rule, set, key, first: g.literals.length });
      for (const p of set.any) g.literals.push(p.literals);
    }
  const groups = new Map<string, FieldGroup>();
  for (const [key, g] of literalsByField)
    groups.set(key, {
      field: g.field,
      prefilter: createStringPrefilter(g.literals),
      stamp: new Uint32Array(g.literals.length),
      text: undefined,
      readsErrors: g.field.kind === "text" || g.field.kind === "message",
      errorStamps: Array.from({ length: MAX_ERROR_TEXTS }, () => new Uint32Array(g.literals.length)),
      errorsMarked: new Uint32Array(MAX_ERROR_TEXTS),
    });
  const entries: Entry[] = [];
  for (const p of pending) {
    const group = groups.get(p.key);
    if (group) entries.push({ rule: p.rule, set: p.set, group, first: p.first, structured: p.set.structured.length > 0 });
  }
  const groupList = [...groups.values()];
  // Without a literal-less pattern, a record whose fields hold no literal and that has no error texts can only match
  // through a `structured` alternative: most records, so they skip the walk over every set.
  const anyAlways = entries.some((x) => x.set.any.some((p) => p.literals === undefined));
  const structuredOnly = entries.filter((x) => x.structured);
  let epoch = 0;

  return (record) => {
    epoch = epoch === 0xffffffff ? 1 : epoch + 1;
    const e = epoch;
    let marked = 0;
    for (const g of groupList) {
      if (e === 1) {
        g.stamp.fill(0);
        g.errorsMarked.fill(0);
      }
      g.text = selectField(record, g.field);
      if (g.text !== undefined) marked += g.prefilter.mark(g.text, g.stamp, e);
    }
    // Most records have no error fields: they pay this one test.
    const errors = record.errors !== undefined && record.errors.length > 0 ? record.errors : undefined;
    let signals: Signal[] | undefined;
    for (const { rule, set, group, first, structured } of marked === 0 && errors === undefined && !anyAlways ? structuredOnly : entries) {
      const text = group.text;
      let m = text === undefined ? undefined : matchCandidates(set, text, group.stamp, first, e);
      if (m === undefined && errors !== undefined && group.readsErrors && !vetoed(set, text)) m = matchErrors(set, group, errors, first, e);
      if (m) (signals ??= []).push({ ruleId: rule.id, role: set.role, record, fields: withCaptures(rule, record, capturedFields(m)) });
      else if (structured) {
        // Structured alternatives come after the text ones, outside the prefilter: a record both forms match is one
        // signal. A text that a `not` vetoed vetoes them too (structuredFields checks the same text).
        const fields = structuredFields(set, record.fields, text);
        if (fields) (signals ??= []).push({ ruleId: rule.id, role: set.role, record, fields: withCaptures(rule, record, fields) });
      }
    }
    return signals ?? [];
  };
}

/** A line as the skimming reader sees it: `bytes`, when given, are the UTF-8 of `text` (the decoded physical line). */
export interface GateLine {
  readonly bytes?: Uint8Array | undefined;
  readonly text: string;
  readonly message: string;
  readonly errors: readonly string[] | undefined;
  readonly fields: Readonly<Record<string, string>>;
}
export type MatchGate = ((line: GateLine) => boolean) & {
  /**
   * The same verdict from a line's raw bytes alone, for a line whose parse adds nothing the gate reads (no fields,
   * error texts or escapes: the skimming reader decides which, parsers/parse-lines.ts). Absent when a `structured`
   * alternative could be met by the fields a line's shape gives (all lower-case names: program, logger, tag...).
   */
  readonly bytes?: (bytes: Uint8Array) => boolean;
  /** The literal sets `bytes` looks for (one object per gate): a reader may look for them in many lines at once. */
  readonly literals?: readonly (readonly string[] | undefined)[];
};

/**
 * A quick "could any rule match this line?" for the skimming reader: one prefilter pass over the text (and message),
 * true when a literal of any pattern occurs, the line has error texts, or a `structured` alternative finds all its
 * fields. A "no" is exact (the matcher would return no signal); a "yes" only says the matcher must look. Undefined
 * when the rules cannot be judged this way (a pattern without a literal, a rule on service, host or a field): every
 * line must then be a record.
 */
export function createMatchGate(rules: readonly CompiledRule[]): MatchGate | undefined {
  const byField = { text: [] as (readonly string[] | undefined)[], message: [] as (readonly string[] | undefined)[] };
  const structured: (readonly string[])[] = [];
  for (const rule of rules)
    for (const set of rule.sets) {
      if (set.field.kind !== "text" && set.field.kind !== "message") return undefined;
      for (const p of set.any) {
        if (p.literals === undefined) return undefined;
        byField[set.field.kind].push(p.literals);
      }
      for (const alt of set.structured) structured.push(alt.conditions.map((c) => c.name));
    }
  const text = byField.text.length > 0 ? createStringPrefilter(byField.text) : undefined;
  const literals = [...byField.text, ...byField.message];
  // A literal holding U+FFFD (bytes that were invalid) cannot be found in raw bytes: the text is walked instead.
  const findable = (sets: readonly (readonly string[] | undefined)[]) => !sets.some((set) => set?.some((lit) => lit.includes("\uFFFD")));
  // One automaton for both byte verdicts when no pattern reads the message (the built-in library): the same literals.
  const textBytes = byField.text.length > 0 && findable(byField.text) ? byteLaneFor(byField.message.length === 0 ? literals : byField.text).wanted : undefined;
  const message = byField.message.length > 0 ? createStringPrefilter(byField.message) : undefined;
  const hasFields = (fields: Readonly<Record<string, string>>): boolean => {
    for (const names of structured) {
      let all = true;
      for (const n of names) if (!Object.hasOwn(fields, n)) { all = false; break; }
      if (all) return true;
    }
    return false;
  };
  const gate = (line: GateLine): boolean => {
    if (line.errors !== undefined && line.errors.length > 0) return true;
    if (text !== undefined && (line.bytes !== undefined && textBytes !== undefined ? textBytes(line.bytes) : text.any(line.text))) return true;
    if (message?.any(line.message) === true) return true;
    return structured.length > 0 && hasFields(line.fields);
  };
  // Without escapes a message is a slice of its line: its literals are looked for in the whole line's bytes. A
  // structured alternative naming an upper-case field (SNAPSHOT, UNIT) needs a snapshot or a JSON line: never these.
  const rawBytes = structured.every((names) => names.some((n) => /[A-Z]/.test(n))) && findable(literals) ? byteLaneFor(literals).wanted : undefined;
  return rawBytes === undefined ? gate : Object.assign(gate, { bytes: rawBytes, literals });
}

/**
 * The rule's `capture` fields the match did not capture: the record's attribute (`from: pid`), else looked for in its
 * text, then its error texts (the job id of "Decryption failed for job 7f3a: MAC check failed"). Runs only on matches.
 */
function withCaptures(rule: CompiledRule, record: LogRecord, fields: Record<string, string>): Record<string, string> {
  for (const { name, regexes, from } of rule.captures) {
    if (Object.hasOwn(fields, name)) continue;
    const attribute = from === undefined ? undefined : record[from];
    const value =
      attribute !== undefined
        ? String(attribute)
        : (captureIn(record.text, name, regexes) ?? record.errors?.reduce<string | undefined>((v, e) => v ?? captureIn(e, name, regexes), undefined));
    if (value !== undefined) fields[name] = value;
  }
  return fields;
}

function captureIn(text: string, name: string, regexes: readonly RegExp[]): string | undefined {
  for (const re of regexes) {
    const v = re.exec(text)?.groups?.[name];
    if (v !== undefined) return v;
  }
  return undefined;
}

/**
 * The first error text a set matches (each text through the prefilter, marked once per record and group), or
 * undefined. A `not` is checked against the error text as against the text (the caller checked the text).
 */
function matchErrors(set: CompiledPatternSet, group: FieldGroup, errors: readonly string[], first: number, epoch: number): RegExpExecArray | undefined {
  const n = Math.min(errors.length, MAX_ERROR_TEXTS);
  for (let j = 0; j < n; j++) {
    const err = errors[j];
    const stamp = group.errorStamps[j];
    if (err === undefined || stamp === undefined) continue;
    if (group.errorsMarked[j] !== epoch) {
      group.prefilter.mark(err, stamp, epoch);
      group.errorsMarked[j] = epoch;
    }
    const m = matchCandidates(set, err, stamp, first, epoch);
    if (m) return m;
  }
  return undefined;
}

/** Runs a set's regexes that passed the prefilter (or have no literal), then its vetoes. */
function matchCandidates(set: CompiledPatternSet, text: string, stamp: Uint32Array, first: number, epoch: number): RegExpExecArray | undefined {
  const any = set.any;
  const long = text.length > LONG_LINE_CHARS;
  for (let k = 0; k < any.length; k++) {
    const p = any[k];
    if (p === undefined || (p.literals !== undefined && stamp[first + k] !== epoch)) continue;
    const m = (long ? (p.linear ?? p.regex) : p.regex).exec(text);
    if (m === null) continue;
    return vetoed(set, text) ? undefined : m;
  }
  return undefined;
}

function vetoed(set: CompiledPatternSet, text: string | undefined): boolean {
  if (text === undefined) return false;
  for (const veto of set.not) if (veto.test(text)) return true;
  return false;
}

/**
 * The captures of the first `structured` alternative whose fields are all present and match, unless a `not` vetoes
 * the set's text; undefined when none holds. `text` is the set's field of the record (undefined: nothing to veto).
 */
export function structuredFields(set: CompiledPatternSet, fields: Readonly<Record<string, string>>, text?: string): Record<string, string> | undefined {
  next: for (const alt of set.structured) {
    let out: Record<string, string> | undefined;
    for (const c of alt.conditions) {
      const v = Object.hasOwn(fields, c.name) ? fields[c.name] : undefined;
      if (v === undefined) continue next;
      const m = c.regex.exec(v);
      if (m === null) continue next;
      if (m.groups) for (const [k, g] of Object.entries(m.groups)) if (g !== undefined) (out ??= {})[k] = g;
    }
    return vetoed(set, text) ? undefined : (out ?? {});
  }
  return undefined;
}

/** Whether a set matches a text, without the prefilter (examples, `rules test`). */
export function setMatches(set: CompiledPatternSet, text: string): RegExpExecArray | undefined {
  for (const p of set.any) {
    const m = p.regex.exec(text);
    if (m === null) continue;
    return vetoed(set, text) ? undefined : m;
  }
  return undefined;
}
