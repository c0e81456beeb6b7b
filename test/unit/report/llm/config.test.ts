import { describe, expect, test } from "vitest";
import { readLlmConfig } from "../../../../src/report/index.js";

describe("readLlmConfig: the model from the environment", () => {
  test("nothing configured is a reason, not an error", () => {
    const r = readLlmConfig({});
    expect(r.config).toBeUndefined();
    expect("reason" in r && r.reason).toMatch(/no model configured.*FIREWATCH_LLM__MODEL/);
  });

  test("reads every FIREWATCH_LLM__ variable, with OPENAI_API_KEY as the key's fallback and defaults for the rest", () => {
    const r = readLlmConfig({ FIREWATCH_LLM__MODEL: "gpt-4o-mini", OPENAI_API_KEY: "sk-x", FIREWATCH_LLM__BASE_URL: "http://127.0.0.1:8080/v1", FIREWATCH_LLM__PRICE_PER_1K_INPUT: "0.00015", FIREWATCH_LLM__PRICE_PER_1K_OUTPUT: "0.0006", FIREWATCH_LLM__REDACT_IPS: "true" });
    expect(r.config).toEqual({
      model: "gpt-4o-mini",
      apiKey: "sk-x",
      baseUrl: "http://127.0.0.1:8080/v1",
      timeoutMs: 30_000,
      maxTokens: 800,
      maxInputTokens: 6_000,
      maxAttempts: 3,
      pricePer1kInput: 0.00015,
      pricePer1kOutput: 0.0006,
      redactIps: true,
    });
  });

  test("FIREWATCH_LLM__API_KEY wins over OPENAI_API_KEY", () => {
    expect(readLlmConfig({ FIREWATCH_LLM__MODEL: "m", FIREWATCH_LLM__API_KEY: "mine", OPENAI_API_KEY: "other" }).config?.apiKey).toBe("mine");
  });

  test("an invalid value names the variable and never echoes a value", () => {
    const r = readLlmConfig({ FIREWATCH_LLM__MODEL: "m", FIREWATCH_LLM__API_KEY: "sk-secret-value", FIREWATCH_LLM__TIMEOUT_MS: "soon" });
    expect(r.config).toBeUndefined();
    expect("reason" in r && r.reason).toMatch(/FIREWATCH_LLM__TIMEOUT_MS/);
    expect(JSON.stringify(r)).not.toContain("sk-secret-value");
  });

  test("a model without a key is a reason naming the key variables", () => {
    expect(readLlmConfig({ FIREWATCH_LLM__MODEL: "m" })).toMatchObject({ reason: expect.stringMatching(/FIREWATCH_LLM__API_KEY/) });
  });
  test("credentials in FIREWATCH_LLM__BASE_URL are refused and never echoed", () => {
    const r = readLlmConfig({ FIREWATCH_LLM__MODEL: "m", FIREWATCH_LLM__API_KEY: "sk-x", FIREWATCH_LLM__BASE_URL: "http://user:s3cretpw@127.0.0.1:9/v1" });
    expect("reason" in r ? r.reason : "").toContain("FIREWATCH_LLM__BASE_URL: credentials in the URL are refused");
    expect(JSON.stringify(r)).not.toContain("s3cretpw");
  });
});
