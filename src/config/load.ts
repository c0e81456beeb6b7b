// Reads firewatch.yaml (with line positions) plus FIREWATCH_* overrides into one validated FirewatchConfig.
import { readFile } from "node:fs/promises";
import { LineCounter, parseDocument } from "yaml";
import type { z } from "zod";
import { FirewatchError, throwProblems } from "../errors.js";
import { formatPath, issuePath, lineOf, unknownKeyProblems } from "../yaml-position.js";
import { parseStoreSpec, type StoreSpec } from "../store/index.js";
import { applyEnv, type ConfigPath } from "./env.js";
import { FirewatchConfigSchema, screaming, SECRET_KEY, type FirewatchConfig } from "./schema.js";

export interface LoadConfigOptions {
  /** firewatch.yaml; absent: defaults plus the environment. */
  readonly file?: string | undefined;
  readonly env: NodeJS.ProcessEnv;
  /**
   * Sections the command does not use, left out before validation: `act` run by an operator needs no Slack bot token
   * in their environment (the daemon holds it). Their values are neither checked nor returned.
   */
  readonly unused?: readonly ("slack" | "llm")[];
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === "unrecognized_keys") return "unknown key";
  if (issue.code === "invalid_type" && issue.input === undefined) return `missing (expected ${issue.expected})`;
  return issue.message.replace(/^Invalid (?:input|option): /, "").replace(/, received /, ", got ");
}

const startsWith = (path: ConfigPath, prefix: ConfigPath) => prefix.every((p, i) => path[i] === p);

/** Secrets are read from the environment, never from the file (which is often world-readable or committed). */
function refuseInlineSecrets(value: unknown, path: ConfigPath, fail: (path: ConfigPath, msg: string) => void): void {
  if (Array.isArray(value)) value.forEach((v, i) => refuseInlineSecrets(v, [...path, i], fail));
  else if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      const here = [...path, k];
      if (SECRET_KEY.test(k) && typeof v === "string") fail(here, `a secret: set FIREWATCH_${here.map((p) => screaming(String(p))).join("__")} in the environment instead of writing it here`);
      refuseInlineSecrets(v, here, fail);
    }
  }
}

/** Validates a config; every problem is a config_invalid FirewatchError naming file:line, field and what is expected. */
export async function loadConfig(options: LoadConfigOptions): Promise<FirewatchConfig> {
  const file = options.file;
  const label = file ?? "(no config file)";
  let text = "";
  if (file !== undefined) {
    try {
      text = await readFile(file, "utf8");
    } catch (e) {
      throw new FirewatchError("config_invalid", `${file}: cannot read the config file (${(e as NodeJS.ErrnoException).code ?? "error"})`, { cause: e });
    }
  }
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  const yamlError = doc.errors[0];
  if (yamlError) throw new FirewatchError("config_invalid", `${label}:${counter.linePos(yamlError.pos[0]).line} not valid YAML (${yamlError.message.split("\n")[0] ?? ""})`);
  const problem = (path: ConfigPath, msg: string) =>
    new FirewatchError("config_invalid", `${label}:${lineOf(doc, counter, path)} ${formatPath(path) || "(top level)"}: ${msg}`);
  const fail = (path: ConfigPath, msg: string): never => {
    throw problem(path, msg);
  };
  let parsed: unknown;
  try {
    // yaml refuses aliases that expand past its limit (an alias bomb): a refused config, not an internal error.
    parsed = doc.toJS() ?? {};
  } catch (e) {
    throw new FirewatchError("config_invalid", `${label}: not usable YAML (${e instanceof Error ? (e.message.split("\n")[0] ?? "") : String(e)})`, { cause: e });
  }
  if (typeof parsed !== "object" || Array.isArray(parsed)) return fail([], "expected a mapping of sections (hosts, sources, store, ...)");
  const raw = parsed as Record<string, unknown>;
  // Every problem of the file at once: a config with four mistakes takes one run to fix, not four.
  const problems: FirewatchError[] = [];
  refuseInlineSecrets(raw, [], (path, msg) => void problems.push(problem(path, msg)));
  const overrides = applyEnv(raw, options.env);
  for (const section of options.unused ?? []) delete raw[section];
  const result = FirewatchConfigSchema.safeParse(raw, { reportInput: true });
  if (result.success && problems.length === 0) return result.data;
  for (const issue of result.error?.issues ?? []) {
    const unknown = unknownKeyProblems(FirewatchConfigSchema, raw, issue);
    const located = unknown.length > 0 ? unknown.map((u) => ({ path: u.path, text: `unknown key${u.suggestion}` })) : [{ path: issuePath(issue), text: describeIssue(issue) }];
    for (const { path, text } of located) {
      const fromEnv = overrides.find((o) => startsWith(path, o.path));
      // describeIssue() builds on zod's messages, which never quote the value: a variable may hold a token.
      problems.push(fromEnv ? new FirewatchError("config_invalid", `env ${fromEnv.name} ${formatPath(path)}: ${text}`) : problem(path, text));
    }
  }
  throwProblems(problems.length > 0 ? problems : [problem([], "invalid")]);
  return fail([], "invalid");
}

/** The store the config names, through the same parser as --store (absent: the default data directory). */
export function storeSpecOf(config: FirewatchConfig, env: NodeJS.ProcessEnv): StoreSpec {
  return parseStoreSpec(config.store.url, env);
}
