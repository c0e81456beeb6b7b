// Turns validated rules into CompiledRules: regexes built once, safety checked, prefilter literals extracted.
import { RuleFileError } from "../errors.js";
import type { SignalRole } from "./signal.js";
import type { MatchSpec, Rule } from "./schema.js";
import { parseRegex, regexSyntaxProblem } from "./regex-ast.js";
import { findCatastrophicConstruct, findUnboundedPolynomial } from "./regex-safety.js";
import { requiredLiterals } from "./literals.js";
import { enableBacktrackFallback, linearTwin } from "./regex-fallback.js";

/** Which part of a record a pattern set reads. */
export type FieldSelector = { readonly kind: "text" | "message" | "service" | "host" } | { readonly kind: "field"; readonly name: string };

export interface CompiledPattern {
  readonly source: string;
  readonly regex: RegExp;
  /** The linear-time twin used on lines longer than LONG_LINE_CHARS; undefined when V8's linear engine cannot run it. */
  readonly linear: RegExp | undefined;
  /** Any one of these occurs in every line the regex matches; undefined = no literal (the rule is slow: lint says so). */
  readonly literals: readonly string[] | undefined;
}

/** One `structured` alternative: each condition's field must be present in record.fields and match its regex. */
export interface CompiledStructured {
  readonly conditions: readonly { readonly name: string; readonly source: string; readonly regex: RegExp }[];
}

export interface CompiledPatternSet {
  readonly role: SignalRole;
  readonly field: FieldSelector;
  readonly any: readonly CompiledPattern[];
  /** Tried after `any`, outside the prefilter (they read fields, not text); empty for most rules. */
  readonly structured: readonly CompiledStructured[];
  readonly not: readonly RegExp[];
}

/** A field found in a matched line when its pattern did not capture it (`fields: { job: { capture: [...] } }`). */
export interface CompiledCapture {
  readonly name: string;
  readonly regexes: readonly RegExp[];
  /** The record attribute the field comes from instead, when the rule says `from`. */
  readonly from: "pid" | "host" | "service" | undefined;
}

export interface CompiledRule {
  readonly id: string;
  readonly rule: Rule;
  /** The main `match` set first, then then/expect/until and clears, as the kind has them. */
  readonly sets: readonly CompiledPatternSet[];
  /** Fields looked for in a matched line when the match did not capture them; empty for most rules. */
  readonly captures: readonly CompiledCapture[];
}

/** Where a pattern problem is reported: the rule file and line when the loader knows them. */
export interface PatternOrigin {
  readonly file: string;
  readonly line: number;
}

/** Checks a regex as a rule would use it: syntax, then catastrophic backtracking. Throws a located RuleFileError. */
export function checkPattern(source: string, origin: PatternOrigin, path: string, ruleId: string): void {
  checkedAst(source, origin, path, ruleId);
}

/** checkPattern, giving back the parse it checked (undefined when the parser cannot read it): parsed once per pattern. */
function checkedAst(source: string, origin: PatternOrigin, path: string, ruleId: string): ReturnType<typeof parseRegex> {
  const syntax = regexSyntaxProblem(source);
  if (syntax !== undefined) throw new RuleFileError(origin.file, origin.line, path, `invalid regex (${syntax})`, { hint: "rules use JavaScript regex syntax, without flags" });
  const ast = parseRegex(source);
  const construct = ast ? (findCatastrophicConstruct(ast) ?? findUnboundedPolynomial(ast)) : undefined;
  if (construct !== undefined)
    throw new RuleFileError(origin.file, origin.line, path, `rule ${ruleId}: unsafe regex: ${construct}`, {
      code: "rule_unsafe",
      hint: "make the repetition unambiguous, e.g. (?:\\w+\\s)+ instead of (\\w+\\s?)+, or match less",
    });
  return ast;
}

/** The pattern sets a rule kind has, with the YAML path of each. */
export function patternSets(rule: Rule): { role: SignalRole; path: string; spec: MatchSpec }[] {
  const sets: { role: SignalRole; path: string; spec: MatchSpec }[] = [{ role: "match", path: "match", spec: rule.match }];
  if (rule.kind === "sequence") sets.push({ role: "then", path: "then", spec: rule.then });
  if (rule.kind === "absence") {
    sets.push({ role: "expect", path: "expect", spec: rule.expect });
    if (rule.until) sets.push({ role: "until", path: "until", spec: rule.until });
  }
  if (rule.clears) sets.push({ role: "clears", path: "clears", spec: rule.clears });
  return sets;
}

function selector(field: string): FieldSelector {
  if (field.startsWith("fields.")) return { kind: "field", name: field.slice("fields.".length) };
  if (field === "message" || field === "service" || field === "host") return { kind: field };
  return { kind: "text" };
}

function usable(literals: readonly string[] | undefined): readonly string[] | undefined {
  // U+FFFD stands for bytes that were invalid; lone surrogates cannot be UTF-8: neither can be found in raw bytes.
  if (!literals || literals.some((l) => /[\uFFFD\uD800-\uDFFF]/.test(l))) return undefined;
  return literals;
}

/**
 * Compiles each rule once. A bad or unsafe regex throws RuleFileError (code rule_invalid / rule_unsafe) naming the
 * rule and the construct; `origins` (from the loader) puts the file and line of each rule into the message.
 */
export function compileRules(rules: readonly Rule[], origins?: ReadonlyMap<string, PatternOrigin>): CompiledRule[] {
  enableBacktrackFallback();
  return rules.map((rule) => {
    const origin = origins?.get(rule.id) ?? { file: `rule ${rule.id}`, line: 0 };
    const sets = patternSets(rule).map(({ role, path, spec }): CompiledPatternSet => {
      const any = spec.any.map((source, i): CompiledPattern => {
        const ast = checkedAst(source, origin, `${path}.any[${i}]`, rule.id);
        return { source, regex: new RegExp(source), linear: linearTwin(source), literals: usable(ast ? requiredLiterals(ast) : undefined) };
      });
      const structured = (spec.structured ?? []).map((alt, i): CompiledStructured => ({
        conditions: Object.entries(alt).map(([name, source]) => {
          checkPattern(source, origin, `${path}.structured[${i}].${name}`, rule.id);
          return { name, source, regex: new RegExp(source) };
        }),
      }));
      const not = spec.not.map((source, i) => {
        checkPattern(source, origin, `${path}.not[${i}]`, rule.id);
        return new RegExp(source);
      });
      return { role, field: selector(spec.field), any, structured, not };
    });
    const captures: CompiledCapture[] = [];
    for (const [name, spec] of Object.entries(rule.fields)) {
      if (typeof spec === "string") continue;
      const regexes = spec.capture.map((source, i) => {
        checkPattern(source, origin, `fields.${name}.capture[${i}]`, rule.id);
        if (!source.includes(`(?<${name}>`)) throw new RuleFileError(origin.file, origin.line, `fields.${name}.capture[${i}]`, `rule ${rule.id}: the regex has no group named ${name}`, { hint: `capture the value as (?<${name}>...)` });
        return new RegExp(source);
      });
      captures.push({ name, regexes, from: spec.from });
    }
    return { id: rule.id, rule, sets, captures };
  });
}
