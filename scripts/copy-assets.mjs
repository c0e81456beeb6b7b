// Copies the non-TypeScript files the CLI reads at run time (the built-in rule library) into dist/.
import { cpSync, existsSync } from "node:fs";

const assets = [["src/rules/library", "dist/rules/library"]];
for (const [from, to] of assets) {
  if (existsSync(from)) cpSync(from, to, { recursive: true });
}

// The commit a build comes from, for `firewatch --version` (a package built from a git checkout says which one).
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";

function git(args) {
  try {
    return execFileSync("git", args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return undefined;
  }
}
const commit = git(["rev-parse", "--short=12", "HEAD"]);
if (commit !== undefined && /^[0-9a-f]+$/.test(commit)) {
  const dirty = (git(["status", "--porcelain", "--untracked-files=no"]) ?? "") !== "";
  writeFileSync("dist/build-info.json", `${JSON.stringify({ commit, dirty })}\n`);
}
