// `firewatch --version`: the package version and, when built (or run) from a git checkout, the commit.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { z } from "zod";
// The module itself, not report/index.js: `--version` should not load the report renderers.
import { firewatchVersion } from "../report/version.js";

const BuildInfo = z.object({ commit: z.string().regex(/^[0-9a-f]{7,40}$/), dirty: z.boolean() });

/** The commit of dist/build-info.json (written by the build), else of the checkout `root` when it is one, else none. */
export function buildCommit(root: URL): string | undefined {
  try {
    const info = BuildInfo.safeParse(JSON.parse(readFileSync(new URL("build-info.json", root), "utf8")));
    if (info.success) return `${info.data.commit}${info.data.dirty ? "-dirty" : ""}`;
  } catch {
    // Not built with the commit: run from source, or packed outside git.
  }
  const dir = fileURLToPath(new URL("..", root));
  if (!existsSync(`${dir}/.git`)) return undefined;
  try {
    const commit = execFileSync("git", ["-C", dir, "rev-parse", "--short=12", "HEAD"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 2_000 }).trim();
    return /^[0-9a-f]{7,40}$/.test(commit) ? commit : undefined;
  } catch {
    return undefined;
  }
}

/** "0.1.0 (commit 1a2b3c4d5e6f)", or the version alone. */
export function versionLine(): string {
  // This file is dist/cli/version.js or src/cli/version.ts: build-info.json sits in dist/, .git one level above.
  const commit = buildCommit(new URL("../", import.meta.url));
  return `${firewatchVersion() ?? "unknown"}${commit === undefined ? "" : ` (commit ${commit})`}`;
}
