// Loads rule files (YAML, one rule or `rules: [...]`) into validated Rules, with errors that point to file, line and field.
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { isMap, isSeq, LineCounter, parseDocument, type Document } from "yaml";
import { FirewatchError, RuleFileError } from "../errors.js";
import { RuleSchema, type Rule } from "./schema.js";
import { checkPattern, patternSets } from "./compile.js";
import { formatPath, issuePath, issueProblem } from "./issues.js";

/** A rule with the place it came from: duplicate ids name both places. */
export interface LocatedRule {
  readonly rule: Rule;
  readonly file: string;
  readonly line: number;
}

type Path = (string | number)[];

/** The 1-based line of the deepest node on `path` that exists in the document. */
function lineOf(doc: Document, counter: LineCounter, path: Path): number {
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

/** Reads one rule file. Throws RuleFileError (rule_invalid / rule_unsafe) at the first problem. */
export async function loadRuleFile(path: string): Promise<Rule[]> {
  return (await loadLocatedFile(path)).map((r) => r.rule);
}

export async function loadLocatedFile(path: string): Promise<LocatedRule[]> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    throw new FirewatchError("input_missing", `cannot read rule file ${path}`, { cause: e });
  }
  return parseRuleText(text, path);
}

/** Parses the text of a rule file; `file` is only used in messages. */
export function parseRuleText(text: string, file: string): LocatedRule[] {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  const err = doc.errors[0];
  if (err) throw new RuleFileError(file, counter.linePos(err.pos[0]).line, "", `not valid YAML (${err.message.split("\n")[0] ?? ""})`);
  const value: unknown = doc.toJS();
  let raws: { value: unknown; prefix: Path }[];
  if (value && typeof value === "object" && !Array.isArray(value) && "rules" in value) {
    const list = (value as { rules: unknown }).rules;
    if (!isSeq(doc.get("rules", true)) || !Array.isArray(list)) throw new RuleFileError(file, lineOf(doc, counter, ["rules"]), "rules", "expected a list of rules");
    const extra = Object.keys(value).find((k) => k !== "rules");
    if (extra !== undefined) throw new RuleFileError(file, lineOf(doc, counter, [extra]), extra, "unknown key (a file holds one rule or `rules: [...]`)");
    raws = list.map((v, i) => ({ value: v, prefix: ["rules", i] }));
  } else {
    raws = [{ value, prefix: [] }];
  }
  const out: LocatedRule[] = [];
  const seen = new Map<string, number>();
  for (const { value: raw, prefix } of raws) {
    const r = RuleSchema.safeParse(raw, { reportInput: true });
    if (!r.success) {
      const issue = r.error.issues[0];
      if (!issue) throw new RuleFileError(file, lineOf(doc, counter, prefix), formatPath(prefix), "invalid rule");
      const path = [...prefix, ...issuePath(issue)];
      throw new RuleFileError(file, lineOf(doc, counter, path), formatPath(path), issueProblem(issue));
    }
    const rule = r.data;
    const line = lineOf(doc, counter, [...prefix, "id"]);
    const before = seen.get(rule.id);
    if (before !== undefined) throw new RuleFileError(file, line, formatPath([...prefix, "id"]), `duplicate id "${rule.id}", also defined at ${file}:${before}`);
    seen.set(rule.id, line);
    for (const { path: setPath, spec } of patternSets(rule)) {
      const check = (kind: "any" | "not", list: readonly string[]) =>
        list.forEach((source, i) => {
          const path = [...prefix, setPath, kind, i];
          // Shorthands: `match: [a, b]` has its regexes at match[i]; `match: "a"` only has `match` (lineOf falls back).
          const shorthand = kind === "any" && isSeq(doc.getIn([...prefix, setPath], true));
          const line = lineOf(doc, counter, shorthand ? [...prefix, setPath, i] : path);
          checkPattern(source, { file, line }, formatPath(path), rule.id);
        });
      check("any", spec.any);
      check("not", spec.not);
    }
    out.push({ rule, file, line });
  }
  return out;
}

async function yamlFiles(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    throw new FirewatchError("input_missing", `cannot read rule directory ${dir}`, { cause: e });
  }
  const files: string[] = [];
  for (const name of names.sort()) {
    if (!/\.ya?ml$/.test(name)) continue;
    const p = join(dir, name);
    if ((await stat(p)).isFile()) files.push(p);
  }
  return files;
}

/** Every *.yaml / *.yml in a directory (not recursive), in name order; an id defined twice is an error naming both places. */
export async function loadRuleDir(dir: string): Promise<Rule[]> {
  return (await loadLocatedDir(dir)).map((r) => r.rule);
}

export async function loadLocatedDir(dir: string): Promise<LocatedRule[]> {
  const all: LocatedRule[] = [];
  const byId = new Map<string, LocatedRule>();
  for (const file of await yamlFiles(dir)) {
    for (const r of await loadLocatedFile(file)) {
      const before = byId.get(r.rule.id);
      if (before) throw new RuleFileError(r.file, r.line, "id", `duplicate id "${r.rule.id}", also defined at ${before.file}:${before.line}`);
      byId.set(r.rule.id, r);
      all.push(r);
    }
  }
  return all;
}

/** The directory of the built-in library: src/rules/library when run from source, dist/rules/library when built. */
export function builtinRuleDir(): string {
  return fileURLToPath(new URL("./library/", import.meta.url));
}

/** The built-in rule library; empty when the library folder is missing. */
export async function loadBuiltinRules(): Promise<Rule[]> {
  const dir = builtinRuleDir();
  try {
    await stat(dir);
  } catch {
    return [];
  }
  return loadRuleDir(dir);
}

/** Built-ins, then each directory in order; a later rule with the same id replaces the earlier one in place. */
export async function loadRules(opts: { dirs?: readonly string[] }): Promise<Rule[]> {
  const merged = new Map<string, Rule>();
  for (const r of await loadBuiltinRules()) merged.set(r.id, r);
  for (const dir of opts.dirs ?? []) for (const r of await loadRuleDir(dir)) merged.set(r.id, r);
  return [...merged.values()];
}
