// `firewatch analyze --llm` end to end: the real CLI process, the seed 000 fixture, a local OpenAI-compatible server.
import { execFile } from "node:child_process";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { startFakeOpenAi, type FakeOpenAi } from "../../harness/fake-openai.js";

const FIXTURE = "fixtures/seed-000-port-conflict";
const MARKER = "_✍️ Drafted by fake-gpt from the findings; figures checked against the logs._";

let server: FakeOpenAi;
beforeAll(async () => {
  server = await startFakeOpenAi();
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  server.requests.length = 0;
});

/** The environment of the test run without any model configuration that the machine may carry. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("FIREWATCH_LLM__") && k !== "OPENAI_API_KEY") env[k] = v;
  return { ...env, NO_COLOR: "1", ...extra };
}

function firewatch(args: readonly string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["--import", "tsx", "src/cli.ts", ...args], { env: cleanEnv(env), maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === "number" ? err.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

const modelEnv = (): Record<string, string> => ({
  FIREWATCH_LLM__BASE_URL: server.baseUrl,
  FIREWATCH_LLM__MODEL: "fake-gpt",
  FIREWATCH_LLM__API_KEY: server.apiKey,
  FIREWATCH_LLM__PRICE_PER_1K_INPUT: "0.15",
  FIREWATCH_LLM__PRICE_PER_1K_OUTPUT: "0.6",
  FIREWATCH_LLM__MAX_ATTEMPTS: "1",
});

describe("firewatch analyze --llm", () => {
  test("drafts the prose from the fake model, drops the made-up PID, and prints tokens and cost with --debug", async () => {
    server.script({
      kind: "answer",
      answer: {
        executive_summary: "transcription-palantir on mithrandir cannot bind port 9003 and failed 72 times; the restart counter reached 485. The port is held by PID 99999.",
        root_cause_analysis: "Another process holds port 9003, most likely one started outside systemd.",
        next_steps: ["Find the process that holds port 9003.", "Restart transcription-palantir through systemd."],
      },
    });
    const r = await firewatch(["--debug", "analyze", FIXTURE, "--format", "markdown", "--llm"], modelEnv());
    expect(r.code, r.stderr).toBe(1);
    expect(server.requests.map((q) => q.status)).toEqual([200]);
    expect(r.stdout).toContain(MARKER);
    expect(r.stdout).toContain("the restart counter reached 485.");
    expect(r.stdout).not.toContain("99999");
    expect(r.stdout).toContain("1 sentence naming figures not found in the logs was dropped.");
    expect(r.stderr).toMatch(/firewatch: fw-[0-9a-f]{8}: llm fake-gpt: 1 attempt\(s\), \d+ input \+ \d+ output tokens \(budget 6000 in, estimated \d+; 800 out\), cost 0\.\d{6}; 1 sentence\(s\) dropped/);
    expect(r.stderr).toContain("dropped a drafted sentence naming 99999 (not in the logs)");
  });

  test("a failing endpoint gives the template report and one line saying why", async () => {
    server.script({ kind: "status", status: 503 });
    const r = await firewatch(["analyze", FIXTURE, "--format", "markdown", "--llm"], modelEnv());
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/^firewatch: fw-[0-9a-f]{8}: report prose from templates: the endpoint failed \(HTTP 503\); gave up after 1 attempt$/m);
    expect(r.stdout).toContain("_ℹ️ Written from templates: the model was not used: the endpoint failed (HTTP 503); gave up after 1 attempt._");
    expect(r.stdout).not.toContain("Drafted by");
    // Without --debug there is no token line.
    expect(r.stderr).not.toContain("input +");
  });

  test("--llm without a configured model: one clear line and the template report", async () => {
    const r = await firewatch(["analyze", FIXTURE, "--format", "markdown", "--llm"], {});
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr.trim().split("\n")).toEqual([expect.stringMatching(/^firewatch: --llm: report prose from templates: no model configured \(set FIREWATCH_LLM__MODEL/)]);
    expect(r.stdout).toContain("## Executive Summary\n\n_ℹ️ Written from templates: the model was not used: no model configured");
    expect(server.requests).toHaveLength(0);
  });

  test("a local endpoint that needs no key: --llm works with the base URL and the model alone", async () => {
    const local = await startFakeOpenAi({ apiKey: null });
    try {
      local.script({ kind: "answer", answer: { executive_summary: "transcription-palantir on mithrandir cannot bind port 9003.", root_cause_analysis: "Another process holds port 9003.", next_steps: ["Find the process that holds port 9003."] } });
      const r = await firewatch(["analyze", FIXTURE, "--format", "markdown", "--llm"], { FIREWATCH_LLM__BASE_URL: local.baseUrl, FIREWATCH_LLM__MODEL: "local-model" });
      expect(r.stderr).not.toContain("API_KEY");
      expect(local.requests.map((q) => q.status)).toEqual([200]);
      expect(r.stdout).toContain("_✍️ Drafted by local-model from the findings");
    } finally {
      await local.close();
    }
  });

  test("--show-prompt without --llm shows the redacted prompt and sends nothing", async () => {
    const r = await firewatch(["analyze", FIXTURE, "--format", "markdown", "--show-prompt"], modelEnv());
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/firewatch: prompt for fw-[0-9a-f]{8} \(redacted: 0 secret\(s\), 0 e-mail address\(es\), 0 IP\(s\); about \d+ tokens\)\n--- system ---\n/);
    expect(r.stderr).toContain('"port": "9003"');
    expect(r.stderr).toContain("--- end of prompt ---");
    expect(server.requests).toHaveLength(0);
    expect(r.stdout).not.toContain("Written from templates");
  });
});
