// The guard's job queue side on a real queue: counts, and a clean that removes only what the rules allow.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createJobsSide, placeOf, QueueReader, type QueuePlace } from "../../../src/jobs/index.js";
import { compileRules, createMatcher, loadBuiltinRules } from "../../../src/rules/index.js";
import type { AuditInput } from "../../../src/store/index.js";
import { runJobs } from "../../harness/bullmq.js";
import { redisAvailability, startRedis, type RedisInstance } from "../../harness/redis.js";

const avail = redisAvailability();

describe("placeOf: which configured queues a click on a host means", () => {
  const a: QueuePlace = { host: "web1", redis: "redis://a", prefix: "bull", queues: ["mail"] };
  const b: QueuePlace = { host: "web1", redis: "redis://b", prefix: "bull", queues: [] };
  const any: QueuePlace = { host: undefined, redis: "redis://s", prefix: "bull", queues: ["mail", "other"] };
  test("the host's source naming the queue, then one naming none, then slack.jobs; never another host's", () => {
    expect(placeOf([a, b, any], "web1", "mail")).toBe(a);
    expect(placeOf([a, b, any], "web1", "video")).toBe(b);
    expect(placeOf([a, any], "web2", "mail")).toBe(any);
    expect(placeOf([a], "web2", "mail")).toBeUndefined();
  });
});

describe.skipIf(avail.missing !== undefined)(`createJobsSide on a real queue ${avail.missing ?? ""}`, () => {
  let redis: RedisInstance;
  beforeAll(async () => {
    redis = await startRedis();
    const fail = (reason: string) => ({ data: {}, fail: reason });
    await runJobs(redis.url, "processing", [
      fail("Automatic decryption not yet implemented - requires manual trigger"),
      fail("Automatic decryption not yet implemented - requires manual trigger"),
      fail("MAC check failed"),
      fail("Exceeded maximum retries (3)"),
      fail("Transcription failed or too short"),
    ]);
  });
  afterAll(async () => {
    await redis?.cleanup();
  });

  test("removes LEGACY_ENCRYPTION and DECRYPTION_ERROR jobs, keeps MAX_RETRIES and TRANSCRIPTION_FAILED, audits each category", async () => {
    const rules = await loadBuiltinRules();
    const audits: AuditInput[] = [];
    const side = createJobsSide({
      places: [{ host: "local", redis: redis.url, prefix: "bull", queues: ["processing"] }],
      rules: async () => ({ rules, match: createMatcher(compileRules(rules)) }),
      host: () => undefined,
      appendAudit: async (e) => {
        audits.push(e);
        return { ...e, id: String(audits.length), at: 0, prev: undefined, hash: "" } as never;
      },
      actor: "firewatch:guard",
    });
    try {
      expect(await side.failedJobCount("local", "processing")).toBe(5);
      await expect(side.failedJobCount("elsewhere", "processing")).rejects.toThrow(/no bullmq source of firewatch.yaml reads queue processing for host elsewhere/);
      const r = await side.cleanFailedJobs("local", "processing");
      expect(r.removed).toBe(3);
      expect(await side.failedJobCount("local", "processing")).toBe(2);
      expect(audits.map((a) => a.details?.category).sort()).toEqual(["DECRYPTION_ERROR", "LEGACY_ENCRYPTION"]);
      expect(audits.every((a) => a.actor === "firewatch:guard" && a.action === "jobs.clean")).toBe(true);
      // Nothing left that the rules allow to clean: an error naming the rules, nothing removed.
      await expect(side.cleanFailedJobs("local", "processing")).rejects.toThrow(/no failed job of processing is in a category of these rules/);
      // Redis restarted under the open reader: the next call reconnects instead of failing.
      await redis.kill9();
      await redis.restart();
      expect(await side.failedJobCount("local", "processing")).toBe(2);
    } finally {
      await side.close();
    }
    const reader = await QueueReader.connect(redis.url);
    try {
      const left = (await reader.snapshot("processing")).failed.map((j) => j.failedReason).sort();
      expect(left).toEqual(["Exceeded maximum retries (3)", "Transcription failed or too short"]);
    } finally {
      await reader.close();
    }
  });
});
