// `/firewatch jobs` through startSlack: real BullMQ failed jobs on a real redis-server, classified like `firewatch jobs`.
import pino from "pino";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { SlackConfigSchema } from "../../../src/bot/config.js";
import { startSlack, type SlackService } from "../../../src/bot/slack-service.js";
import { loadRules } from "../../../src/rules/index.js";
import { FileStore } from "../../../src/store/index.js";
import { systemClock } from "../../../src/time.js";
import { runJobs } from "../../harness/bullmq.js";
import { startFakeSlack, type FakeSlack } from "../../harness/fake-slack.js";
import { makeTempDir } from "../../harness/program.js";
import { redisAvailability, startRedis, type RedisInstance } from "../../harness/redis.js";
import { slackDriver } from "./slack-driver.js";

const SECRET = "jobs-signing-secret";
const CH = "C0ONCALL";
const avail = redisAvailability();

describe.skipIf(avail.missing !== undefined)(`/firewatch jobs on real queues ${avail.missing ?? ""}`, () => {
  let redis: RedisInstance;
  let slack: FakeSlack;
  let dir: { path: string; remove(): Promise<void> };
  let store: FileStore;
  const services: SlackService[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    slack = await startFakeSlack();
    dir = await makeTempDir("bot-jobs");
    store = await FileStore.open(dir.path, { clock: systemClock });
    const legacy = "Automatic decryption not yet implemented - requires manual trigger";
    await runJobs(redis.url, "transcription", [
      ...Array.from({ length: 4 }, (_, i) => ({ data: { filePath: `/audio/${i}.3gp` }, fail: legacy })),
      { data: { filePath: "/audio/x.3gp" }, fail: "Exceeded maximum retries (3) <!channel>" },
    ]);
  });
  afterAll(async () => {
    for (const s of services) await s.stop();
    await store?.close();
    await slack?.close();
    await dir?.remove();
    await redis?.cleanup();
  });

  async function ask(jobs: Record<string, unknown> | undefined, text: string): Promise<string> {
    const config = SlackConfigSchema.parse({ botToken: "xoxb-test-token", signingSecret: SECRET, port: 0, apiUrl: slack.apiUrl, routing: { channel: CH }, ...(jobs ? { jobs } : {}) });
    const rules = new Map((await loadRules({ dirs: [] })).map((r) => [r.id, r]));
    const service = await startSlack(config, { store, clock: systemClock, log: pino({ level: "silent" }), rules: () => Promise.resolve(rules) });
    services.push(service);
    const responseId = `jobs-${services.length}`;
    const body = new URLSearchParams({ command: "/firewatch", text, user_id: "U0ALICE", channel_id: CH, response_url: slack.responseUrl(responseId), team_id: "T0FAKE", trigger_id: "t" }).toString();
    const drive = slackDriver(slack, `http://127.0.0.1:${service.port ?? 0}/slack/events`, SECRET, Date.now, CH);
    expect(await drive.sendSigned(body)).toBe(200);
    return JSON.stringify(await slack.waitFor(() => slack.responses.find((r) => r.id === responseId)?.body, 20_000));
  }

  test("with a queue configured it shows the failed jobs by category with the documented solution, escaped", async () => {
    const reply = await ask({ redis: redis.url, queues: ["transcription"] }, "jobs");
    expect(reply).toContain("Job queues now");
    expect(reply).toContain("LEGACY_ENCRYPTION (4 jobs)");
    expect(reply).toContain("SOLUTION");
    expect(reply).toContain("MAX_RETRIES (1 job)");
    expect(reply).not.toContain("<!channel>");
  });

  test("every queue under the prefix when none is named; a misspelt queue says so", async () => {
    expect(await ask({ redis: redis.url }, "jobs")).toContain("LEGACY_ENCRYPTION (4 jobs)");
    expect(await ask({ redis: redis.url, queues: ["transcriptoin"] }, "jobs")).toContain('no BullMQ queue \\"transcriptoin\\"');
  });

  test("without a queue configured it says so instead of looking like empty queues", async () => {
    expect(await ask(undefined, "jobs")).toContain("No job queue is configured");
  });
});
