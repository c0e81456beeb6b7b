// `scan --patterns FILE`: reads the file and turns its lines into rules, without loading zod when it need not.
import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { FirewatchError } from "../errors.js";
import { checkPattern } from "./compile.js";
import { filesHash } from "./library-cache.js";
import { readRuleText, validatorFiles } from "./load.js";
import { RULE_ID } from "./rule-id.js";
import type { Rule } from "./schema.js";

// The rule a pattern line becomes is RuleSchema's output for { id, match: regex }: the schema's defaults around the
// id and the one regex. The build writes that output once for placeholders (dist/rules/pattern-rule.json, with the
// hash of the validating modules); a pattern line then only has to pass the schema's two checks on these fields (a
// snake_case id, a non-empty regex) to be that template with its own id and regex. zod (95 modules, ~0.1 s of a
// scan's start-up) is loaded only when the template is missing or stale, or a line fails a check, and then the whole
// file goes through parsePatterns: the same rules, the same error messages.
const ID = "pattern_id";
const REGEX = "pattern_regex";

interface Template {
  readonly hash: string;
  readonly rule: Rule;
}

/** The template's file, beside this module (dist/rules/ in a build). */
export function patternTemplateFile(): string {
  return fileURLToPath(new URL("./pattern-rule.json", import.meta.url));
}

/** Writes the template (the build calls it). */
export async function writePatternTemplate(file: string): Promise<void> {
  const { parsePatterns } = await import("./patterns.js");
  const [rule] = parsePatterns(`${ID}\t${REGEX}\n`, "template");
  if (rule === undefined) throw new FirewatchError("internal", "the pattern template did not parse");
  await writeFile(file, `${JSON.stringify({ hash: await filesHash(validatorFiles()), rule } satisfies Template)}\n`);
}

/** The template when its file exists, has the shape written and the validating modules' hash; else undefined. */
export async function readPatternTemplate(file: string): Promise<Rule | undefined> {
  let value: Partial<Template>;
  try {
    value = JSON.parse(await readFile(file, "utf8")) as Partial<Template>;
  } catch {
    return undefined;
  }
  const rule = value.rule;
  if (rule?.id !== ID || rule.kind !== "single" || rule.match.any.length !== 1 || rule.match.any[0] !== REGEX) return undefined;
  return value.hash === (await filesHash(validatorFiles())) ? rule : undefined;
}

/**
 * The rules of a pattern file through the template; undefined when some line is not the plain case (no tab, an id
 * or regex the schema rejects, a duplicate id), which parsePatterns then reports. Every regex still passes
 * checkPattern (syntax, catastrophic backtracking), located at file:line.
 */
export function patternsFromTemplate(text: string, file: string, template: Rule): Rule[] | undefined {
  const rules: Rule[] = [];
  const seen = new Set<string>();
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] ?? "";
    const content = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (content === "" || content.startsWith("#")) continue;
    const tab = content.indexOf("\t");
    const id = content.slice(0, tab);
    const regex = content.slice(tab + 1);
    if (tab === -1 || !RULE_ID.test(id) || regex === "" || seen.has(id)) return undefined;
    seen.add(id);
    checkPattern(regex, { file, line: i + 1 }, "regex", id);
    const rule = structuredClone(template);
    rules.push({ ...rule, id, match: { ...rule.match, any: [regex] } } as Rule);
  }
  return rules;
}

export async function loadPatternFile(file: string, templateFile: string = patternTemplateFile()): Promise<Rule[]> {
  const text = await readRuleText(file, "pattern file");
  const template = await readPatternTemplate(templateFile);
  const fast = template ? patternsFromTemplate(text, file, template) : undefined;
  return fast ?? (await import("./patterns.js")).parsePatterns(text, file);
}
