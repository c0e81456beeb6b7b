import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Command } from "commander";
import { describe, expect, test, vi } from "vitest";
import { registerRules, runRulesLint, runRulesTest } from "../../../src/cli/rules.js";
import { scratchDir } from "../../harness/scratch-dir.js";

/** The exit code `firewatch rules lint ARGS` sets (its report goes to stdout). */
async function lintExit(args: readonly string[]): Promise<number | undefined> {
  let code: number | undefined;
  const program = new Command("firewatch").exitOverride();
  registerRules(program, { setExitCode: (c) => { code = c; } });
  await program.parseAsync(["node", "firewatch", "rules", "lint", ...args]);
  return code;
}

async function ruleDir(yaml: string): Promise<string> {
  const dir = await scratchDir("rules-cli");
  await writeFile(join(dir, "mine.yaml"), yaml);
  return dir;
}

const MINE = `
rules:
  - id: my_port
    match: 'listen EADDRINUSE: address already in use :::(?<port>\\d+)$'
    examples:
      - line: "listen EADDRINUSE: address already in use :::9003"
        fields: { port: "9003" }
      - line: "listen EADDRINUSE: address already in use :::9004"
        fields: { port: "1" }
  - id: my_slow
    match: '^\\d+$'
`;

describe("rules lint", () => {
  test("reports literal-less patterns as slow and examples that do not hold", async () => {
    const { findings } = await runRulesLint([await ruleDir(MINE)]);
    const mine = findings.filter((f) => f.ruleId.startsWith("my_"));
    expect(mine.map((f) => [f.ruleId, f.level, f.path])).toEqual([
      ["my_port", "error", "examples[1].fields.port"],
      ["my_slow", "warning", "match.any[0]"],
    ]);
  });

  test("a failing example is an error and exits 2; slow patterns alone exit 1; clean exits 0", async () => {
    expect(await lintExit(["--rules", await ruleDir(MINE)])).toBe(2);
    expect(await lintExit(["--rules", await ruleDir("id: my_slow\nmatch: '^\\d+$'\n")])).toBe(1);
    expect(await lintExit([])).toBe(0);
  });

  test("the built-in library lints clean", async () => {
    const { rules, findings } = await runRulesLint([]);
    expect(rules).toBeGreaterThan(0);
    expect(findings).toEqual([]);
  });
});

describe("rules test", () => {
  test("shows matches with fields, counts, and near misses where a literal was present", async () => {
    const dir = await ruleDir(MINE);
    const log = join(dir, "app.log");
    await writeFile(log, "listen EADDRINUSE: address already in use :::9003\nlisten EADDRINUSE: address already in use :::9003 (retry)\nfine\n");
    const result = await runRulesTest("my_port", [log], { dirs: [dir], maxShown: 5 });
    expect(result.lines).toBe(3);
    expect(result.rules).toEqual([
      {
        id: "my_port",
        matched: 1,
        matches: [{ line: 1, role: "match", fields: { port: "9003" }, text: "listen EADDRINUSE: address already in use :::9003" }],
        nearMisses: [{ line: 2, text: "listen EADDRINUSE: address already in use :::9003 (retry)" }],
      },
    ]);
  });

  test("matched counts main-set matches only; then-lines are listed with their role", async () => {
    const dir = await ruleDir("id: seq\nkind: sequence\nmatch: 'Starting job'\nthen: 'Job failed'\nwithin: 5m\n");
    const log = join(dir, "jobs.log");
    await writeFile(log, "Starting job 1\nJob failed: 1\nJob failed: 2\n");
    const [rep] = (await runRulesTest("seq", [log], { dirs: [dir], maxShown: 5 })).rules;
    expect(rep?.matched).toBe(1);
    expect(rep?.matches.map((m) => [m.line, m.role])).toEqual([[1, "match"], [2, "then"], [3, "then"]]);
  });

  test("an unknown rule id is rule_unknown", async () => {
    await expect(runRulesTest("no_such_rule", ["/dev/null"], { dirs: [], maxShown: 1 })).rejects.toMatchObject({ code: "rule_unknown" });
  });
});

describe("--corpus", () => {
  const CORPUS = fileURLToPath(new URL("../../../fixtures/real/", import.meta.url));

  async function run(args: string[]): Promise<{ out: string; code: number | undefined }> {
    const program = new Command().exitOverride();
    let code: number | undefined;
    registerRules(program, { setExitCode: (c) => { code = c; } });
    const chunks: string[] = [];
    const spy = vi.spyOn(process.stdout, "write").mockImplementation((c: string | Uint8Array) => { chunks.push(String(c)); return true; });
    try {
      await program.parseAsync(["node", "firewatch", ...args]);
    } finally {
      spy.mockRestore();
    }
    return { out: chunks.join(""), code };
  }

  test("rules test RULE --corpus prints that rule's score on the corpus, without log paths", async () => {
    const { out, code } = await run(["rules", "test", "rust_panic", "--corpus", CORPUS]);
    expect(out).toMatch(/^rust_panic +7 +1\.00 +1\.00 +1\.00 \(13\/13\) +0$/m);
    expect(out).not.toMatch(/^oom_kill/m);
    expect(code).toBe(0);
  });

  test("rules test without paths or --corpus is a usage error", async () => {
    await expect(run(["rules", "test", "rust_panic"])).rejects.toMatchObject({ code: "usage" });
  });

  test("rules lint --corpus prints the per-rule table with the totals", async () => {
    const { out } = await run(["rules", "lint", "--corpus", CORPUS]);
    expect(out).toMatch(/^container_state +\d+ +1\.00/m);
    expect(out).toMatch(/^all without needs /m);
    expect(out).toMatch(/\d{3} excerpts, \d{2} negatives \(nothing may fire\)/);
  });
});
