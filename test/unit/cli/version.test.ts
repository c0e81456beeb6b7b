// `firewatch --version` names the commit a build comes from.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, test } from "vitest";
import { buildCommit, versionLine } from "../../../src/cli/version.js";

describe("--version", () => {
  test("from a git checkout: the package version and the checkout's commit", () => {
    const head = execFileSync("git", ["rev-parse", "--short=12", "HEAD"], { encoding: "utf8" }).trim();
    const { version } = JSON.parse(readFileSync("package.json", "utf8")) as { version: string };
    expect(versionLine()).toBe(`${version} (commit ${head})`);
  });

  test("a build records its commit in build-info.json (dirty when the tree had changes); without either, no commit", async () => {
    const dir = await mkdtemp(join(tmpdir(), "fw-version-"));
    await mkdir(join(dir, "dist"));
    const dist = pathToFileURL(join(dir, "dist") + "/");
    expect(buildCommit(dist)).toBeUndefined();
    await writeFile(join(dir, "dist", "build-info.json"), JSON.stringify({ commit: "0123456789ab", dirty: true }));
    expect(buildCommit(dist)).toBe("0123456789ab-dirty");
    await writeFile(join(dir, "dist", "build-info.json"), JSON.stringify({ commit: "$(reboot)", dirty: false }));
    expect(buildCommit(dist)).toBeUndefined();
    await rm(dir, { recursive: true, force: true });
  });
});
