// README's example output is what `analyze` prints for it: the block is compared with the program's output.
import { readFileSync } from "node:fs";
import { expect, test } from "vitest";
import { renderAnalysis, runAnalyze } from "../../../src/cli/analyze.js";

test("README's seed 000 example is analyze's output, verbatim", async () => {
  const readme = readFileSync("README.md", "utf8");
  const m = /Example \(`node dist\/cli\.js analyze --tz (\S+) (\S+)`\):\n\n```\n([\s\S]*?)```/.exec(readme);
  expect(m, "README's example block").not.toBeNull();
  const [, timeZone = "", path = "", shown = ""] = m ?? [];
  const now = Date.now();
  const result = await runAnalyze([path], { rules: [], timeZone }, { now: () => now });
  expect(renderAnalysis(result, "text", { timeZone, color: false, now }).stdout).toBe(shown);
});
