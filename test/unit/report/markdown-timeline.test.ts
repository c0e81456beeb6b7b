import { describe, expect, test } from "vitest";
import { thresholdReachedAt } from "../../../src/report/markdown-timeline.js";
import type { Evidence, Finding } from "../../../src/correlate/index.js";
import { renderMarkdown } from "../../../src/report/index.js";
import { portFinding, seedIncident, seedRules } from "./seed-000.js";

const at = (...times: (number | undefined)[]): Evidence[] =>
  times.map((time, i) => ({ ref: { file: "f", line: i + 1, endLine: i + 1 }, time, text: `line ${i}` }));

describe("thresholdReachedAt", () => {
  test("the need-th of the first lines, when they fall within the window", () => {
    // 6 kept of 100: the first three are the first signals.
    expect(thresholdReachedAt(at(0, 10, 20, 900, 950, 1000), 100, 3, 60)).toBe(20);
  });

  test("left out when the first lines are too far apart: the moment is not in the evidence", () => {
    expect(thresholdReachedAt(at(0, 10, 200, 900, 950, 1000), 100, 3, 60)).toBeUndefined();
  });

  test("left out when fewer first lines are kept than the threshold needs", () => {
    expect(thresholdReachedAt(at(0, 10, 20, 30), 100, 3, 60)).toBeUndefined();
  });

  test("all lines kept: any of them may be the need-th", () => {
    expect(thresholdReachedAt(at(0, 10, 20, 30), 4, 4, 60)).toBe(30);
  });

  test("no times, no moment", () => {
    expect(thresholdReachedAt(at(undefined, undefined, undefined), 3, 3, 60)).toBeUndefined();
  });
});

describe("counters in the timeline", () => {
  const line = (n: number) => `systemd[1722]: transcription-palantir.service: Scheduled restart job, restart counter is at ${n}.`;
  const t0 = Date.parse("2025-12-26T21:42:14Z");

  test("ranges read again from the kept first and last lines", () => {
    const evidence = [1, 2, 3, 483, 484, 485].map((n, i) => ({
      ref: { file: "j.log", line: n, endLine: n }, time: t0 + (i < 3 ? i : n) * 9_000, text: line(n),
    }));
    const finding: Finding = { ...portFinding, evidence, lastSeen: t0 + 485 * 9_000 };
    const timeline = timelineOf(renderMarkdown({ ...seedIncident, findings: [finding] }, seedRules, { timeZone: "UTC" }));
    expect(timeline).toContain("| 21:42:14–21:42:32 | Port Conflict - transcription-palantir cannot bind port 9003: counter at **1–3** |");
    expect(timeline).toContain("| 22:54:41–22:54:59 | Port Conflict - transcription-palantir cannot bind port 9003: counter reaches **483–485** |");
  });

  test("without readable lines, the summarised maximum at last seen", () => {
    const evidence = [{ ref: { file: "j.log", line: 1, endLine: 1 }, time: t0, text: "Is port 9003 in use?" }];
    const finding: Finding = { ...portFinding, evidence };
    const timeline = timelineOf(renderMarkdown({ ...seedIncident, findings: [finding] }, seedRules, { timeZone: "UTC" }));
    expect(timeline).toContain("| 22:57:01 | Port Conflict - transcription-palantir cannot bind port 9003: counter reaches **485** |");
  });
});

function timelineOf(report: string): string {
  const start = report.indexOf("## Timeline");
  return report.slice(start, report.indexOf("\n## ", start + 1));
}
