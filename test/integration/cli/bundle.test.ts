// The built CLI is a bundle (scripts/bundle.mjs): dist/cli.js loads dist/bundle/. The suite runs src/ through tsx, so
// this checks the bundle itself: every command loads from it, the files its modules read beside themselves are found
// (the rule library and its precompiled form, the pattern template, package.json), and a watch catch-up, a scan and
// an analyze give what the same commands give from src/.
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, test } from "vitest";
import { COMMAND_INDEX } from "../../../src/cli/command-index.js";

const ROOT = path.resolve(import.meta.dirname, "../../..");
const BUILT = path.join(ROOT, "dist/cli.js");
const SEED = path.join(ROOT, "fixtures/seed-000-port-conflict");
const tmp = mkdtempSync(path.join(tmpdir(), "fw-bundle-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const execFileAsync = promisify(execFile);

/** Runs the CLI without blocking the event loop (the test's timeout can fire); a non-zero exit is a result, not an error. */
async function run(cli: "built" | "source", args: readonly string[]): Promise<{ stdout: string; stderr: string; status: number }> {
  const argv = cli === "built" ? [BUILT, ...args] : ["--import", "tsx", path.join(ROOT, "src/cli.ts"), ...args];
  const opts = { cwd: tmp, env: { ...process.env, FIREWATCH_DATA_DIR: tmp, NO_COLOR: "1" }, encoding: "utf8" as const, timeout: 120_000, maxBuffer: 16 << 20 };
  try {
    return { ...(await execFileAsync(process.execPath, argv, opts)), status: 0 };
  } catch (e) {
    const failed = e as { stdout?: string; stderr?: string; code?: unknown };
    if (typeof failed.code !== "number") throw e;
    return { stdout: failed.stdout ?? "", stderr: failed.stderr ?? "", status: failed.code };
  }
}

describe("the built CLI (the bundle)", () => {
  test("is built: dist/cli.js loads dist/bundle/ (npm run build, which scripts/test-all.sh runs first)", () => {
    expect(existsSync(BUILT), "dist/cli.js is missing: run npm run build").toBe(true);
    expect(readFileSync(BUILT, "utf8")).toMatch(/^#!\/usr\/bin\/env -S node .*\nimport "\.\/bundle\/cli\.js";\n$/s);
    expect(existsSync(path.join(ROOT, "dist/bundle/cli.js"))).toBe(true);
  });

  // Each spawns node several times: 11 s and 17 s on 2 busy cores, so more than the default 30 s is allowed.
  test("loads every command's module", { timeout: 120_000 }, async () => {
    for (const [name] of COMMAND_INDEX) {
      const r = await run("built", [name, "--help"]);
      expect(r.stderr, name).toBe("");
      expect(r.status, name).toBe(0);
      expect(r.stdout, name).toContain(`Usage: firewatch ${name}`);
    }
  });

  test("analyze, scan and rules list print what they print from src/; --version reads package.json", { timeout: 120_000 }, async () => {
    for (const args of [
      ["analyze", "--format", "json", "--reference-time", "2025-10-09T00:00:00Z", SEED],
      ["scan", "--count", SEED],
      ["rules", "list"],
    ]) {
      const [built, source] = await Promise.all([run("built", args), run("source", args)]);
      expect(built.stderr, args.join(" ")).toBe(source.stderr);
      expect(built.status, args.join(" ")).toBe(source.status);
      expect(built.stdout, args.join(" ")).toBe(source.stdout);
    }
    // The version comes from package.json beside dist/ (the commit is the one recorded when dist/ was built).
    const { version } = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { version: string };
    expect((await run("built", ["--version"])).stdout).toMatch(new RegExp(`^${version.replaceAll(".", "\\.")} \\(commit [0-9a-f]{12}(?:-dirty)?\\)\n$`));
  });

  test("a watch catch-up with the file store reports seed 000's incident", { timeout: 120_000 }, async () => {
    const config = path.join(tmp, "watch.yaml");
    writeFileSync(config, `sources: [{ kind: file, name: seed, paths: [${JSON.stringify(path.join(SEED, "journal.log"))}], startAt: beginning }]\nstore: { url: ${JSON.stringify(`file:${path.join(tmp, "watch-state")}`)} }\nhealth: { port: 0 }\n`);
    const r = await run("built", ["watch", "--config", config, "--once-idle"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("transcription-palantir");
  });
});
