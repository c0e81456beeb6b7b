import { describe, expect, test } from "vitest";
import { createTimeFormat, describeCadence } from "../../../src/report/clock-format.js";

describe("createTimeFormat", () => {
  const t = Date.parse("2025-12-26T22:57:01Z");

  test("formats in the given zone with its short name, UTC by default", () => {
    const ny = createTimeFormat("America/New_York");
    expect(ny.stamp(t)).toBe("2025-12-26 17:57:01 EST");
    expect(ny.date(t)).toBe("2025-12-26");
    expect(ny.time(t)).toBe("17:57:01");
    expect(createTimeFormat().stamp(t)).toBe("2025-12-26 22:57:01 UTC");
    expect(ny.stamp(undefined)).toBe("unknown");
  });

  test("summer time and midnight come out right", () => {
    const ny = createTimeFormat("America/New_York");
    expect(ny.stamp(Date.parse("2025-07-01T04:00:00Z"))).toBe("2025-07-01 00:00:00 EDT");
    expect(ny.date(Date.parse("2025-12-27T04:59:59Z"))).toBe("2025-12-26");
  });

  test("an unknown zone is a usage error with a hint", () => {
    expect(() => createTimeFormat("Nowhere/Special")).toThrow(expect.objectContaining({ code: "usage", hint: expect.stringContaining("IANA") }));
  });
});

describe("describeCadence", () => {
  test("steady: every ~interval for span; uneven: the range and the typical interval", () => {
    const base = { medianMs: 600_000, minMs: 590_000, maxMs: 610_000, spanMs: 9 * 86_400_000 };
    expect(describeCadence({ ...base, steady: true })).toBe("every ~10 min for 9 days");
    expect(describeCadence({ ...base, steady: false })).toBe("at uneven intervals (10 min to 10 min, typically ~10 min) over 9 days");
  });
});
