// Parses the text of a rule file (YAML, one rule or `rules: [...]`) into located Rules; errors name file, line, field.
import { isSeq, LineCounter, parseDocument } from "yaml";
import { RuleFileError, throwProblems, type FirewatchError } from "../errors.js";
import { RuleSchema, type Rule } from "./schema.js";
import { checkPattern, patternSets } from "./compile.js";
import { issueProblem } from "./issues.js";
import { formatPath, issuePath, lineOf, unknownKeyProblems } from "../yaml-position.js";

/** A rule with the place it came from: duplicate ids name both places. */
export interface LocatedRule {
  readonly rule: Rule;
  readonly file: string;
  readonly line: number;
}

type Path = (string | number)[];

/** Parses the text of a rule file; `file` is only used in messages. Every problem of the file is thrown at once. */
export function parseRuleText(text: string, file: string): LocatedRule[] {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  const err = doc.errors[0];
  if (err) throw new RuleFileError(file, counter.linePos(err.pos[0]).line, "", `not valid YAML (${err.message.split("\n")[0] ?? ""})`);
  let value: unknown;
  try {
    // yaml refuses aliases that expand past its limit (an alias bomb): a refused rule file, not a crash.
    value = doc.toJS();
  } catch (e) {
    throw new RuleFileError(file, 1, "", `not usable YAML (${e instanceof Error ? (e.message.split("\n")[0] ?? "") : String(e)})`);
  }
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
  const problems: FirewatchError[] = [];
  const seen = new Map<string, number>();
  for (const { value: raw, prefix } of raws) {
    const r = RuleSchema.safeParse(raw, { reportInput: true });
    if (!r.success) {
      for (const issue of r.error.issues) {
        const unknown = unknownKeyProblems(RuleSchema, raw, issue);
        for (const u of unknown) {
          const path = [...prefix, ...u.path];
          problems.push(new RuleFileError(file, lineOf(doc, counter, path), formatPath(path), `unknown key${u.suggestion}`));
        }
        if (unknown.length > 0) continue;
        const path = [...prefix, ...issuePath(issue)];
        problems.push(new RuleFileError(file, lineOf(doc, counter, path), formatPath(path), issueProblem(issue)));
      }
      if (r.error.issues.length === 0) problems.push(new RuleFileError(file, lineOf(doc, counter, prefix), formatPath(prefix), "invalid rule"));
      continue;
    }
    const rule = r.data;
    const line = lineOf(doc, counter, [...prefix, "id"]);
    const before = seen.get(rule.id);
    if (before !== undefined) problems.push(new RuleFileError(file, line, formatPath([...prefix, "id"]), `duplicate id "${rule.id}", also defined at ${file}:${before}`));
    seen.set(rule.id, line);
    const patternProblems: FirewatchError[] = [];
    const checked = (source: string, origin: { file: string; line: number }, path: string) => {
      try {
        checkPattern(source, origin, path, rule.id);
      } catch (e) {
        if (!(e instanceof RuleFileError)) throw e;
        patternProblems.push(e);
      }
    };
    for (const { path: setPath, spec } of patternSets(rule)) {
      const check = (kind: "any" | "not", list: readonly string[]) =>
        list.forEach((source, i) => {
          const path = [...prefix, setPath, kind, i];
          // Shorthands: `match: [a, b]` has its regexes at match[i]; `match: "a"` only has `match` (lineOf falls back).
          const shorthand = kind === "any" && isSeq(doc.getIn([...prefix, setPath], true));
          const line = lineOf(doc, counter, shorthand ? [...prefix, setPath, i] : path);
          checked(source, { file, line }, formatPath(path));
        });
      check("any", spec.any);
      check("not", spec.not);
      (spec.structured ?? []).forEach((alt, i) => {
        for (const [name, source] of Object.entries(alt)) {
          const path = [...prefix, setPath, "structured", i, name];
          checked(source, { file, line: lineOf(doc, counter, path) }, formatPath(path));
        }
      });
    }
    problems.push(...patternProblems);
    if (patternProblems.length === 0) out.push({ rule, file, line });
  }
  throwProblems(problems);
  return out;
}
