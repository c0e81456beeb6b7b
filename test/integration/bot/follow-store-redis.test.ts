// `watch` on a Redis store while the CLI resolves its incident: the Slack post shows it within 5 s (the stream feed).
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
    // Ack, dry run and silence go through the same code on every store (follow-store.test.ts): here, the resolve.
    scenario = await followScenario(server.url, { only: "resolve" });
  });
  afterAll(async () => {
    await scenario?.close();
    await server?.cleanup();
  });

  test("resolve from the CLI beside `watch`: the post shows it within 5 s, without its buttons (the stream feed)", async () => {
    await scenario?.run();
  }, 150_000);
});
