import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { requiredLiterals } from "../../../src/rules/literals.js";
import { parseRegex } from "../../../src/rules/regex-ast.js";
import { enableBacktrackFallback } from "../../../src/rules/regex-fallback.js";
import { findCatastrophicConstruct } from "../../../src/rules/regex-safety.js";

function literalsOf(source: string): string[] | undefined {
  const ast = parseRegex(source);
  if (!ast) throw new Error(`regjsparser could not read ${source}`);
  return requiredLiterals(ast);
}

/** Small regexes over a small alphabet, so that random strings often match them. */
const regexArb: fc.Arbitrary<string> = fc.letrec<{ re: string; atom: string }>((tie) => ({
  atom: fc.oneof(
    { depthSize: "small" },
    fc.constantFrom("a", "b", "c", "ab", "abc", "cab", "[ab]", "[Aa]", "\\d", ".", "\\.", "\\s", "\\w", "$", "^", "(?=a)", "(?!b)"),
    tie("re").map((r) => `(?:${r})`),
    fc.tuple(tie("re"), tie("re")).map(([x, y]) => `(?:${x}|${y})`),
  ),
  re: fc.tuple(fc.array(fc.tuple(tie("atom"), fc.constantFrom("", "", "", "*", "+", "?", "{2}", "{1,3}", "+?")), { minLength: 1, maxLength: 5 })).map(([parts]) =>
    parts.map(([a, q]) => (q && !["$", "^"].includes(a) && !a.startsWith("(?=") && !a.startsWith("(?!") ? `(?:${a})${q}` : a)).join(""),
  ),
})).re;

describe("requiredLiterals", () => {
  enableBacktrackFallback();

  test("every string a regex matches contains one of its literals (property)", () => {
    fc.assert(
      fc.property(regexArb, fc.array(fc.stringMatching(/^[abcA1. ]{0,12}$/), { minLength: 1, maxLength: 20 }), (source, texts) => {
        const lits = literalsOf(source);
        if (lits === undefined) return;
        // Random nested quantifiers can backtrack exponentially, and a synchronous stall cannot be timed out: run only
        // what the engine itself would load (the same check and the same V8 fallback as compileRules).
        const ast = parseRegex(source);
        if (ast === undefined || findCatastrophicConstruct(ast) !== undefined) return;
        const re = new RegExp(source);
        for (const t of texts) if (re.test(t)) expect(lits.some((l) => t.includes(l)), `${source} matched ${JSON.stringify(t)} without any of ${JSON.stringify(lits)}`).toBe(true);
      }),
      { numRuns: 2000 },
    );
  }, 120_000);

  test("literals are found in matches built from the regex itself", () => {
    for (const [source, sample] of [
      ["(?:EADDRINUSE|[Aa]ddress already in use|Is port \\d+ in use)", "Is port 80 in use"],
      ["(?:[a-z]+\\.)+[A-Z]\\w*(?:Exception|Error)(?:\\W|$)", "java.lang.IllegalStateException:"],
      ["(?:Failed password for (?:invalid user )?\\S+ from [0-9.]+|authentication failure;.*rhost=\\S+)", "Failed password for invalid user x from 1.2.3.4"],
    ] as const) {
      const lits = literalsOf(source) ?? [];
      expect(new RegExp(source).test(sample)).toBe(true);
      expect(lits.some((l) => sample.includes(l))).toBe(true);
    }
  });

  test("sets keep the regex meaning: case classes expand, (?:\\W|$) adds nothing, alternations give alternatives", () => {
    expect(literalsOf("[Aa]ddress in use")).toEqual(["Address in use", "address in use"]);
    expect(literalsOf("Exception(?:\\W|$)")).toEqual(["Exception"]);
    expect(literalsOf("(?:EADDRINUSE|Is port \\d+ in use)")).toEqual(["EADDRINUSE", "Is port "]);
    expect(literalsOf("Failed password for (?:invalid user )?\\S+")).toEqual(["Failed password for "]);
    expect(literalsOf("\\d+\\.\\d+")).toBeUndefined();
    expect(literalsOf("(?:ab|x)yz")).toEqual(["abyz", "xyz"]);
  });
});
