// draftReports: a run's reports against the local fake server: bounded calls, one line per outcome, the total cost.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { draftReports, MAX_DRAFTED_REPORTS } from "../../../src/report/index.js";
import type { Incident } from "../../../src/incidents/index.js";
import { startFakeOpenAi, type FakeOpenAi } from "../../harness/fake-openai.js";
import { seedIncident, seedRules } from "../../unit/report/seed-000.js";

const ANSWER = {
  executive_summary: "transcription-palantir cannot bind port 9003.",
  root_cause_analysis: "Another process holds port 9003.",
  next_steps: ["Find the process that holds port 9003."],
};

let server: FakeOpenAi;
beforeAll(async () => {
  server = await startFakeOpenAi({ fallback: { kind: "answer", answer: ANSWER } });
});
afterAll(async () => {
  await server.close();
});

describe("draftReports", () => {
  test(`drafts at most ${MAX_DRAFTED_REPORTS} reports per run, says why for the rest, and prints the total cost with debug`, async () => {
    const incidents: Incident[] = Array.from({ length: MAX_DRAFTED_REPORTS + 2 }, (_, i) => ({ ...seedIncident, id: `fw-${String(i).padStart(8, "0")}` }));
    const lines: string[] = [];
    const env = { FIREWATCH_LLM__BASE_URL: server.baseUrl, FIREWATCH_LLM__MODEL: "fake-gpt", FIREWATCH_LLM__API_KEY: server.apiKey, FIREWATCH_LLM__PRICE_PER_1K_INPUT: "1", FIREWATCH_LLM__PRICE_PER_1K_OUTPUT: "2" };
    const out = await draftReports(incidents, seedRules, { llm: true, showPrompt: false, debug: true, env }, { err: (l) => void lines.push(l), now: () => 0, sleep: async () => {} });
    expect(server.requests).toHaveLength(MAX_DRAFTED_REPORTS);
    expect([...out.values()].filter((p) => p.prose !== undefined)).toHaveLength(MAX_DRAFTED_REPORTS);
    expect(out.get("fw-00000011")).toEqual({ note: `the model was not used: only the first ${MAX_DRAFTED_REPORTS} incidents of a run are drafted by the model` });
    expect(lines.filter((l) => / llm fake-gpt: 1 attempt\(s\)/.test(l))).toHaveLength(MAX_DRAFTED_REPORTS);
    expect(lines.at(-1)).toMatch(/^firewatch: llm total cost \d+\.\d{6}\n$/);
  });

  test("show-prompt without llm sends nothing and returns no prose", async () => {
    server.requests.length = 0;
    const lines: string[] = [];
    const out = await draftReports([seedIncident], seedRules, { llm: false, showPrompt: true, debug: true, env: {} }, { err: (l) => void lines.push(l), now: () => 0, sleep: async () => {} });
    expect(server.requests).toHaveLength(0);
    expect(out.size).toBe(0);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^firewatch: prompt for fw-2c167f96 \(redacted: 0 secret/);
  });
});
