// The rule engine's public surface: load and validate rule files, compile them, match records, count lines.
export { RuleSchema, RuleFileSchema, MatchSpec, StructuredAlternative, Knowledge } from "./schema.js";
export type { Rule, RuleKind, Severity, Aggregate, FieldSpec } from "./schema.js";
/** The summary of each of a rule's fields, from the shorthand or the { summary, capture } form. */
export { fieldSummaries } from "./schema.js";
/** A rule's title and severity for a finding's state (its `observed` title and severity below its condition). */
export { ruleSeverity, ruleTitle } from "./schema.js";
export type { Signal, SignalRole } from "./signal.js";
export type { CompiledCapture, CompiledRule, CompiledPattern, CompiledPatternSet, CompiledStructured, FieldSelector, PatternOrigin } from "./compile.js";
export type { LocatedRule } from "./parse-rule-text.js";

/** Reads one rule file (one rule or `rules: [...]`); errors name file, line and field. */
export { loadRuleFile } from "./load.js";
/** Reads every *.yaml/*.yml of a directory; a duplicate id is an error naming both places. */
export { loadRuleDir } from "./load.js";
/** The built-in library (src/rules/library, or dist/rules/library when built). */
export { loadBuiltinRules } from "./load.js";
/** Built-ins, then each directory's rules replacing built-ins with the same id. */
export { loadRules, MAX_RULE_FILE_BYTES } from "./load.js";
/** Same as the above with the file and line of each rule. (parseRuleText, the sync parser, is in parse-rule-text.ts: importing it loads yaml.) */
export { loadLocatedFile, loadLocatedDir, builtinRuleDir } from "./load.js";
/** Builds regexes once, refuses unsafe ones (rule_unsafe), extracts prefilter literals. */
export { compileRules, checkPattern, patternSets } from "./compile.js";
/** (record) => Signal[]: prefilter, then only candidate regexes; synchronous, no compilation per line. */
export type { GateLine, MatchGate } from "./match.js";
export { createMatchGate, createMatcher, selectField, capturedFields, setMatches, structuredFields } from "./match.js";
/** Matches an example line (as `text`) against a rule's main set. */
export { testExample } from "./examples.js";
/** Ad-hoc `id<TAB>regex` signatures (scan --patterns), checked like rule files. */
export { parsePatterns } from "./patterns.js";
export { loadPatternFile } from "./pattern-file.js";
/** Counts matching physical lines per rule straight from bytes (scan --count, the benchmark path). */
export { createLineCounter } from "./count-lines.js";
export type { LineCounter, LineCountOptions } from "./count-lines.js";
/** Slow (literal-less) patterns and failing examples, for `rules lint`. */
export { lintRules } from "./lint.js";
export type { LintFinding } from "./lint.js";
/** The rule format as JSON Schema and as the markdown reference in docs/rules.md. */
export { ruleJsonSchema, ruleSchemaMarkdown } from "./schema-doc.js";
