// Loads rule files and directories into validated Rules; the YAML parser is loaded on first use.
import { readdir, readFile, stat } from "node:fs/promises";
import { dirname, extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { collectProblem, FirewatchError, RuleFileError, throwProblems } from "../errors.js";
import { filesHash, readLibraryCache, writeLibraryCache } from "./library-cache.js";
import type { Rule } from "./schema.js";
import type { LocatedRule } from "./parse-rule-text.js";

/** Reads one rule file. Throws RuleFileError (rule_invalid / rule_unsafe), or FirewatchErrors when it has several problems. */
export async function loadRuleFile(path: string): Promise<Rule[]> {
  return (await loadLocatedFile(path)).map((r) => r.rule);
}

/**
 * The largest rule or pattern file read: the biggest built-in rule is under 8 KiB, so 1 MiB is a hundred rules of
 * room. A 43 MB file took 21 s and 1.6 GB to refuse; now it is refused before it is read.
 */
export const MAX_RULE_FILE_BYTES = 1024 * 1024;

/** Refuses a file over MAX_RULE_FILE_BYTES (rule_invalid, exit 2) before reading it. */
export async function checkRuleFileSize(path: string, what: string): Promise<void> {
  const st = await stat(path).catch((e: unknown) => {
    throw new FirewatchError("input_missing", `cannot read ${what} ${path}`, { cause: e });
  });
  if (st.size > MAX_RULE_FILE_BYTES) {
    throw new FirewatchError("rule_invalid", `${path}: ${st.size} bytes; a ${what} holds at most ${MAX_RULE_FILE_BYTES} bytes`, { hint: "split it into several files in a rules directory" });
  }
}

/** A rule or pattern file's text, after the size check; `what` names it in the errors ("rule file", "pattern file"). */
export async function readRuleText(path: string, what: string): Promise<string> {
  await checkRuleFileSize(path, what);
  try {
    return await readFile(path, "utf8");
  } catch (e) {
    throw new FirewatchError("input_missing", `cannot read ${what} ${path}`, { cause: e });
  }
}

export async function loadLocatedFile(path: string): Promise<LocatedRule[]> {
  const text = await readRuleText(path, "rule file");
  // yaml costs ~45 ms to load: `scan --patterns` never reads a rule file and so never pays it.
  const { parseRuleText } = await import("./parse-rule-text.js");
  return parseRuleText(text, path);
}

async function yamlFiles(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    throw new FirewatchError("input_missing", `cannot read rule directory ${dir}`, { cause: e });
  }
  const files: string[] = [];
  for (const name of names.sort()) {
    if (!/\.ya?ml$/.test(name)) continue;
    const p = join(dir, name);
    if ((await stat(p)).isFile()) files.push(p);
  }
  return files;
}

/** Every *.yaml / *.yml in a directory (not recursive), in name order; an id defined twice is an error naming both places. */
export async function loadRuleDir(dir: string): Promise<Rule[]> {
  return (await loadLocatedDir(dir)).map((r) => r.rule);
}

/** Every rule of a directory; the problems of all its files are thrown together, after every file was read. */
export async function loadLocatedDir(dir: string): Promise<LocatedRule[]> {
  const all: LocatedRule[] = [];
  const byId = new Map<string, LocatedRule>();
  const problems: FirewatchError[] = [];
  for (const file of await yamlFiles(dir)) {
    for (const r of (await collectProblem(problems, () => loadLocatedFile(file))) ?? []) {
      const before = byId.get(r.rule.id);
      if (before) problems.push(new RuleFileError(r.file, r.line, "id", `duplicate id "${r.rule.id}", also defined at ${before.file}:${before.line}`));
      byId.set(r.rule.id, r);
      all.push(r);
    }
  }
  throwProblems(problems);
  return all;
}

/** The directory of the built-in library: src/rules/library when run from source, dist/rules/library when built. */
export function builtinRuleDir(): string {
  return fileURLToPath(new URL("./library/", import.meta.url));
}

/** The built-in library's precompiled form (dist/rules/library.json, written by the build). */
export function builtinCacheFile(): string {
  return fileURLToPath(new URL("./library.json", import.meta.url));
}

/** The modules whose code decides what a validated rule holds (the schema, its durations): part of the cache's hash. */
export function validatorFiles(): string[] {
  const here = fileURLToPath(import.meta.url);
  const ext = extname(here);
  return [join(dirname(here), `schema${ext}`), join(dirname(here), `rule-id${ext}`), join(dirname(here), "..", `time${ext}`)];
}

async function libraryHash(dir: string): Promise<string> {
  return filesHash([...(await yamlFiles(dir)), ...validatorFiles()]);
}

/**
 * A rule directory through its precompiled form when the hash of its YAML files and of the validating modules matches
 * the one the form was written with; otherwise (no form, a stale or unreadable one) parsed and validated as any other.
 * Skips ~0.3 s of YAML parsing and zod at every start of analyze and watch (issue 18).
 */
export async function loadLibrary(dir: string, cacheFile: string): Promise<Rule[]> {
  return (await readLibraryCache(cacheFile, await libraryHash(dir))) ?? loadRuleDir(dir);
}

/** Validates a rule directory the full way and writes its precompiled form for loadLibrary (the build calls it). */
export async function writeLibrary(dir: string, cacheFile: string): Promise<void> {
  const hash = await libraryHash(dir);
  await writeLibraryCache(cacheFile, hash, await loadRuleDir(dir));
}

/** The built-in rule library; empty when the library folder is missing. */
export async function loadBuiltinRules(): Promise<Rule[]> {
  const dir = builtinRuleDir();
  try {
    await stat(dir);
  } catch {
    return [];
  }
  return loadLibrary(dir, builtinCacheFile());
}

/** Built-ins, then each directory in order; a later rule with the same id replaces the earlier one in place. */
export async function loadRules(opts: { dirs?: readonly string[] }): Promise<Rule[]> {
  const merged = new Map<string, Rule>();
  const problems: FirewatchError[] = [];
  for (const r of await loadBuiltinRules()) merged.set(r.id, r);
  for (const dir of opts.dirs ?? []) for (const r of (await collectProblem(problems, () => loadRuleDir(dir))) ?? []) merged.set(r.id, r);
  throwProblems(problems);
  return [...merged.values()];
}
