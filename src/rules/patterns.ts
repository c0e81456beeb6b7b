// Parses ad-hoc signatures for `scan --patterns FILE`: one `id<TAB>regex` per line, like `grep -f` with names.
import { RuleFileError } from "../errors.js";
import { RuleSchema, type Rule } from "./schema.js";
import { checkPattern } from "./compile.js";
import { issueProblem } from "./issues.js";

/**
 * Each non-empty line is `id<TAB>regex` (JavaScript syntax, no flags); lines starting with "#" are comments.
 * Every pattern passes the same checks as a rule file's (syntax, catastrophic backtracking), located at file:line.
 */
export function parsePatterns(text: string, file: string): Rule[] {
  const rules: Rule[] = [];
  const seen = new Map<string, number>();
  text.split("\n").forEach((raw, i) => {
    const line = i + 1;
    const content = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (content === "" || content.startsWith("#")) return;
    const tab = content.indexOf("\t");
    if (tab === -1) throw new RuleFileError(file, line, "", "expected id<TAB>regex");
    const id = content.slice(0, tab);
    const regex = content.slice(tab + 1);
    const parsed = RuleSchema.safeParse({ id, match: regex }, { reportInput: true });
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new RuleFileError(file, line, issue?.path[0] === "id" ? "id" : "regex", issue ? issueProblem(issue) : "invalid pattern");
    }
    const before = seen.get(id);
    if (before !== undefined) throw new RuleFileError(file, line, "id", `duplicate id "${id}", also defined at ${file}:${before}`);
    seen.set(id, line);
    checkPattern(regex, { file, line }, "regex", id);
    rules.push(parsed.data);
  });
  return rules;
}
