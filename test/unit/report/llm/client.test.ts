import { describe, expect, test } from "vitest";
import { retryAfterMs } from "../../../../src/report/llm/index.js";

describe("retryAfterMs: how long the endpoint asked to wait", () => {
  const now = Date.parse("2026-01-01T00:00:00Z");
  test("retry-after-ms wins over Retry-After", () => {
    expect(retryAfterMs(new Headers({ "retry-after-ms": "1500", "retry-after": "9" }), now)).toBe(1500);
  });
  test("Retry-After in seconds", () => {
    expect(retryAfterMs(new Headers({ "retry-after": "2" }), now)).toBe(2000);
  });
  test("Retry-After as an HTTP date, against the clock given", () => {
    expect(retryAfterMs(new Headers({ "retry-after": "Thu, 01 Jan 2026 00:00:07 GMT" }), now)).toBe(7000);
  });
  test("absent or unreadable: undefined, and the backoff applies", () => {
    expect(retryAfterMs(new Headers(), now)).toBeUndefined();
    expect(retryAfterMs(new Headers({ "retry-after": "soon" }), now)).toBeUndefined();
    expect(retryAfterMs(undefined, now)).toBeUndefined();
  });
});
