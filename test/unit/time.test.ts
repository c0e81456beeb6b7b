import { getEventListeners } from "node:events";
import { describe, expect, test } from "vitest";
import { Duration, formatDuration, parseDuration, parseTimeBound, systemClock } from "../../src/time.js";

describe("parseDuration", () => {
  test("reads single and compound units", () => {
    expect(parseDuration("90s")).toBe(90_000);
    expect(parseDuration("5m")).toBe(300_000);
    expect(parseDuration("1h30m")).toBe(5_400_000);
    expect(parseDuration("2d")).toBe(172_800_000);
    expect(parseDuration("250ms")).toBe(250);
  });
  test("refuses what is not a duration", () => {
    expect(parseDuration("5")).toBeUndefined();
    expect(parseDuration("five minutes")).toBeUndefined();
    expect(parseDuration("5m; rm -rf /")).toBeUndefined();
  });
  test("the zod type accepts strings and seconds and explains a bad value", () => {
    expect(Duration.parse("10m")).toBe(600_000);
    expect(Duration.parse(30)).toBe(30_000);
    const r = Duration.safeParse("soon");
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.message).toMatch(/expected a duration like/);
  });
});

describe("formatDuration", () => {
  test("renders the scale a person reads", () => {
    expect(formatDuration(45_000)).toBe("45 s");
    expect(formatDuration(600_000)).toBe("10 min");
    expect(formatDuration(4_494_000)).toBe("1 h 15 min");
    expect(formatDuration(9 * 86_400_000 + 3_600_000)).toBe("9 days");
  });
});

describe("parseTimeBound", () => {
  const now = Date.parse("2025-12-27T00:00:00Z");
  test("reads dates, date-times with offsets, and durations before now", () => {
    expect(parseTimeBound("2025-12-26", now)).toBe(Date.parse("2025-12-26T00:00:00Z"));
    expect(parseTimeBound("2025-12-26T17:00:00-05:00", now)).toBe(Date.parse("2025-12-26T22:00:00Z"));
    expect(parseTimeBound("2h", now)).toBe(now - 7_200_000);
  });
  test("refuses anything else", () => {
    expect(parseTimeBound("yesterday", now)).toBeUndefined();
    expect(parseTimeBound("2025-13-45", now)).toBeUndefined();
    expect(parseTimeBound("$(id)", now)).toBeUndefined();
  });
});

describe("systemClock.sleep", () => {
  test("leaves no listener on a long-lived signal after sleeps that end normally", async () => {
    const ac = new AbortController();
    for (let i = 0; i < 20; i++) await systemClock.sleep(0, ac.signal);
    expect(getEventListeners(ac.signal, "abort")).toHaveLength(0);
  });
  test("an abort ends the sleep with the signal's reason", async () => {
    const ac = new AbortController();
    const slept = systemClock.sleep(60_000, ac.signal);
    ac.abort(new Error("stop"));
    await expect(slept).rejects.toThrow("stop");
    await expect(systemClock.sleep(1, ac.signal)).rejects.toThrow("stop");
  });
});
