// The effective config as YAML for `firewatch config show`: secrets become "***", a Redis password too.
import { stringify } from "yaml";
import { SECRET_KEY, type FirewatchConfig } from "./schema.js";

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

/** YAML of the masked config; durations are shown in milliseconds, as firewatch uses them. */
export function showConfig(config: FirewatchConfig): string {
  return stringify(maskSecrets(config));
}
