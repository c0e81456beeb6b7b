// The vendored gitleaks rule set: every pattern compiles in JavaScript and passes the rule engine's ReDoS check, and
// its rules find secrets firewatch's own shapes do not know.
import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { createRedactor, loadSecretRules } from "../../../src/redact/index.js";
import { parseRegex } from "../../../src/rules/regex-ast.js";
import { findCatastrophicConstruct } from "../../../src/rules/regex-safety.js";

interface RawRule { id: string; source: string; flags: string }
const data = JSON.parse(readFileSync(new URL("../../../src/redact/gitleaks-rules.json", import.meta.url), "utf8")) as { rules: RawRule[]; dropped: Record<string, string>; source: string };

describe("the vendored gitleaks rules", () => {
  test("come from a named commit, with the licence beside them and every dropped rule explained", () => {
    expect(data.source).toMatch(/^https:\/\/github\.com\/gitleaks\/gitleaks\/blob\/[0-9a-f]{40}\/config\/gitleaks\.toml$/);
    expect(readFileSync(new URL("../../../src/redact/gitleaks-LICENSE", import.meta.url), "utf8")).toContain("MIT License");
    expect(Object.keys(data.dropped).length).toBeGreaterThan(0);
    expect(data.rules.length).toBeGreaterThan(200);
  });

  test("every pattern compiles in JavaScript and has no construct the engine refuses for catastrophic backtracking", () => {
    const problems: string[] = [];
    for (const r of data.rules) {
      try {
        new RegExp(r.source, `${r.flags}gd`);
      } catch (e) {
        problems.push(`${r.id}: ${String(e)}`);
        continue;
      }
      const ast = parseRegex(r.source);
      if (!ast) problems.push(`${r.id}: the engine cannot parse it`);
      else {
        const c = findCatastrophicConstruct(ast);
        if (c) problems.push(`${r.id}: ${c}`);
      }
    }
    expect(problems).toEqual([]);
    expect(loadSecretRules().size).toBe(data.rules.length);
  });

  test("a token only gitleaks knows is replaced (Shopify), and its entropy floor keeps a look-alike", () => {
    const token = ["shpat_", "4f9a1c7e2b8d3f60", "a5c9d2e7b1f3a8c4"].join("");
    expect(createRedactor({ ips: false }).redact(`shopify sync failed with ${token}`)).toBe("shopify sync failed with <SECRET_1>");
    expect(loadSecretRules().find(`shopify sync failed with ${token}`).map((s) => s.rule)).toContain("shopify-access-token");
  });
});
