import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { ruleJsonSchema, ruleSchemaMarkdown } from "../../../src/rules/index.js";

describe("the rule format's documentation", () => {
  test("docs/rules.md is what the schema generates (regenerate: firewatch rules schema --format markdown > docs/rules.md)", () => {
    expect(readFileSync(new URL("../../../docs/rules.md", import.meta.url), "utf8")).toBe(`${ruleSchemaMarkdown()}\n`);
  });
  test("names every kind and the keys rule authors need", () => {
    const md = ruleSchemaMarkdown();
    for (const kind of ["threshold", "sequence", "absence", "recurrence"]) expect(md).toContain(`## \`kind: ${kind}\``);
    for (const key of ["`match.any`", "`group_by`", "`knowledge.immediate_actions.commands`", "`threshold.within`", "`until`", "`recurrence.tolerance`", "`match.structured`", "`examples.structured`"]) {
      expect(md).toContain(key);
    }
  });
  test("the JSON Schema has one variant per kind", () => {
    const s = ruleJsonSchema() as { oneOf?: unknown[] };
    expect(s.oneOf).toHaveLength(5);
  });
});
