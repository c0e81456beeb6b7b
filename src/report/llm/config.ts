// The model's configuration, read from the environment once and validated with zod (no config file exists yet).
import { z } from "zod";

const PositiveInt = z.coerce.number().int().positive();
const Price = z.coerce.number().nonnegative();

/** FIREWATCH_LLM__* variables (OPENAI_API_KEY as the key's fallback); the type is what firewatch uses. */
export const LlmConfigSchema = z
  .object({
  baseUrl: z
    .url({ protocol: /^https?$/ })
    .refine((u) => !/^[a-z]+:\/\/[^/]*@/i.test(u), "credentials in the URL are refused (they would be shown in errors): use FIREWATCH_LLM__API_KEY")
    .optional().describe("OpenAI-compatible endpoint, e.g. http://127.0.0.1:8080/v1 (default: api.openai.com)"),
  model: z.string().min(1).describe("Model name sent with each request"),
  apiKey: z.string().min(1).optional().describe("Bearer key; needed for api.openai.com, optional for a local endpoint (baseUrl) that needs none"),
  timeoutMs: PositiveInt.default(30_000).describe("Per attempt"),
  maxTokens: PositiveInt.default(800).describe("Ceiling on the answer's tokens"),
  maxInputTokens: PositiveInt.default(6_000).describe("Budget for the prompt; evidence is trimmed to fit"),
  maxAttempts: PositiveInt.max(6).default(3).describe("Attempts on 429, 5xx, timeouts and connection errors"),
  pricePer1kInput: Price.optional().describe("Currency units per 1000 prompt tokens, for the --debug cost line"),
  pricePer1kOutput: Price.optional().describe("Currency units per 1000 answer tokens"),
  redactIps: z.enum(["true", "false", "1", "0"]).default("false").transform((v) => v === "true" || v === "1").describe("Replace IP addresses too"),
  })
  // A local server (llama.cpp, Ollama, vLLM) often takes no key; OpenAI's own endpoint always does.
  .refine((c) => c.apiKey !== undefined || c.baseUrl !== undefined, {
    path: ["apiKey"],
    message: "api.openai.com needs a key (set FIREWATCH_LLM__API_KEY or OPENAI_API_KEY); a local endpoint set with FIREWATCH_LLM__BASE_URL needs none",
  });
export type LlmConfig = z.infer<typeof LlmConfigSchema>;

/** What the environment says: a config, nothing configured, or why the configuration is unusable (one line). */
export type LlmConfigResult = { readonly config: LlmConfig } | { readonly config?: undefined; readonly reason: string };

const ENV: Readonly<Record<string, string>> = {
  baseUrl: "FIREWATCH_LLM__BASE_URL",
  model: "FIREWATCH_LLM__MODEL",
  apiKey: "FIREWATCH_LLM__API_KEY",
  timeoutMs: "FIREWATCH_LLM__TIMEOUT_MS",
  maxTokens: "FIREWATCH_LLM__MAX_TOKENS",
  maxInputTokens: "FIREWATCH_LLM__MAX_INPUT_TOKENS",
  maxAttempts: "FIREWATCH_LLM__MAX_ATTEMPTS",
  pricePer1kInput: "FIREWATCH_LLM__PRICE_PER_1K_INPUT",
  pricePer1kOutput: "FIREWATCH_LLM__PRICE_PER_1K_OUTPUT",
  redactIps: "FIREWATCH_LLM__REDACT_IPS",
};

/** Reads the model's configuration from env; never throws (a report without a model is complete). */
export function readLlmConfig(env: NodeJS.ProcessEnv): LlmConfigResult {
  const raw: Record<string, string> = {};
  for (const [key, name] of Object.entries(ENV)) {
    const v = env[name];
    if (v !== undefined && v !== "") raw[key] = v;
  }
  if (raw["apiKey"] === undefined && env["OPENAI_API_KEY"]) raw["apiKey"] = env["OPENAI_API_KEY"];
  if (raw["model"] === undefined) return { reason: "no model configured (set FIREWATCH_LLM__MODEL, FIREWATCH_LLM__API_KEY or OPENAI_API_KEY, and FIREWATCH_LLM__BASE_URL for a non-OpenAI endpoint)" };
  const parsed = LlmConfigSchema.safeParse(raw);
  if (parsed.success) return { config: parsed.data };
  const issue = parsed.error.issues[0];
  const key = typeof issue?.path[0] === "string" ? issue.path[0] : "";
  // Never echo the value: it may be the key.
  return { reason: `model configuration invalid: ${ENV[key] ?? (key === "apiKey" ? "FIREWATCH_LLM__API_KEY" : "FIREWATCH_LLM__*")}: ${issue?.message ?? "invalid"}` };
}
