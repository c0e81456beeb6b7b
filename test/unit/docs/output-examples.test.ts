// The output examples of docs/json-output.md and docs/report-format.md are the program's: the commands they name are run and compared, verbatim.
import { readFileSync } from "node:fs";
import { expect, test } from "vitest";
import { renderAnalysis, runAnalyze } from "../../../src/cli/analyze.js";
import { ReportJsonSchema } from "../../../src/report/index.js";

test("docs/json-output.md's example is what `analyze --format json` prints for it, and parses as the contract", async () => {
  const doc = readFileSync("docs/json-output.md", "utf8");
  const m = /`firewatch analyze --format json --tz (\S+) (\S+)` prints exactly this[\s\S]*?```json\n([\s\S]*?)```/.exec(doc);
  expect(m, "the example's command and block").not.toBeNull();
  const [, timeZone = "", path = "", shown = ""] = m ?? [];
  const now = Date.now();
  const result = await runAnalyze([path], { rules: [], timeZone }, { now: () => now });
  const out = renderAnalysis(result, "json", { timeZone, color: false, now }).stdout;
  expect(`${out.trimEnd()}\n`).toBe(shown);
  const parsed = ReportJsonSchema.parse(JSON.parse(shown));
  expect(parsed.incidents.length).toBeGreaterThan(0);
});

test("docs/report-format.md's text example is what `analyze` prints for it", async () => {
  const doc = readFileSync("docs/report-format.md", "utf8");
  const m = /`firewatch analyze --tz (\S+) (\S+)` prints[\s\S]*?```text\n([\s\S]*?)```/.exec(doc);
  expect(m, "the example's command and block").not.toBeNull();
  const [, timeZone = "", path = "", shown = ""] = m ?? [];
  const now = Date.now();
  const result = await runAnalyze([path], { rules: [], timeZone }, { now: () => now });
  expect(`${renderAnalysis(result, "text", { timeZone, color: false, now }).stdout.trimEnd()}\n`).toBe(shown);
});
