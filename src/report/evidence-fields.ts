// Re-reads fields from kept evidence lines with the finding's own rule, so the timeline can show counters as they ran.
import { compileRules, testExample, type CompiledRule, type Rule } from "../rules/index.js";

/** The fields a rule captures from one line of its evidence; undefined when the rule is unknown or does not match. */
export type FieldExtractor = (ruleId: string, text: string) => Readonly<Record<string, string>> | undefined;

/**
 * Compiles each rule the first time it is needed (a report touches few rules) and matches evidence text against
 * its main patterns. A rule that does not compile gives no fields: the timeline then shows only the summary value.
 */
export function createFieldExtractor(rules: ReadonlyMap<string, Rule>): FieldExtractor {
  const compiled = new Map<string, CompiledRule | undefined>();
  const get = (id: string): CompiledRule | undefined => {
    if (compiled.has(id)) return compiled.get(id);
    const rule = rules.get(id);
    let c: CompiledRule | undefined;
    try {
      c = rule === undefined ? undefined : compileRules([rule])[0];
    } catch {
      // Recovered: the pipeline refuses such a rule at load; here it only costs the counter ranges.
      c = undefined;
    }
    compiled.set(id, c);
    return c;
  };
  return (ruleId, text) => {
    const rule = get(ruleId);
    if (!rule) return undefined;
    const m = testExample(rule, text);
    return m.matched ? m.fields : undefined;
  };
}
