import { describe, expect, test } from "vitest";
import { categoryOf, createClassifier, failedJobToRecord, findCategory, UNCATEGORIZED } from "../../../src/jobs/index.js";
import { compileRules, createMatcher, loadBuiltinRules } from "../../../src/rules/index.js";
import type { FailedJob } from "../../../src/sources/bullmq.js";

const rules = await loadBuiltinRules();
const match = createMatcher(compileRules(rules));
const classify = createClassifier(rules, match);

function job(reason: string, over: Partial<FailedJob> = {}): FailedJob {
  return { queue: "processing", id: "17", name: "transcribe", failedReason: reason, attemptsMade: 3, createdAt: 1, processedOn: 2, finishedOn: 3, data: {}, dataIssue: undefined, ...over };
}

describe("job failure categories from the built-in rules", () => {
  test.each([
    ["Automatic decryption not yet implemented - requires manual trigger", "LEGACY_ENCRYPTION", "legacy_encryption"],
    ["Exceeded maximum retries (3)", "MAX_RETRIES", "max_retries_exceeded"],
    ["Transcription failed or too short", "TRANSCRIPTION_FAILED", "transcription_failed"],
    ["MAC check failed", "DECRYPTION_ERROR", "mac_check_failed"],
    ["File does not start with RIFF id", "FORMAT_ERROR", "riff_format_error"],
    ["Transcription processing timeout", "TIMEOUT", "transcription_timeout"],
    ["Input file not accessible: /mnt/data/whisper-batch/inbox/Course/04 Interview - Baptism of Love.m4a", "STALE_JOB_QUEUE", "stale_job_queue"],
  ])("%s is %s (rule %s)", (reason, label, ruleId) => {
    const c = classify(failedJobToRecord(job(reason)));
    expect(c.category.label).toBe(label);
    expect(c.category.ruleId).toBe(ruleId);
  });

  test("the stale rule captures the path and the base name of the inaccessible file", () => {
    const c = classify(failedJobToRecord(job("Input file not accessible: /srv/inbox/A B/x y.m4a")));
    expect(c.fields).toMatchObject({ path: "/srv/inbox/A B/x y.m4a", file: "x y.m4a", job: "17" });
  });

  test("a reason no rule knows, or an empty one, is UNCATEGORIZED", () => {
    expect(classify(failedJobToRecord(job("ECONNRESET while uploading"))).category.label).toBe(UNCATEGORIZED);
    expect(classify(failedJobToRecord(job(""))).category.label).toBe(UNCATEGORIZED);
  });

  test("solutions are the documented ones: SOLUTION of the summary, else the first next step", () => {
    const by = (id: string) => {
      const r = rules.find((x) => x.id === id);
      if (!r) throw new Error(id);
      return categoryOf(r).solution;
    };
    expect(by("legacy_encryption")).toBe("delete these audio files from S3");
    expect(by("max_retries_exceeded")).toBe("check logs, fix root cause, retry");
    expect(by("transcription_failed")).toBe("may need manual review");
    expect(by("mac_check_failed")).toBe("Delete the job and the associated audio file");
    expect(by("transcription_timeout")).toMatch(/^Retry the job/);
  });

  test("--category accepts the label in any case or the rule id; context rules and unknown names are not categories", () => {
    expect(findCategory(rules, "legacy_encryption")?.label).toBe("LEGACY_ENCRYPTION");
    expect(findCategory(rules, "Decryption_Error")?.ruleId).toBe("mac_check_failed");
    expect(findCategory(rules, "mac_check_failed")?.label).toBe("DECRYPTION_ERROR");
    expect(findCategory(rules, "uncategorized")?.label).toBe(UNCATEGORIZED);
    expect(findCategory(rules, "job_completed")).toBeUndefined();
    expect(findCategory(rules, "nope")).toBeUndefined();
  });

  test("a job record carries id, queue, attempts and the data's file; time is finishedOn", () => {
    const r = failedJobToRecord(job("MAC check failed", { data: { filePath: "/a/b.m4a" } }), { host: "mithrandir", service: "transcription-palantir" });
    expect(r).toMatchObject({
      text: "Job 17 failed: MAC check failed",
      time: 3,
      host: "mithrandir",
      service: "transcription-palantir",
      fields: { job_id: "17", queue: "processing", attempts: "3", data_file: "/a/b.m4a", job_name: "transcribe" },
    });
    expect(failedJobToRecord(job("x", { finishedOn: undefined, processedOn: undefined })).time).toBe(1);
    expect(failedJobToRecord(job("x")).service).toBe("processing");
  });
});
