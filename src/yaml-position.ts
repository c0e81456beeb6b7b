// Where a zod issue about a YAML document sits: its path ("sources[1].paths") and its 1-based line, for errors that
// point at the line to fix. Shared by rule files (src/rules) and firewatch.yaml (src/config).
import { isMap, type Document, type LineCounter } from "yaml";
import type { z } from "zod";

export type YamlPath = (string | number)[];

/** The issue's path plus, for an unknown key, the key itself (so the line is the key's). */
export function issuePath(issue: z.core.$ZodIssue): YamlPath {
  const path = issue.path.filter((p): p is string | number => typeof p !== "symbol");
  if (issue.code === "unrecognized_keys" && issue.keys[0] !== undefined) return [...path, issue.keys[0]];
  return path;
}

/** `match.any[1]`, `sources[1].paths`, `knowledge.immediate_actions[0].commands`. */
export function formatPath(path: readonly (string | number)[]): string {
  let out = "";
  for (const p of path) out += typeof p === "number" ? `[${p}]` : out === "" ? p : `.${p}`;
  return out;
}

/** The 1-based line of the deepest node on `path` that exists in the document; a key's own line when the path ends at a key. */
export function lineOf(doc: Document, counter: LineCounter, path: readonly (string | number)[]): number {
  for (let n = path.length; n >= 0; n--) {
    const parent = n === 0 ? doc.contents : doc.getIn(path.slice(0, n - 1), true);
    const last = path[n - 1];
    // For a key, prefer the key's own position (an unknown key points at itself, not at its value).
    if (n > 0 && isMap(parent)) {
      const pair = parent.items.find((p) => (p.key as { value?: unknown } | null)?.value === last);
      const range = (pair?.key as { range?: [number, number] } | null)?.range;
      if (range) return counter.linePos(range[0]).line;
    }
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    const range = (node as { range?: [number, number] } | null)?.range;
    if (range) return counter.linePos(range[0]).line;
  }
  return 1;
}

// zod keeps each schema's definition under `_zod.def`; the key suggestions below read only its public shape.
interface SchemaDef {
  readonly type?: string;
  readonly innerType?: unknown;
  readonly in?: unknown;
  readonly out?: unknown;
  readonly getter?: () => unknown;
  readonly options?: readonly unknown[];
  readonly discriminator?: string;
  readonly shape?: Readonly<Record<string, unknown>>;
  readonly element?: unknown;
  readonly valueType?: unknown;
  readonly values?: readonly unknown[];
}

function defOf(schema: unknown): SchemaDef | undefined {
  if (typeof schema !== "object" || schema === null || !("_zod" in schema)) return undefined;
  const zod = schema._zod;
  if (typeof zod !== "object" || zod === null || !("def" in zod)) return undefined;
  const def = zod.def;
  return typeof def === "object" && def !== null ? def : undefined;
}

const at = (value: unknown, key: string | number): unknown =>
  typeof value === "object" && value !== null ? (value as Record<string | number, unknown>)[key] : undefined;

/** The object schemas `schema` can be for `input`: wrappers unwrapped, a discriminated union narrowed by the input. */
function objectsOf(schema: unknown, input: unknown, depth = 0): SchemaDef[] {
  const def = defOf(schema);
  if (def === undefined || depth > 20) return [];
  switch (def.type) {
    case "object":
      return [def];
    case "optional": case "nullable": case "default": case "prefault": case "catch": case "readonly": case "nonoptional":
      return objectsOf(def.innerType, input, depth + 1);
    case "pipe":
      return [...objectsOf(def.in, input, depth + 1), ...objectsOf(def.out, input, depth + 1)];
    case "lazy":
      return def.getter ? objectsOf(def.getter(), input, depth + 1) : [];
    case "union": {
      const all = (def.options ?? []).flatMap((o) => objectsOf(o, input, depth + 1));
      if (def.discriminator === undefined) return all;
      const tag = at(input, def.discriminator);
      const chosen = all.filter((o) => defOf(o.shape?.[def.discriminator ?? ""])?.values?.includes(tag));
      return chosen.length > 0 ? chosen : all;
    }
    default:
      return [];
  }
}

/** The schema one step below `schema` (a key of an object, an item of a list or a record's value). */
function childrenOf(schema: unknown, input: unknown, key: string | number, depth = 0): unknown[] {
  const def = defOf(schema);
  if (def === undefined || depth > 20) return [];
  switch (def.type) {
    case "array":
      return [def.element];
    case "record":
      return [def.valueType];
    case "optional": case "nullable": case "default": case "prefault": case "catch": case "readonly": case "nonoptional":
      return childrenOf(def.innerType, input, key, depth + 1);
    case "pipe":
      return [...childrenOf(def.in, input, key, depth + 1), ...childrenOf(def.out, input, key, depth + 1)];
    case "lazy":
      return def.getter ? childrenOf(def.getter(), input, key, depth + 1) : [];
    default:
      return objectsOf(schema, input, depth).flatMap((o) => (o.shape?.[String(key)] === undefined ? [] : [o.shape[String(key)]]));
  }
}

/** The schemas that may describe the value at `path` of `input` (unions narrowed by the input where they can be). */
export function schemasAt(schema: unknown, input: unknown, path: readonly (string | number)[]): unknown[] {
  let here: { schema: unknown; input: unknown }[] = [{ schema, input }];
  for (const key of path) here = here.flatMap((h) => childrenOf(h.schema, h.input, key).map((s) => ({ schema: s, input: at(h.input, key) })));
  return here.map((h) => h.schema);
}

/** Whether `schema` is `target` under optional/default/describe wrappers (zod clones share the definition). */
export function isSchemaOf(schema: unknown, target: unknown): boolean {
  const want = defOf(target);
  for (let s = schema, depth = 0; depth < 20; depth++) {
    const def = defOf(s);
    if (def === undefined) return false;
    if (def === want) return true;
    if (!["optional", "nullable", "default", "prefault", "catch", "readonly", "nonoptional"].includes(def.type ?? "")) return false;
    s = def.innerType;
  }
  return false;
}

/** Every key the schema allows at `path` of `input` (the mapping an unknown key sits in). */
export function knownKeysAt(schema: unknown, input: unknown, path: readonly (string | number)[]): string[] {
  let here: { schema: unknown; input: unknown }[] = [{ schema, input }];
  for (const key of path) here = here.flatMap((h) => childrenOf(h.schema, h.input, key).map((s) => ({ schema: s, input: at(h.input, key) })));
  return [...new Set(here.flatMap((h) => objectsOf(h.schema, h.input).flatMap((o) => Object.keys(o.shape ?? {}))))];
}

/** Edits from a to b, a swap of two neighbours counting one ("hots" → "host"). */
function distance(a: string, b: string): number {
  const rows: number[][] = [Array.from({ length: b.length + 1 }, (_, j) => j)];
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    const prev = rows[i - 1] ?? [];
    for (let j = 1; j <= b.length; j++) {
      let d = Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, (rows[i - 2]?.[j - 2] ?? 0) + 1);
      row[j] = d;
    }
    rows.push(row);
  }
  return rows[a.length]?.[b.length] ?? 0;
}

/** The known key a misspelt one most likely meant (`grup_by` → `group_by`, `groupBy` → `group_by`), if one is close. */
export function closestKey(unknown: string, known: readonly string[]): string | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/[-_]/g, "");
  const same = known.find((k) => norm(k) === norm(unknown));
  if (same !== undefined) return same;
  let best: { key: string; d: number } | undefined;
  for (const k of known) {
    const d = distance(norm(unknown), norm(k));
    if (d <= Math.max(1, Math.floor(k.length / 3)) && (best === undefined || d < best.d)) best = { key: k, d };
  }
  return best?.key;
}

/** One entry per unknown key of an `unrecognized_keys` issue: its path and " (did you mean X?)" when a known key is close. */
export function unknownKeyProblems(schema: unknown, input: unknown, issue: z.core.$ZodIssue): { path: YamlPath; suggestion: string }[] {
  if (issue.code !== "unrecognized_keys") return [];
  const base = issue.path.filter((p): p is string | number => typeof p !== "symbol");
  const known = knownKeysAt(schema, input, base);
  return issue.keys.map((k) => {
    const near = closestKey(k, known);
    return { path: [...base, k], suggestion: near === undefined ? "" : ` (did you mean ${near}?)` };
  });
}
