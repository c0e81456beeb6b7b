// Environment overrides of firewatch.yaml: FIREWATCH_SLACK__BOT_TOKEN sets slack.botToken, typed by the schema.
import type { z } from "zod";
import { FirewatchConfigSchema } from "./schema.js";

export type ConfigPath = (string | number)[];

/** One variable applied: the variable's name and the config path it set. */
export interface EnvOverride {
  readonly name: string;
  readonly path: ConfigPath;
}

// Variables other floors already read under names that do not follow the path (docs/slack.md).
const ALIASES: Readonly<Record<string, ConfigPath>> = { FIREWATCH_SLACK__CHANNEL: ["slack", "routing", "channel"] };

/** BOT_TOKEN → botToken, PRICE_PER_1K_INPUT → pricePer1kInput; a number stays an index. */
function segment(text: string): string | number {
  if (/^\d+$/.test(text)) return Number(text);
  const [first = "", ...rest] = text.toLowerCase().split("_");
  return first + rest.map((p) => p.charAt(0).toUpperCase() + p.slice(1)).join("");
}

type Def = { type: string; innerType?: z.ZodType; in?: z.ZodType; shape?: Record<string, z.ZodType>; valueType?: z.ZodType; element?: z.ZodType; options?: z.ZodType[] };
const defOf = (s: z.ZodType) => (s as unknown as { _zod: { def: Def } })._zod.def;

/** The schema a path leads to (wrappers, pipes and unions looked through), or undefined. */
function schemaAt(schema: z.ZodType, path: ConfigPath): z.ZodType | undefined {
  let s: z.ZodType | undefined = schema;
  for (let i = 0; s && i <= path.length; ) {
    const d = defOf(s);
    if (d.innerType) s = d.innerType;
    else if (d.in) s = d.in;
    else if (i === path.length) return s;
    else if (d.type === "union") s = d.options?.find((o) => schemaAt(o, path.slice(i, i + 1)) !== undefined);
    else {
      const key = path[i++];
      s = d.type === "object" ? d.shape?.[String(key)] : d.type === "record" ? d.valueType : d.type === "array" && typeof key === "number" ? d.element : undefined;
    }
  }
  return undefined;
}

/** The value a variable means where it lands: numbers and booleans parsed, lists split on commas, else the text as is. */
function typed(text: string, target: z.ZodType | undefined): unknown {
  const type = target ? defOf(target).type : "string";
  if (type === "number" && /^-?\d+(?:\.\d+)?$/.test(text)) return Number(text);
  if (type === "boolean" && (text === "true" || text === "false")) return text === "true";
  if (type === "array") return text === "" ? [] : text.split(",").map((p) => p.trim());
  return text; // never evaluated, expanded or YAML-parsed: "$(id)" and "~" stay what they say
}

function setIn(root: Record<string, unknown>, path: ConfigPath, value: unknown): void {
  let at: Record<string | number, unknown> = root;
  path.forEach((key, i) => {
    if (i === path.length - 1) {
      at[key] = value;
      return;
    }
    const next = at[key];
    if (next === null || typeof next !== "object") at[key] = typeof path[i + 1] === "number" ? [] : {};
    at = at[key] as Record<string | number, unknown>;
  });
}

/** Applies FIREWATCH_<PATH> variables whose first level is a config section (FIREWATCH_DATA_DIR and the like are not). */
export function applyEnv(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): EnvOverride[] {
  const sections = Object.keys(defOf(FirewatchConfigSchema).shape ?? {});
  const applied: EnvOverride[] = [];
  for (const name of Object.keys(env).sort()) {
    const value = env[name];
    if (value === undefined || !name.startsWith("FIREWATCH_")) continue;
    const path = ALIASES[name] ?? name.slice("FIREWATCH_".length).split("__").map(segment);
    if (path.length < 2 || !sections.includes(String(path[0]))) continue;
    setIn(raw, path, typed(value, schemaAt(FirewatchConfigSchema, path)));
    applied.push({ name, path });
  }
  return applied;
}
