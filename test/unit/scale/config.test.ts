// The `scale:` section's streams part: opt-in, a role required, defaults from the schema, misspellings refused.
import { describe, expect, test } from "vitest";
import { ScaleConfig } from "../../../src/scale/index.js";

describe("scale.streams", () => {
  test("absent: watchers share sources as before", () => {
    expect(ScaleConfig.parse({}).streams).toBeUndefined();
  });

  test("a role alone gets the documented defaults", () => {
    expect(ScaleConfig.parse({ streams: { role: "analyzer" } }).streams).toEqual({ role: "analyzer", partitions: 16, maxLen: 200, batch: 500 });
  });

  test("no role, an unknown role, a misspelt key or no partition are refused", () => {
    expect(ScaleConfig.safeParse({ streams: {} }).success).toBe(false);
    expect(ScaleConfig.safeParse({ streams: { role: "worker" } }).success).toBe(false);
    expect(ScaleConfig.safeParse({ streams: { role: "collector", maxlen: 10 } }).success).toBe(false);
    expect(ScaleConfig.safeParse({ streams: { role: "collector", partitions: 0 } }).success).toBe(false);
  });
});
