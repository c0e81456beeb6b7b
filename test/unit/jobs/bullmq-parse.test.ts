import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { checkQueueName, parseJobHash, QueueName } from "../../../src/sources/bullmq.js";

describe("reading BullMQ job hashes", () => {
  test("a complete hash becomes a FailedJob with numbers parsed and data decoded", () => {
    const j = parseJobHash("q", "5", { name: "t", data: '{"filePath":"/x"}', timestamp: "10", processedOn: "11", finishedOn: "12", failedReason: "MAC check failed", atm: "2" });
    expect(j).toEqual({ queue: "q", id: "5", name: "t", failedReason: "MAC check failed", attemptsMade: 2, createdAt: 10, processedOn: 11, finishedOn: 12, data: { filePath: "/x" }, dataIssue: undefined });
  });

  test("data that is not JSON or missing is flagged, not thrown; an empty hash is a job that is gone", () => {
    expect(parseJobHash("q", "1", { data: "{oops", failedReason: "r" })).toMatchObject({ dataIssue: "data_not_json", data: undefined, failedReason: "r" });
    expect(parseJobHash("q", "1", { failedReason: "r" })).toMatchObject({ dataIssue: "data_missing" });
    expect(parseJobHash("q", "1", {})).toBeUndefined();
  });

  test("a hash with non-numeric times is unreadable rather than half-read", () => {
    expect(parseJobHash("q", "1", { finishedOn: "yesterday", failedReason: "r" })).toBeUndefined();
  });

  test("whatever strings a hash holds, parsing never throws", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom("name", "data", "timestamp", "finishedOn", "failedReason", "atm", "other"), fc.string()), (raw) => {
        const j = parseJobHash("q", "1", raw);
        if (j !== undefined) expect(typeof j.failedReason).toBe("string");
      }),
    );
  });
});

describe("queue names", () => {
  test("plain names pass; shell, glob and key syntax is refused", () => {
    for (const ok of ["transcription", "panzoto-processing-jobs", "q1.v2", "A_b"]) expect(checkQueueName(ok)).toBe(ok);
    for (const bad of ["q; rm -rf /", "$(reboot)", "a b", "a:b", "*", "q?", "", "-rf", "../x", "a\nb", "x".repeat(129)])
      expect(() => checkQueueName(bad)).toThrow(expect.objectContaining({ code: "usage" }));
  });

  test("no accepted name contains a character a shell or a Redis glob treats specially", () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        if (QueueName.safeParse(s).success) expect(s).not.toMatch(/[\s;&|$`'"\\*?[\]{}()<>:!#~]/);
      }),
    );
  });
});
