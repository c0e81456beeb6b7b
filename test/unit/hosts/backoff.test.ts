import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { backoffDelay } from "../../../src/hosts/index.js";

describe("backoffDelay", () => {
  test("doubles from the base, is capped, and jitters within the upper half", () => {
    expect(backoffDelay(0, { baseMs: 100 }, () => 0)).toBe(50);
    expect(backoffDelay(0, { baseMs: 100 }, () => 1)).toBe(100);
    expect(backoffDelay(3, { baseMs: 100 }, () => 1)).toBe(800);
    expect(backoffDelay(20, { baseMs: 100, maxMs: 5000 }, () => 1)).toBe(5000);
  });

  test("every delay lies in [ceiling/2, ceiling]", () => {
    fc.assert(
      fc.property(fc.nat(100), fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 1, max: 100_000 }), fc.double({ min: 0, max: 1, noNaN: true }), (attempt, base, max, r) => {
        const ceiling = Math.min(max, base * 2 ** Math.min(attempt, 30));
        const d = backoffDelay(attempt, { baseMs: base, maxMs: max }, () => r);
        expect(d).toBeGreaterThanOrEqual(Math.floor(ceiling / 2));
        expect(d).toBeLessThanOrEqual(Math.ceil(ceiling));
      }),
    );
  });
});
