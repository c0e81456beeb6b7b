// Checks compiled rules for what loading cannot refuse: regexes without a prefilter literal (slow) and failing examples.
import type { CompiledRule } from "./compile.js";
import { patternSets } from "./compile.js";
import { testExample } from "./examples.js";

export interface LintFinding {
  readonly ruleId: string;
  readonly level: "warning" | "error";
  /** Where in the rule: `match.any[1]`, `examples[0]`. */
  readonly path: string;
  readonly problem: string;
}

/** Slow patterns (no literal: the regex runs on every line) are warnings; examples that do not hold are errors. */
export function lintRules(rules: readonly CompiledRule[]): LintFinding[] {
  const out: LintFinding[] = [];
  for (const rule of rules) {
    const paths = patternSets(rule.rule).map((s) => s.path);
    rule.sets.forEach((set, si) => {
      set.any.forEach((p, i) => {
        if (p.literals === undefined)
          out.push({
            ruleId: rule.id,
            level: "warning",
            path: `${paths[si] ?? set.role}.any[${i}]`,
            problem: `slow: no literal of 3+ characters that every match must contain, so this regex runs on every line (${JSON.stringify(p.source)})`,
          });
      });
    });
    rule.rule.examples.forEach((ex, i) => {
      const got = testExample(rule, ex.line, ex.structured);
      const path = `examples[${i}]`;
      if (got.matched !== ex.matches) {
        out.push({ ruleId: rule.id, level: "error", path, problem: `expected ${ex.matches ? "a match" : "no match"}, got ${got.matched ? "a match" : "none"}: ${JSON.stringify(ex.line)}` });
        return;
      }
      for (const [k, v] of Object.entries(ex.fields ?? {}))
        if (got.fields[k] !== v)
          out.push({ ruleId: rule.id, level: "error", path: `${path}.fields.${k}`, problem: `expected ${JSON.stringify(v)}, captured ${got.fields[k] === undefined ? "nothing" : JSON.stringify(got.fields[k])}` });
    });
  }
  return out;
}
