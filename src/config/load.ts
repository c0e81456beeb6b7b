// Reads firewatch.yaml (with line positions) plus FIREWATCH_* overrides into one validated FirewatchConfig.
import { readFile } from "node:fs/promises";
import { isMap, LineCounter, parseDocument, type Document } from "yaml";
import type { z } from "zod";
import { FirewatchError } from "../errors.js";
import { parseStoreSpec, type StoreSpec } from "../store/index.js";
import { applyEnv, type ConfigPath } from "./env.js";
import { FirewatchConfigSchema, screaming, SECRET_KEY, type FirewatchConfig } from "./schema.js";

export interface LoadConfigOptions {
  /** firewatch.yaml; absent: defaults plus the environment. */
  readonly file?: string | undefined;
  readonly env: NodeJS.ProcessEnv;
}

/** `sources[1].paths`, `slack.routing.channel`. */
export function formatPath(path: readonly (string | number)[]): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`)).join("");
}

/** The 1-based line of the deepest node on `path` in the document; a key's own line when the path ends at a key. */
function lineOf(doc: Document, counter: LineCounter, path: ConfigPath): number {
  for (let n = path.length; n > 0; n--) {
    const parent = n === 1 ? doc.contents : doc.getIn(path.slice(0, n - 1), true);
    if (isMap(parent)) {
      const pair = parent.items.find((p) => (p.key as { value?: unknown } | null)?.value === path[n - 1]);
      const range = (pair?.key as { range?: [number, number] } | null)?.range;
      if (range) return counter.linePos(range[0]).line;
    }
    const range = (doc.getIn(path.slice(0, n), true) as { range?: [number, number] } | null)?.range;
    if (range) return counter.linePos(range[0]).line;
  }
  return 1;
}

/** The issue's path, plus the key itself for an unknown key (so its line is the key's own). */
function issuePath(issue: z.core.$ZodIssue): ConfigPath {
  const path = issue.path.filter((p): p is string | number => typeof p !== "symbol");
  return issue.code === "unrecognized_keys" && issue.keys[0] !== undefined ? [...path, issue.keys[0]] : path;
}

function problem(issue: z.core.$ZodIssue): string {
  if (issue.code === "unrecognized_keys") return "unknown key";
  if (issue.code === "invalid_type" && issue.input === undefined) return `missing (expected ${issue.expected})`;
  return issue.message.replace(/^Invalid (?:input|option): /, "").replace(/, received /, ", got ");
}

const startsWith = (path: ConfigPath, prefix: ConfigPath) => prefix.every((p, i) => path[i] === p);

/** Secrets are read from the environment, never from the file (which is often world-readable or committed). */
function refuseInlineSecrets(value: unknown, path: ConfigPath, fail: (path: ConfigPath, msg: string) => never): void {
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
  const fail = (path: ConfigPath, msg: string): never => {
    throw new FirewatchError("config_invalid", `${label}:${lineOf(doc, counter, path)} ${formatPath(path) || "(top level)"}: ${msg}`);
  };
  const parsed: unknown = doc.toJS() ?? {};
  if (typeof parsed !== "object" || Array.isArray(parsed)) return fail([], "expected a mapping of sections (hosts, sources, store, ...)");
  const raw = parsed as Record<string, unknown>;
  refuseInlineSecrets(raw, [], fail);
  const overrides = applyEnv(raw, options.env);
  const result = FirewatchConfigSchema.safeParse(raw, { reportInput: true });
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (!issue) return fail([], "invalid");
  const path = issuePath(issue);
  const fromEnv = overrides.find((o) => startsWith(path, o.path));
  // problem() builds on zod's messages, which never quote the value: a variable may hold a token.
  if (fromEnv) throw new FirewatchError("config_invalid", `env ${fromEnv.name} ${formatPath(path)}: ${problem(issue)}`);
  return fail(path, problem(issue));
}

/** The store the config names, through the same parser as --store (absent: the default data directory). */
export function storeSpecOf(config: FirewatchConfig, env: NodeJS.ProcessEnv): StoreSpec {
  return parseStoreSpec(config.store.url, env);
}
