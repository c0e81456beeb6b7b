// The built CLI is a bundle (scripts/bundle.mjs): dist/cli.js loads dist/bundle/. The suite runs src/ through tsx, so
// this checks the bundle itself: every command loads from it, the files its modules read beside themselves are found
// (the rule library and its precompiled form, the pattern template, package.json), and a watch catch-up, a scan and
// an analyze give what the same commands give from src/.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { COMMAND_INDEX } from "../../../src/cli/command-index.js";

const ROOT = path.resolve(import.meta.dirname, "../../..");
const BUILT = path.join(ROOT, "dist/cli.js");
const SEED = path.join(ROOT, "fixtures/seed-000-port-conflict");
const tmp = mkdtempSync(path.join(tmpdir(), "fw-bundle-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function run(cli: "built" | "source", args: readonly string[]) {
  const argv = cli === "built" ? [BUILT, ...args] : ["--import", "tsx", path.join(ROOT, "src/cli.ts"), ...args];
  return spawnSync(process.execPath, argv, { cwd: tmp, env: { ...process.env, FIREWATCH_DATA_DIR: tmp, NO_COLOR: "1" }, encoding: "utf8", timeout: 120_000 });
}

describe("the built CLI (the bundle)", () => {
  test("is built: dist/cli.js loads dist/bundle/ (npm run build, which scripts/test-all.sh runs first)", () => {
    expect(existsSync(BUILT), "dist/cli.js is missing: run npm run build").toBe(true);
    expect(readFileSync(BUILT, "utf8")).toMatch(/^#!\/usr\/bin\/env -S node .*\nimport "\.\/bundle\/cli\.js";\n$/s);
    expect(existsSync(path.join(ROOT, "dist/bundle/cli.js"))).toBe(true);
  });

  test("loads every command's module", () => {
    for (const [name] of COMMAND_INDEX) {
      const r = run("built", [name, "--help"]);
      expect(r.stderr, name).toBe("");
      expect(r.status, name).toBe(0);
      expect(r.stdout, name).toContain(`Usage: firewatch ${name}`);
    }
  });

  test("analyze, scan and rules list print what they print from src/; --version reads package.json", () => {
    for (const args of [
      ["analyze", "--format", "json", "--reference-time", "2025-10-09T00:00:00Z", SEED],
      ["scan", "--count", SEED],
      ["rules", "list"],
    ]) {
      const built = run("built", args);
      const source = run("source", args);
      expect(built.stderr, args.join(" ")).toBe(source.stderr);
      expect(built.status, args.join(" ")).toBe(source.status);
      expect(built.stdout, args.join(" ")).toBe(source.stdout);
    }
    // The version comes from package.json beside dist/ (the commit is the one recorded when dist/ was built).
    const { version } = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { version: string };
    expect(run("built", ["--version"]).stdout).toMatch(new RegExp(`^${version.replaceAll(".", "\\.")} \\(commit [0-9a-f]{12}(?:-dirty)?\\)\n$`));
  });

  test("a watch catch-up with the file store reports seed 000's incident", () => {
    const config = path.join(tmp, "watch.yaml");
    writeFileSync(config, `sources: [{ kind: file, name: seed, paths: [${JSON.stringify(path.join(SEED, "journal.log"))}], startAt: beginning }]\nstore: { url: ${JSON.stringify(`file:${path.join(tmp, "watch-state")}`)} }\nhealth: { port: 0 }\n`);
    const r = run("built", ["watch", "--config", config, "--once-idle"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("transcription-palantir");
  });
});
