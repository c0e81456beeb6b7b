// `/firewatch report` drafts its prose with the configured model (issue 8), through the same wiring `firewatch bot` uses.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { runCommand, SlackAccessSchema } from "../../../src/bot/index.js";
import { reportDrafting } from "../../../src/cli/bot.js";
import { loadRules } from "../../../src/rules/index.js";
import { FileStore } from "../../../src/store/index.js";
import { systemClock } from "../../../src/time.js";
import { startFakeOpenAi, type FakeOpenAi } from "../../harness/fake-openai.js";
import { storeSeed000 } from "./seed-store.js";

let dir: string;
let server: FakeOpenAi;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "fw-bot-llm-"));
  await storeSeed000(dir, { withAppLog: true });
  server = await startFakeOpenAi();
});
afterAll(async () => {
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function report(env: NodeJS.ProcessEnv): Promise<string> {
  const store = await FileStore.open(dir, { clock: systemClock }, { readOnly: true });
  try {
    const [stored] = await store.list();
    const rules = new Map((await loadRules({ dirs: [] })).map((r) => [r.id, r]));
    const reply = await runCommand(`report ${stored?.incident.id ?? ""}`, { userId: "U0ONCALL", channelId: "C0INCIDENTS" }, {
      store, clock: systemClock, access: SlackAccessSchema.parse({ default: { users: ["U0ALICE", "U0BOB", "U0ONCALL"] } }), rules: () => Promise.resolve(rules),
      ...reportDrafting({ env, clock: systemClock }),
    });
    return reply.file?.content ?? "";
  } finally {
    await store.close();
  }
}

const env = () => ({ FIREWATCH_LLM__BASE_URL: server.baseUrl, FIREWATCH_LLM__MODEL: "fake-gpt", FIREWATCH_LLM__API_KEY: server.apiKey, FIREWATCH_LLM__MAX_ATTEMPTS: "1" });

describe("/firewatch report with a model configured", () => {
  test("the summary is drafted, marked, and checked against the logs", async () => {
    server.script({
      kind: "answer",
      answer: {
        executive_summary: "transcription-palantir cannot bind port 9003 and systemd has restarted it up to restart counter 485.",
        root_cause_analysis: "Another process holds port 9003, so every start fails.",
        next_steps: ["Find and stop the process holding port 9003."],
      },
    });
    const md = await report(env());
    expect(md).toContain("_✍️ Drafted by fake-gpt from the findings; figures checked against the logs._");
    expect(md).toContain("restart counter 485");
    expect(server.requests).toHaveLength(1);
  });

  test("a failing model leaves the complete template report and says why", async () => {
    server.requests.length = 0;
    server.script({ kind: "status", status: 500, message: "boom" });
    const md = await report(env());
    expect(md).toMatch(/the model was not used/);
    expect(md).toContain("## Immediate Actions Required");
    expect(md).not.toContain("Drafted by");
  });

  test("without a model nothing is sent and the report is the template", async () => {
    server.requests.length = 0;
    const md = await report({});
    expect(md).not.toMatch(/Drafted by|the model was not used/);
    expect(server.requests).toHaveLength(0);
  });
});
