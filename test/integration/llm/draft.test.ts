// draftProse against a local OpenAI-compatible server: each answer the real API can give, asserted on the final markdown.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { draftProse, renderMarkdown, type DraftResult, type LlmConfig } from "../../../src/report/index.js";
import type { Incident } from "../../../src/incidents/index.js";
import { freePort } from "../../harness/program.js";
import { startFakeOpenAi, ChatRequestSchema, type FakeOpenAi, type FakeReply } from "../../harness/fake-openai.js";
import { portFinding, seedIncident, seedRules } from "../../unit/report/seed-000.js";

const NY = "America/New_York";
const PASSWORD = "Tr0ub4dor3horse";
const EMAIL = "oncall.jane@example.org";

/** Seed 000 with a secret and an e-mail address in its evidence, as real logs have them. */
const incident: Incident = {
  ...seedIncident,
  findings: [
    {
      ...portFinding,
      evidence: [
        ...portFinding.evidence,
        { ref: { file: "journal.log", line: 1950, endLine: 1950 }, time: portFinding.lastSeen, text: `bun[1573790]: DATABASE_URL=postgres://palantir:${PASSWORD}@db:5432/palantir; paging ${EMAIL}` },
      ],
    },
    ...seedIncident.findings.slice(1),
  ],
};

const GOOD = {
  executive_summary:
    "transcription-palantir on mithrandir is in a crash loop: port 9003 is already in use and systemd has restarted it 485 times since 2025-12-26 16:42:07. " +
    "There are also 20 failed jobs for files that were already transcribed.",
  root_cause_analysis: "A process outside systemd holds port 9003, so every start of transcription-palantir fails. The database URL with password <SECRET_1> shows up in the logs.",
  next_steps: ["Find the process holding port 9003 and stop it.", `Tell <EMAIL_1> when transcription-palantir is back.`, "Clean the 20 failed jobs from the queue."],
};

let server: FakeOpenAi;
let sleeps: number[];

beforeAll(async () => {
  server = await startFakeOpenAi();
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  server.requests.length = 0;
  sleeps = [];
});

function config(over: Partial<LlmConfig> = {}): LlmConfig {
  return { baseUrl: server.baseUrl, model: "fake-gpt", apiKey: server.apiKey, timeoutMs: 5_000, maxTokens: 800, maxInputTokens: 6_000, maxAttempts: 3, redactIps: false, pricePer1kInput: 0.5, pricePer1kOutput: 1.5, ...over };
}

async function draft(replies: FakeReply[], over: Partial<LlmConfig> = {}): Promise<{ result: DraftResult; md: string }> {
  server.script(...replies);
  const result = await draftProse(incident, seedRules, {
    config: config(over),
    timeZone: NY,
    now: () => Date.parse("2026-01-01T00:00:00Z"),
    // Waits are recorded, not slept: the backoff and Retry-After are asserted as numbers.
    sleep: async (ms) => void sleeps.push(ms),
  });
  const md = renderMarkdown(incident, seedRules, {
    timeZone: NY,
    ...(result.prose === undefined ? {} : { prose: result.prose }),
    ...(result.reason === undefined ? {} : { proseNote: `the model was not used: ${result.reason}` }),
  });
  return { result, md };
}

function section(md: string, title: string): string {
  const start = md.indexOf(`\n## ${title}\n`);
  expect(start, title).toBeGreaterThan(0);
  const end = md.indexOf("\n## ", start + 1);
  return md.slice(start, end === -1 ? undefined : end);
}

const TEMPLATE_SUMMARY = "transcription-palantir on mithrandir is in a **crash loop**";
const MARKER = "_✍️ Drafted by fake-gpt from the findings; figures checked against the logs._";

describe("draftProse with a canned good answer", () => {
  test("the three sections are drafted and marked, and everything else stays the template", async () => {
    const { result, md } = await draft([{ kind: "answer", answer: GOOD }]);
    expect(result.reason).toBeUndefined();
    const summary = section(md, "Executive Summary");
    expect(summary).toContain(MARKER);
    expect(summary).toContain("has restarted it 485 times since 2025-12-26 16:42:07.");
    expect(summary).not.toContain(TEMPLATE_SUMMARY);
    expect(section(md, "Root Cause Analysis")).toContain(MARKER);
    // The rules' hypotheses stay below the narrative.
    expect(section(md, "Root Cause Analysis")).toContain("**Hypothesis:** Manual intervention");
    expect(section(md, "Next Steps")).toContain("1. Find the process holding port 9003 and stop it.");
    expect(section(md, "Immediate Actions Required")).not.toContain("Drafted by");
  });

  test("the request is what the real API accepts: model, roles, strict json_schema, bearer key", async () => {
    await draft([{ kind: "answer", answer: GOOD }]);
    expect(server.requests).toHaveLength(1);
    const req = server.requests[0];
    expect(req?.status).toBe(200);
    expect(req?.headers.authorization).toBe(`Bearer ${server.apiKey}`);
    const body = ChatRequestSchema.parse(req?.body);
    expect(body.model).toBe("fake-gpt");
    expect(body.messages.map((m) => m.role)).toEqual(["system", "user"]);
    expect(body.max_tokens).toBe(800);
    expect(body.response_format).toMatchObject({ type: "json_schema", json_schema: { name: "incident_prose", strict: true, schema: { type: "object", additionalProperties: false } } });
  });

  test("no secret and no e-mail address leaves the host; the figures the model needs do", async () => {
    const { result } = await draft([{ kind: "answer", answer: GOOD }]);
    const sent = JSON.stringify(server.requests[0]?.body);
    expect(sent).not.toContain(PASSWORD);
    expect(sent).not.toContain(EMAIL);
    expect(sent).toContain("postgres://palantir:<SECRET_1>@db:5432");
    expect(sent).toContain("<EMAIL_1>");
    for (const figure of ["9003", "485", "1573702", "Masterclass QA Session"]) expect(sent).toContain(figure);
    expect(result.redactions).toEqual({ SECRET: 1, EMAIL: 1, IP: 0 });
    expect(JSON.stringify(result.messages)).toBe(JSON.stringify(body(server)));
  });

  test("an e-mail placeholder in the answer is shown as the address; a secret placeholder never is", async () => {
    const { md } = await draft([{ kind: "answer", answer: GOOD }]);
    expect(section(md, "Next Steps")).toContain(`Tell ${EMAIL} when`);
    expect(section(md, "Root Cause Analysis")).toContain("password &lt;SECRET\\_1&gt; shows up");
    // The evidence code blocks show the log lines verbatim, as every local report does; the drafted prose never has it.
    for (const t of ["Executive Summary", "Root Cause Analysis", "Next Steps"]) expect(section(md, t)).not.toContain(PASSWORD);
  });

  test("a model's own numbering or bullets on next steps are not shown twice", async () => {
    const { md } = await draft([{ kind: "answer", answer: { ...GOOD, next_steps: ["1. Find the process holding port 9003.", "- Restart transcription-palantir."] } }]);
    expect(section(md, "Next Steps")).toContain("1. Find the process holding port 9003.\n2. Restart transcription-palantir.");
  });

  test("usage and cost are taken from the answer's usage and the configured prices", async () => {
    const { result } = await draft([{ kind: "answer", answer: GOOD }]);
    expect(result.usage.attempts).toBe(1);
    expect(result.usage.inputTokens).toBeGreaterThan(100);
    expect(result.usage.outputTokens).toBeGreaterThan(10);
    expect(result.cost).toBeCloseTo((result.usage.inputTokens / 1000) * 0.5 + (result.usage.outputTokens / 1000) * 1.5, 10);
  });
});

function body(s: FakeOpenAi): unknown {
  return (s.requests[0]?.body as { messages: unknown }).messages;
}

describe("draftProse when the answer names figures that are not in the logs", () => {
  test("a sentence with a made-up PID is dropped, the rest kept, and the marker says so", async () => {
    const answer = { ...GOOD, executive_summary: `${GOOD.executive_summary} The port is held by PID 48213, started by root.` };
    const { result, md } = await draft([{ kind: "answer", answer }]);
    const summary = section(md, "Executive Summary");
    expect(summary).not.toContain("48213");
    expect(summary).toContain("has restarted it 485 times");
    expect(summary).toContain("1 sentence naming figures not found in the logs was dropped.");
    expect(result.dropped).toEqual([{ sentence: "The port is held by PID 48213, started by root.", unknown: ["48213"] }]);
  });

  test("a section whose every sentence invents a figure falls back to the template, with a line saying why", async () => {
    const answer = { ...GOOD, executive_summary: "Port 8080 is blocked by PID 31337.", next_steps: ["Run kill -9 31337 on port 8080."] };
    const { md } = await draft([{ kind: "answer", answer }]);
    const summary = section(md, "Executive Summary");
    expect(summary).toContain(TEMPLATE_SUMMARY);
    expect(summary).toContain("draft of this section was not used");
    expect(summary).not.toContain("8080");
    expect(section(md, "Next Steps")).toContain("1. Execute immediate actions to restore service");
    expect(section(md, "Next Steps")).not.toContain("31337");
    // The analysis was grounded and stays drafted.
    expect(section(md, "Root Cause Analysis")).toContain(MARKER);
  });
});

describe("draftProse when the model cannot be used: the template report and one line saying why", () => {
  async function expectTemplate(replies: FakeReply[], reason: RegExp, over: Partial<LlmConfig> = {}): Promise<DraftResult> {
    const { result, md } = await draft(replies, over);
    expect(result.prose).toBeUndefined();
    expect(result.reason).toMatch(reason);
    const summary = section(md, "Executive Summary");
    expect(summary).toContain(TEMPLATE_SUMMARY);
    expect(summary).toContain("_ℹ️ Written from templates: the model was not used: ");
    expect(md).not.toContain("Drafted by");
    return result;
  }

  test("malformed JSON", async () => {
    await expectTemplate([{ kind: "content", content: '{"executive_summary": "transcription-palantir is down", "root_cause' }], /not JSON/);
  });

  test("an answer cut at max tokens says so", async () => {
    await expectTemplate([{ kind: "content", content: '{"executive_summary": "cut', finishReason: "length" }], /cut at 800 tokens/);
  });

  test("JSON that is not the schema", async () => {
    await expectTemplate([{ kind: "answer", answer: { summary: "x" } }], /did not match the schema/);
  });

  test("a refusal", async () => {
    await expectTemplate([{ kind: "refusal", refusal: "I can't help with that request." }], /refused: I can't help/);
  });

  test("an endpoint slower than the timeout, on every attempt", async () => {
    const slow: FakeReply = { kind: "slow", ms: 2_000, then: { kind: "answer", answer: GOOD } };
    const result = await expectTemplate([slow, slow], /did not answer within 300 ms; gave up after 2 attempts/, { timeoutMs: 300, maxAttempts: 2 });
    expect(sleeps).toEqual([500]);
    expect(result.usage.attempts).toBe(2);
  });

  test("500s: bounded retries with doubling backoff, then the template", async () => {
    const e500: FakeReply = { kind: "status", status: 500 };
    await expectTemplate([e500, e500, e500], /failed \(HTTP 500\); gave up after 3 attempts/);
    expect(sleeps).toEqual([500, 1000]);
    expect(server.requests.map((r) => r.status)).toEqual([500, 500, 500]);
  });

  test("a Retry-After longer than firewatch waits is not waited for", async () => {
    await expectTemplate([{ kind: "status", status: 429, headers: { "retry-after": "120" } }], /rate-limited.*asked to wait 120 s/);
    expect(sleeps).toEqual([]);
    expect(server.requests).toHaveLength(1);
  });

  test("a wrong key is not retried", async () => {
    await expectTemplate([], /refused the request \(HTTP 401/, { apiKey: "sk-wrong" });
    expect(server.requests).toHaveLength(1);
  });

  test("no network: nothing listens at the base URL", async () => {
    const port = await freePort();
    await expectTemplate([], /could not be reached.*gave up after 3 attempts/, { baseUrl: `http://127.0.0.1:${port}/v1` });
  });

  test("findings over the token budget are not sent at all", async () => {
    await expectTemplate([], /over the budget of 300/, { maxInputTokens: 300 });
    expect(server.requests).toHaveLength(0);
  });
});

describe("draftProse recovers when it can", () => {
  test("429 with Retry-After, then success: waits exactly as long as asked", async () => {
    const { result, md } = await draft([{ kind: "status", status: 429, headers: { "retry-after": "2" } }, { kind: "answer", answer: GOOD }]);
    expect(sleeps).toEqual([2_000]);
    expect(result.usage.attempts).toBe(2);
    expect(section(md, "Executive Summary")).toContain(MARKER);
  });

  test("an endpoint without structured output: asked again without response_format, JSON read from the text", async () => {
    const { result, md } = await draft([{ kind: "no_structured_output", answer: GOOD }, { kind: "no_structured_output", answer: GOOD }]);
    expect(result.reason).toBeUndefined();
    expect(server.requests.map((r) => r.status)).toEqual([400, 200]);
    expect((server.requests[1]?.body as Record<string, unknown>)["response_format"]).toBeUndefined();
    expect(section(md, "Executive Summary")).toContain(MARKER);
  });

  test("a model that takes max_completion_tokens and only the default temperature: asked again without what it rejects", async () => {
    const strictModel: FakeReply = { kind: "reject_params", params: ["max_tokens", "temperature"], answer: GOOD };
    const { result, md } = await draft([strictModel, strictModel, strictModel]);
    expect(result.reason).toBeUndefined();
    expect(result.usage.attempts).toBe(1);
    expect(server.requests.map((r) => r.status)).toEqual([400, 400, 200]);
    const last = ChatRequestSchema.parse(server.requests[2]?.body);
    expect(last).toMatchObject({ max_completion_tokens: 800 });
    expect(last.max_tokens).toBeUndefined();
    expect(last.temperature).toBeUndefined();
    expect(section(md, "Executive Summary")).toContain(MARKER);
  });

  test("evidence is trimmed to fit the budget, first and last lines kept", async () => {
    const { result } = await draft([{ kind: "answer", answer: GOOD }], { maxInputTokens: 1_900 });
    expect(result.trimmedEvidenceLines).toBeGreaterThan(0);
    expect(result.estimatedInputTokens).toBeLessThanOrEqual(1_900);
    const sent = JSON.stringify(server.requests[0]?.body);
    expect(sent).toContain("bun[1573702]");
  });
});
