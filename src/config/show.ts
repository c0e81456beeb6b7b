// The effective config as YAML for `firewatch config show`: secrets become "***", a Redis password too.
import { stringify } from "yaml";
import { Duration, formatDurationSpec } from "../time.js";
import { isSchemaOf, schemasAt } from "../yaml-position.js";
import { FirewatchConfigSchema, SECRET_KEY, type FirewatchConfig } from "./schema.js";

export const MASK = "***";

function mask(value: unknown, key: string): unknown {
  if (typeof value === "string") {
    if (SECRET_KEY.test(key)) return MASK;
    // redis://user:password@host: the password is the secret, the rest helps the reader.
    return key === "url" || key === "redis" ? value.replace(/^(rediss?:\/\/[^:@/]*:)[^@/]*@/, `$1${MASK}@`) : value;
  }
  if (Array.isArray(value)) return value.map((v) => mask(v, ""));
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mask(v, k)]));
  return value;
}

/** The config with every secret masked, as plain data. */
export function maskSecrets(config: FirewatchConfig): unknown {
  return mask(config, "");
}

/** Durations (milliseconds inside firewatch) written back as the config reads them: 900000 → "15m". */
function withDurations(value: unknown, path: (string | number)[], root: unknown): unknown {
  if (typeof value === "number") return schemasAt(FirewatchConfigSchema, root, path).some((s) => isSchemaOf(s, Duration)) ? formatDurationSpec(value) : value;
  if (Array.isArray(value)) return value.map((v, i) => withDurations(v, [...path, i], root));
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withDurations(v, [...path, k], root)]));
  return value;
}

/** YAML of the masked config, pasteable back into firewatch.yaml: durations as "5m", not milliseconds. */
export function showConfig(config: FirewatchConfig): string {
  return stringify(withDurations(maskSecrets(config), [], config));
}
