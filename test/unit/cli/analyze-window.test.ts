// An empty --since/--until window is a usage error, not a quiet "nothing firing".
import path from "node:path";
import { describe, expect, test } from "vitest";
import { runAnalyze } from "../../../src/cli/analyze.js";

const SEED_000 = path.resolve(import.meta.dirname, "../../../fixtures/seed-000-port-conflict");
const NOW = Date.parse("2026-01-01T12:00:00Z");

describe("analyze --since/--until", () => {
  test("--since 1h --until 2h (the window ends before it starts) is refused with both times and the fix", async () => {
    await expect(runAnalyze([SEED_000], { rules: [], since: "1h", until: "2h" }, { now: () => NOW })).rejects.toMatchObject({
      code: "usage",
      message: expect.stringMatching(/^--since 1h \(2026-01-01T11:00:00Z\) is not before --until 2h \(2026-01-01T10:00:00Z\): the window is empty\n {2}hint: --since is the older end/),
    });
    await expect(runAnalyze([SEED_000], { rules: [], since: "2025-12-26T22:00:00Z", until: "2025-12-26T22:00:00Z" }, { now: () => NOW })).rejects.toMatchObject({ code: "usage" });
  });

  test("a window in the right order is read", async () => {
    const r = await runAnalyze([SEED_000], { rules: [], since: "2025-12-26T21:00:00Z", until: "2025-12-26T23:30:00Z" }, { now: () => NOW });
    expect(r.incidents.length).toBeGreaterThan(0);
  });
});
