import { describe, expect, test } from "vitest";
import { thresholdReachedAt } from "../../../src/report/markdown-timeline.js";
import type { Evidence } from "../../../src/correlate/index.js";

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
