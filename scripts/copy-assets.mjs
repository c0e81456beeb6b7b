// Copies the non-TypeScript files the CLI reads at run time (the built-in rule library) into dist/, and precompiles the library.
import { cpSync, existsSync } from "node:fs";

const assets = [["src/rules/library", "dist/rules/library"]];
for (const [from, to] of assets) {
  if (existsSync(from)) cpSync(from, to, { recursive: true });
}

// The built-in library validated once here, written as dist/rules/library.json with the hash of its sources: analyze
// and watch then start without parsing its YAML or running zod over it (a stale form is ignored at run time).
const { builtinCacheFile, builtinRuleDir, writeLibrary } = await import("../dist/rules/load.js");
if (existsSync(builtinRuleDir())) await writeLibrary(builtinRuleDir(), builtinCacheFile());
// What a `scan --patterns` line becomes, validated once here: scan then reads pattern files without loading zod.
const { patternTemplateFile, writePatternTemplate } = await import("../dist/rules/pattern-file.js");
await writePatternTemplate(patternTemplateFile());

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
