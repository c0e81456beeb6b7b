// Checks a rule's example line against its main `match` set, as the library tests and `rules test` do.
import type { CompiledRule } from "./compile.js";
import { capturedFields, setMatches, structuredFields } from "./match.js";

/**
 * Matches `line` as a record's `text` against the rule's main set (vetoes included); fields are the named groups.
 * `structured` is the record's structured fields (a journal entry's MESSAGE_ID...): the set's `structured`
 * alternatives are tried on them when no text regex matched, as the matcher does.
 */
export function testExample(rule: CompiledRule, line: string, structured?: Readonly<Record<string, string>>): { matched: boolean; fields: Record<string, string> } {
  const main = rule.sets[0];
  if (!main) return { matched: false, fields: {} };
  const m = setMatches(main, line);
  if (m) return { matched: true, fields: capturedFields(m) };
  // A text that a `not` vetoed vetoes the structured alternatives too (structuredFields checks it), as in the matcher.
  const f = structured === undefined ? undefined : structuredFields(main, structured, line);
  return f ? { matched: true, fields: f } : { matched: false, fields: {} };
}
