// Public surface of the config floor: firewatch.yaml's one schema, loading with positions and env overrides, show.
/** FirewatchConfigSchema composes hosts, sources, store, slack, guard, llm, rules, outputs and health. */
export { FirewatchConfigSchema, SourceEntry, sourceName, StoreConfig, OutputsConfig, HealthConfig, SECRET_KEY, type FirewatchConfig } from "./schema.js";
/** loadConfig reads the file with positions, applies FIREWATCH_* overrides, and throws config_invalid naming file:line field. */
export { loadConfig, storeSpecOf, type LoadConfigOptions } from "./load.js";
export { formatPath } from "../yaml-position.js";
export { applyEnv, type EnvOverride, type ConfigPath } from "./env.js";
/** showConfig renders the effective config with secrets as "***". */
export { maskSecrets, showConfig, MASK } from "./show.js";
