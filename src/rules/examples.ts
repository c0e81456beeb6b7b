// Checks a rule's example line against its main `match` set, as the library tests and `rules test` do.
import type { CompiledRule } from "./compile.js";
import { capturedFields, setMatches } from "./match.js";

/** Matches `line` as a record's `text` against the rule's main set (vetoes included); fields are the named groups. */
export function testExample(rule: CompiledRule, line: string): { matched: boolean; fields: Record<string, string> } {
  const main = rule.sets[0];
  const m = main ? setMatches(main, line) : undefined;
  return m ? { matched: true, fields: capturedFields(m) } : { matched: false, fields: {} };
}
