// firewatch jobs as a real process: the exit code says whether jobs failed, and nothing keeps the process alive.
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { runJobs } from "../../harness/bullmq.js";
import { spawnTs } from "../../harness/node-child.js";
import { redisAvailability, startRedis, type RedisInstance } from "../../harness/redis.js";

const avail = redisAvailability();
const CHILD = resolve(import.meta.dirname, "jobs-child.ts");
const ROOT = resolve(import.meta.dirname, "../../..");

describe.skipIf(avail.missing !== undefined)(`firewatch jobs as a process ${avail.missing ?? ""}`, () => {
  let redis: RedisInstance;
  beforeAll(async () => {
    redis = await startRedis();
    await runJobs(redis.url, "failing", [{ data: {}, fail: "MAC check failed" }]);
    await runJobs(redis.url, "healthy", [{ data: {} }]);
  });
  afterAll(async () => { await redis?.cleanup(); });

  test("exit 1 with failed jobs, 0 without; the process ends by itself once it has printed", async () => {
    const failing = spawnTs(CHILD, ["jobs", "--redis", redis.url, "--queue", "failing"], { cwd: ROOT });
    expect(await failing.nextLine()).toMatch(/^Queues: failing on 127\.0\.0\.1:\d+ \(prefix bull\)$/);
    expect(await failing.exit()).toEqual({ code: 1, signal: null });
    expect(failing.stderr()).toBe(""); // 1 from the summary, not from a crash
    const healthy = spawnTs(CHILD, ["jobs", "--redis", redis.url, "--queue", "healthy"], { cwd: ROOT });
    expect(await healthy.nextLine()).toMatch(/^Queues: healthy /);
    expect(await healthy.exit()).toEqual({ code: 0, signal: null });
  });
});
