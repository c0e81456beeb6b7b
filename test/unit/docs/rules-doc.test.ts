// docs/rules.md's examples run: the complete rule lints clean and prints, on the log shown, exactly the output shown;
// the structured-fields example is a valid rule whose examples hold.
import { readFileSync } from "node:fs";
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { expect, test } from "vitest";
import { renderAnalysis, runAnalyze } from "../../../src/cli/analyze.js";
import { runRulesLint } from "../../../src/cli/rules.js";

const doc = readFileSync("docs/rules.md", "utf8");

/** The fenced blocks of a section (from its heading to the next `## `), in order. */
function blocks(heading: string): string[] {
  const start = doc.startsWith(`${heading}\n`) ? 0 : doc.indexOf(`\n${heading}\n`);
  expect(start, heading).toBeGreaterThanOrEqual(0);
  const end = doc.indexOf("\n## ", start + 1);
  return [...doc.slice(start, end).matchAll(/```\w*\n([\s\S]*?)```/g)].map((m) => m[1] ?? "");
}

test("the complete rule: lint clean, and analyze prints what the doc shows", async () => {
  const [rule = "", log = "", output = ""] = blocks("## A complete rule, and what it prints");
  const dir = await mkdtemp(join(tmpdir(), "fw-rules-doc-"));
  await mkdir(join(dir, "my-rules"));
  await writeFile(join(dir, "my-rules", "ssh.yaml"), rule);
  await writeFile(join(dir, "auth.log"), log);
  const lint = await runRulesLint([join(dir, "my-rules")]);
  expect(lint.findings).toEqual([]);
  const now = Date.now();
  const result = await runAnalyze([join(dir, "auth.log")], { rules: [join(dir, "my-rules")], timeZone: "UTC" }, { now: () => now });
  expect(renderAnalysis(result, "text", { timeZone: "UTC", color: false, now }).stdout).toBe(output);
  await rm(dir, { recursive: true, force: true });
});

test("the structured-fields example is a rule whose examples hold", async () => {
  const [snippet = ""] = blocks("# Rule format");
  const rule = { id: "doc_structured", ...(parse(snippet) as Record<string, unknown>) };
  const dir = await mkdtemp(join(tmpdir(), "fw-rules-doc-"));
  await writeFile(join(dir, "structured.yaml"), JSON.stringify(rule));
  const lint = await runRulesLint([dir]);
  expect(lint.findings.filter((f) => f.ruleId === "doc_structured")).toEqual([]);
  await rm(dir, { recursive: true, force: true });
});
