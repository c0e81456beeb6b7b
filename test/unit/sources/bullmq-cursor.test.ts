import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { cursorAfter, decodeJobsCursor, encodeJobsCursor, newJobs, type JobsCursor, type JobStamp } from "../../../src/sources/index.js";

const GRACE = 10_000;

/** Emits what newJobs gives, chunk by chunk, and keeps the cursor a commit would store after the whole poll. */
function poll(jobs: readonly JobStamp[], cursor: JobsCursor | undefined, chunk = 3): { emitted: JobStamp[]; cursor: JobsCursor | undefined } {
  const fresh = newJobs(jobs, cursor, GRACE);
  let c = cursor;
  for (let i = 0; i < fresh.length; i += chunk) c = cursorAfter(c, fresh.slice(i, i + chunk), GRACE);
  return { emitted: fresh, cursor: c === undefined ? undefined : decodeJobsCursor(encodeJobsCursor(c)) };
}

describe("the bullmq source's cursor of emitted failed jobs", () => {
  it("round-trips through its string form", () => {
    const c: JobsCursor = { t: 1_700_000_005_000, recent: new Map([["a", 1_700_000_005_000], ["7", 1_700_000_000_001]]) };
    const back = decodeJobsCursor(encodeJobsCursor(c));
    expect(back?.t).toBe(c.t);
    expect([...(back?.recent ?? [])].sort()).toEqual([...c.recent].sort());
    expect(decodeJobsCursor(undefined)).toBeUndefined();
    expect(() => decodeJobsCursor("bullmq1:{")).toThrow(/not valid/);
    expect(() => decodeJobsCursor("/var/log/x")).toThrow(/not valid/);
  });

  it("emits jobs stamped the same millisecond once each, also when split over two polls", () => {
    const first = poll([{ id: "1", time: 5000 }, { id: "2", time: 5000 }], undefined);
    expect(first.emitted.map((j) => j.id)).toEqual(["1", "2"]);
    const second = poll([{ id: "1", time: 5000 }, { id: "2", time: 5000 }, { id: "3", time: 5000 }], first.cursor);
    expect(second.emitted.map((j) => j.id)).toEqual(["3"]);
  });

  it("takes a job retried and failing again later as a new event", () => {
    const first = poll([{ id: "9", time: 1000 }], undefined);
    expect(poll([{ id: "9", time: 1000 }], first.cursor).emitted).toEqual([]);
    expect(poll([{ id: "9", time: 90_000 }], first.cursor).emitted).toEqual([{ id: "9", time: 90_000 }]);
  });

  it("keeps only the grace window's ids, so the cursor stays small", () => {
    const jobs = Array.from({ length: 1000 }, (_, i) => ({ id: String(i), time: i * 1000 }));
    const { cursor } = poll(jobs, undefined, 100);
    expect(cursor?.t).toBe(999_000);
    expect(cursor?.recent.size).toBe(10);
  });

  it("over any history of failures and polls (workers' clocks within the grace), every job is emitted exactly once", () => {
    const failure = fc.record({ id: fc.integer({ min: 0, max: 40 }), at: fc.integer({ min: 0, max: 100_000 }), skew: fc.integer({ min: -9_000, max: 0 }) });
    fc.assert(
      fc.property(fc.array(failure, { maxLength: 60 }), fc.array(fc.integer({ min: 0, max: 100_000 }), { maxLength: 8 }), fc.integer({ min: 1, max: 5 }), (fails, polls, chunk) => {
        // A job id fails at most once per finish time; a later failure of the same id replaces it in the failed set.
        const events = fails.map((f) => ({ id: String(f.id), time: f.at + f.skew + 10_000, at: f.at })).sort((a, b) => a.at - b.at);
        let cursor: JobsCursor | undefined;
        const seen: string[] = [];
        for (const now of [...polls.sort((a, b) => a - b), Infinity]) {
          const failed = new Map<string, number>();
          for (const e of events) if (e.at <= now) failed.set(e.id, e.time);
          const r = poll([...failed].map(([id, time]) => ({ id, time })), cursor, chunk);
          seen.push(...r.emitted.map((j) => `${j.id}@${j.time}`));
          cursor = r.cursor;
        }
        // Every (id, time) that was ever the state at a poll is emitted once; none twice.
        expect(new Set(seen).size).toBe(seen.length);
        const last = new Map<string, number>();
        for (const e of events) last.set(e.id, e.time);
        for (const [id, time] of last) expect(seen).toContain(`${id}@${time}`);
      }),
      { numRuns: 300 },
    );
  });
});
