import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { loadRuleDir, loadRuleFile, loadRules } from "../../../src/rules/index.js";
import { parseRuleText } from "../../../src/rules/parse-rule-text.js";
import { FirewatchErrors } from "../../../src/errors.js";
import { scratchDir } from "../../harness/scratch-dir.js";

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

async function tmp(): Promise<string> {
  return scratchDir("rules");
}

describe("parseRuleText", () => {
  test("reads one rule with defaults and the string shorthand for match", () => {
    const [r] = parseRuleText("id: disk_full\nmatch: 'No space left on device'\n", "x.yaml");
    expect(r?.rule).toMatchObject({ id: "disk_full", kind: "single", severity: "medium", match: { any: ["No space left on device"], not: [], field: "text" } });
    expect(r?.line).toBe(1);
  });

  test("reads several rules from rules: [...]", () => {
    const rs = parseRuleText("rules:\n  - id: a\n    match: x\n  - id: b\n    match: [y, z]\n", "x.yaml");
    expect(rs.map((r) => [r.rule.id, r.line])).toEqual([["a", 2], ["b", 4]]);
  });

  test("an invalid regex names file, line and field", () => {
    const text = "id: x\nmatch:\n  any:\n    - 'ok'\n    - '(?<port>\\d+'\n";
    expect(() => parseRuleText(text, "rules/x.yaml")).toThrow("rules/x.yaml:5 match.any[1]: invalid regex (Unterminated group)");
  });

  test("a bad severity lists the allowed values and the value given", () => {
    expect(() => parseRuleText("id: x\nmatch: a\nseverity: urgent\n", "rules/x.yaml")).toThrow(
      'rules/x.yaml:3 severity: expected one of critical|high|medium|low|info, got "urgent"',
    );
  });

  test("a misspelt key is an unknown key at its own line", () => {
    expect(() => parseRuleText("id: x\nmatch: a\nknowlege:\n  summary: s\n", "r.yaml")).toThrow("r.yaml:3 knowlege: unknown key");
  });

  test("an unknown key inside rules: [...] points into the list", () => {
    expect(() => parseRuleText("rules:\n  - id: a\n    match: x\n  - id: b\n    match: y\n    severty: high\n", "r.yaml")).toThrow(
      "r.yaml:6 rules[1].severty: unknown key",
    );
  });

  test("an unknown kind lists the kinds", () => {
    expect(() => parseRuleText("id: x\nkind: single_shot\nmatch: a\n", "r.yaml")).toThrow(
      'r.yaml:2 kind: expected one of single|threshold|sequence|absence|recurrence, got "single_shot"',
    );
  });

  test("a bad duration says what a duration looks like", () => {
    expect(() => parseRuleText("id: x\nkind: threshold\nmatch: a\nthreshold: { count: 3, within: 5q }\n", "r.yaml")).toThrow(
      /r\.yaml:4 threshold\.within: expected a duration like/,
    );
  });

  test("an unsafe regex is refused with code rule_unsafe, naming the rule and the construct", () => {
    const error = thrown(() => parseRuleText("id: evil\nmatch:\n  - '(a+)+$'\n", "r.yaml"));
    expect(error).toMatchObject({ code: "rule_unsafe", file: "r.yaml", line: 3, path: "match.any[0]" });
    expect(String(error)).toContain('rule evil: unsafe regex: "(a+)+"');
  });

  test("a `then` pattern of a sequence is checked too", () => {
    expect(() => parseRuleText("id: s\nkind: sequence\nmatch: a\nthen: '(b|bc)*d'\nwithin: 5m\n", "r.yaml")).toThrow(/r\.yaml:4 then\.any\[0\]: rule s: unsafe regex/);
  });

  test("a duplicate id in one file names both lines", () => {
    expect(() => parseRuleText("rules:\n  - id: a\n    match: x\n  - id: a\n    match: y\n", "r.yaml")).toThrow(
      'r.yaml:4 rules[1].id: duplicate id "a", also defined at r.yaml:2',
    );
  });

  test("broken YAML is reported with its line", () => {
    expect(() => parseRuleText("id: x\nmatch: [a\n", "r.yaml")).toThrow(/^r\.yaml:\d+ \(rule\): not valid YAML/);
  });
});

describe("loading files and directories", () => {
  test("loadRuleDir reads .yaml and .yml in name order and ignores other files", async () => {
    const dir = await tmp();
    await writeFile(join(dir, "b.yml"), "id: b\nmatch: y\n");
    await writeFile(join(dir, "a.yaml"), "id: a\nmatch: x\n");
    await writeFile(join(dir, "README.md"), "# not a rule\n");
    expect((await loadRuleDir(dir)).map((r) => r.id)).toEqual(["a", "b"]);
  });

  test("a duplicate id across files names both places", async () => {
    const dir = await tmp();
    await writeFile(join(dir, "a.yaml"), "id: dup\nmatch: x\n");
    await writeFile(join(dir, "b.yaml"), "\nid: dup\nmatch: y\n");
    await expect(loadRuleDir(dir)).rejects.toThrow(`${join(dir, "b.yaml")}:2 id: duplicate id "dup", also defined at ${join(dir, "a.yaml")}:1`);
  });

  test("a missing file is input_missing", async () => {
    await expect(loadRuleFile("/nonexistent/x.yaml")).rejects.toMatchObject({ code: "input_missing" });
  });

  test("loadRules lets a later directory replace a rule by id, keeping its place", async () => {
    const one = await tmp(), two = await tmp();
    await writeFile(join(one, "r.yaml"), "rules:\n  - { id: a, match: x }\n  - { id: b, match: y }\n");
    await mkdir(join(two, "sub"));
    await writeFile(join(two, "r.yaml"), "id: a\nmatch: z\nseverity: high\n");
    const rules = await loadRules({ dirs: [one, two] });
    const mine = rules.filter((r) => r.id === "a" || r.id === "b");
    expect(mine.map((r) => [r.id, r.match.any[0], r.severity])).toEqual([["a", "z", "high"], ["b", "y", "medium"]]);
  });
});

describe("every problem of a rules directory in one run", () => {
  test("four broken files: all four reported, each with file, line and field; a misspelt key gets 'did you mean'", async () => {
    const dir = await tmp();
    await writeFile(join(dir, "a.yaml"), "id: a_rule\nseverity: urgent\nmatch: 'x'\n");
    await writeFile(join(dir, "b.yaml"), "id: b_rule\nmatch: 'y'\ngrup_by: [host]\nknowledge:\n  problm: [z]\n");
    await writeFile(join(dir, "c.yaml"), "id: c_rule\nmatch: '(unclosed'\n");
    await writeFile(join(dir, "d.yaml"), "id: d_rule\nkind: threshold\nmatch: 'w'\nthreshold: { count: 3, witin: 5m }\n");
    await writeFile(join(dir, "ok.yaml"), "id: ok_rule\nmatch: 'fine'\n");
    const e = await loadRuleDir(dir).then(() => undefined, (err: unknown) => err);
    expect(e).toBeInstanceOf(FirewatchErrors);
    const lines = (e as FirewatchErrors).problems.map((p) => p.message.split("\n")[0]);
    expect(lines).toEqual([
      `${join(dir, "a.yaml")}:2 severity: expected one of critical|high|medium|low|info, got "urgent"`,
      `${join(dir, "b.yaml")}:5 knowledge.problm: unknown key (did you mean problem?)`,
      `${join(dir, "b.yaml")}:3 grup_by: unknown key (did you mean group_by?)`,
      `${join(dir, "c.yaml")}:2 match.any[0]: invalid regex (Unterminated group)`,
      `${join(dir, "d.yaml")}:4 threshold.within: missing`,
      `${join(dir, "d.yaml")}:4 threshold.witin: unknown key (did you mean within?)`,
    ]);
  });

  test("one problem is thrown as it is, not wrapped", async () => {
    const dir = await tmp();
    await writeFile(join(dir, "a.yaml"), "id: a_rule\nmatch: 'x'\nseverty: high\n");
    await expect(loadRules({ dirs: [dir] })).rejects.toMatchObject({ code: "rule_invalid", message: `${join(dir, "a.yaml")}:3 severty: unknown key (did you mean severity?)` });
  });
});
