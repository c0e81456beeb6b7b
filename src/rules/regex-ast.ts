// Parses a rule regex once (JavaScript syntax, no flags) into an AST for the safety check and the literal extraction.
import regjsparser from "regjsparser";
import type { AstNode, RootNode } from "regjsparser";

export const REGEX_FEATURES = { namedGroups: true, lookbehind: true } as const;
export type RegexNode = AstNode<typeof REGEX_FEATURES>;
export type RegexRoot = RootNode<typeof REGEX_FEATURES>;

/** The reason V8 refuses a pattern ("Unterminated group"), or undefined when it compiles. */
export function regexSyntaxProblem(source: string): string | undefined {
  try {
    new RegExp(source);
    return undefined;
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    // V8 says "Invalid regular expression: /(a/: Unterminated group"; keep the reason only.
    const i = msg.lastIndexOf(": ");
    return i >= 0 ? msg.slice(i + 2) : msg;
  }
}

/** The AST, or undefined when regjsparser cannot read a pattern V8 accepts (Annex B corners): then no literal, no proof. */
export function parseRegex(source: string): RegexRoot | undefined {
  try {
    return regjsparser.parse(source, "", REGEX_FEATURES);
  } catch {
    return undefined;
  }
}
