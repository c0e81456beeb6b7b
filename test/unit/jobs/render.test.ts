import { describe, expect, test } from "vitest";
import { createClassifier, failedJobToRecord, jobsJson, renderJobsText, UNCATEGORIZED_CATEGORY, type JobsReport } from "../../../src/jobs/index.js";
import { compileRules, createMatcher, loadBuiltinRules } from "../../../src/rules/index.js";
import type { FailedJob } from "../../../src/sources/bullmq.js";

const rules = await loadBuiltinRules();
const classify = createClassifier(rules, createMatcher(compileRules(rules)));

function report(reasons: readonly string[], extra: Partial<FailedJob> = {}): JobsReport {
  const jobs = reasons.map((failedReason, i) => {
    const job: FailedJob = { queue: "q", id: String(i + 1), name: "n", failedReason, attemptsMade: 1, createdAt: 0, processedOn: 0, finishedOn: 1_766_786_000_000, data: { i }, dataIssue: undefined, ...extra };
    const record = failedJobToRecord(job);
    return { job, record, ...classify(record) };
  });
  const counts = { completed: 9, failed: jobs.length, active: 0, waiting: 2, delayed: 0, prioritized: 0, "waiting-children": 0 };
  const by = new Map<string, number>();
  for (const j of jobs) by.set(j.category.label, (by.get(j.category.label) ?? 0) + 1);
  const categories = [...by].map(([label, count]) => ({ category: jobs.find((j) => j.category.label === label)?.category ?? UNCATEGORIZED_CATEGORY, count, firstFailed: undefined, lastFailed: undefined }));
  return { redis: "127.0.0.1:6379", prefix: "bull", queues: [{ name: "q", counts, jobs, unreadable: [], truncated: false }], refusedQueues: [], totals: counts, categories, stale: [], dataIssues: 0 };
}

describe("rendering the jobs summary", () => {
  test("the three seed sections come in the seed's order, with the seed's labels", () => {
    const text = renderJobsText(report(["MAC check failed", "MAC check failed"]), { verbose: false });
    const order = ["[SUMMARY] Status Breakdown:", "✅ completed:", "❌ failed:", "⏳ waiting:", "[ERROR CATEGORIES]", "decryption_error: 2", "[DETAILED ERROR BREAKDOWN]", "DECRYPTION_ERROR (2 jobs):", "→ SOLUTION:"];
    let at = -1;
    for (const s of order) {
      const i = text.indexOf(s);
      expect(i, s).toBeGreaterThan(at);
      at = i;
    }
    expect(text).not.toContain("delayed"); // zero and not one of the always-shown states
  });

  test("one stale file reads '1 failed job for 1 input file'", () => {
    const stale = [{ file: "a.m4a", path: "/in/a.m4a", failedJobs: 1, jobIds: ["1"], completedPath: "/done/a.m4a", stillAtPath: false }];
    expect(renderJobsText({ ...report(["x"]), stale }, { verbose: false })).toContain("[STALE JOBS] 1 failed job for 1 input file (Input file not accessible):");
  });

  test("control characters from Redis cannot reach the terminal", () => {
    const text = renderJobsText(report(["MAC check failed \u001b[2J\u001b]0;owned\u0007"]), { verbose: true });
    expect(text.includes("\u001b") || text.includes("\u0007")).toBe(false);
    expect(text).toContain("reason: MAC check failed");
  });

  test("json lists jobs only with verbose, and keeps data out when it was not JSON", () => {
    const plain = jobsJson(report(["x"]), { verbose: false }) as { queues: Record<string, unknown>[] };
    expect(plain.queues[0]).not.toHaveProperty("jobs");
    const bad = jobsJson(report(["x"], { data: undefined, dataIssue: "data_not_json" }), { verbose: true }) as { queues: { jobs: Record<string, unknown>[] }[] };
    expect(bad.queues[0]?.jobs[0]).toMatchObject({ category: "UNCATEGORIZED", rule: null, data: null, dataIssue: "data_not_json" });
  });
});
