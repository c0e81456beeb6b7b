// `watch` on a Redis store while the CLI acts on it: every change shows on the Slack post within 5 s (the stream feed).
import { afterAll, beforeAll, describe, test } from "vitest";
import { requireProgram } from "../../harness/program.js";
import { redisAvailability, startRedis, type RedisInstance } from "../../harness/redis.js";
import { followScenario, type FollowScenario } from "./follow-store.js";

const ss = requireProgram("ss", "iproute2");
const redis = redisAvailability();
const missing = ss.missing ?? redis.missing;

describe.skipIf(missing !== undefined)(`the daemon and the CLI on a Redis store ${missing ?? ""}`, () => {
  let server: RedisInstance | undefined;
  let scenario: FollowScenario | undefined;
  beforeAll(async () => {
    server = await startRedis();
    scenario = await followScenario(server.url);
  });
  afterAll(async () => {
    await scenario?.close();
    await server?.cleanup();
  });

  test("ack, act --dry-run, silence and resolve from the CLI beside `watch`; the post follows each, buttons go on resolve", async () => {
    await scenario?.run();
  }, 150_000);
});
