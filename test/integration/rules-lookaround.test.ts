// A rule whose regex has a lookaround or back-reference and two overlapping unbounded repeats used to load with a
// "slow" warning, then stall analyze, scan and watch for ever on one 3 KB line (V8's linear fallback cannot run it).
// Now it is refused at load. The attack runs in a child process with a hard timeout: a regression fails, never hangs.
import { spawnSync } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { compileRules, RuleSchema } from "../../src/rules/index.js";
import { makeTempDir } from "../harness/program.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
const EVIL = "a.*a.*a.*a.*z(?=q)";
let dir: { path: string; remove(): Promise<void> };
let rules = "";
let log = "";

beforeAll(async () => {
  dir = await makeTempDir("lookaround");
  rules = path.join(dir.path, "rules");
  await mkdir(rules);
  await writeFile(path.join(rules, "evil.yaml"), `id: evil_lookahead\ntitle: Evil\nkind: single\nseverity: low\nmatch: '${EVIL}'\n`);
  log = path.join(dir.path, "app.log");
  await writeFile(log, `${"a".repeat(3000)}\n`);
});
afterAll(async () => dir.remove());

const cli = (args: readonly string[]) => spawnSync(process.execPath, ["--import", "tsx", path.join(ROOT, "src/cli.ts"), ...args], { cwd: ROOT, encoding: "utf8", timeout: 30_000 });

describe("a lookaround with polynomial backtracking", () => {
  test("is refused at compile time, naming the two repeats", () => {
    const rule = RuleSchema.parse({ id: "evil_lookahead", kind: "single", match: EVIL });
    expect(() => compileRules([rule])).toThrow(expect.objectContaining({ code: "rule_unsafe", message: expect.stringContaining("polynomial backtracking") }));
    // The same repeats without the lookahead stay: the backtrack fallback bounds them.
    expect(() => compileRules([RuleSchema.parse({ id: "plain", kind: "single", match: "a.*a.*a.*a.*z" })])).not.toThrow();
  });

  test("analyze and rules test with it stop at once with exit 2 instead of stalling on a 3 KB line", () => {
    for (const args of [["analyze", log, "--rules", rules], ["rules", "test", "evil_lookahead", log, "--rules", rules]]) {
      const r = cli(args);
      expect(r.signal, `${args.join(" ")} was killed by the timeout: it stalled`).toBeNull();
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/unsafe regex/);
    }
  }, 90_000);
});
