// The npm package as a user gets it: what `npm pack` puts in the tarball, and the CLI running from it elsewhere.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "../..");
const tmp = mkdtempSync(path.join(tmpdir(), "fw-pack-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("npm pack", () => {
  let files: string[] = [];
  let pkg: string;
  beforeAll(() => {
    // prepack builds dist/; scripts/test-all.sh has just built it, so the test packs what is there (no second build).
    const packed = spawnSync("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", tmp], { cwd: ROOT, encoding: "utf8", timeout: 120_000 });
    if (packed.status !== 0) throw new Error(`npm pack failed: ${packed.stderr}`);
    const [info] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
    if (info === undefined) throw new Error("npm pack printed no package");
    files = info.files.map((f) => f.path);
    const untar = spawnSync("tar", ["xzf", path.join(tmp, path.basename(info.filename)), "-C", tmp], { encoding: "utf8" });
    if (untar.status !== 0) throw new Error(`tar failed: ${untar.stderr}`);
    pkg = path.join(tmp, "package");
    // The dependencies a registry install would bring are the ones this checkout installed.
    symlinkSync(path.join(ROOT, "node_modules"), path.join(pkg, "node_modules"));
  }, 150_000);

  test("holds the CLI, the rule library, the licence, the docs and the files the hints name", () => {
    const manifest = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { bin: Record<string, string>; scripts: Record<string, string> };
    expect(manifest.scripts.prepack).toMatch(/build/);
    for (const bin of Object.values(manifest.bin)) expect(files).toContain(bin.replace(/^\.\//, ""));
    expect(files).toContain("LICENSE");
    expect(files).toContain("slack-app.yaml");
    expect(files.filter((f) => f.startsWith("dist/rules/library/") && f.endsWith(".yaml")).length).toBeGreaterThan(20);
    // Every docs/*.md and file that --help or an error hint names is in the package.
    const named = new Set<string>();
    for (const f of files.filter((p) => p.startsWith("dist/") && p.endsWith(".js"))) {
      for (const m of readFileSync(path.join(pkg, f), "utf8").matchAll(/\b(docs\/[a-z-]+\.md|slack-app\.yaml|examples\/[a-z-]+\.yaml)\b/g)) named.add(m[1] ?? "");
    }
    expect(named.size).toBeGreaterThan(3);
    for (const f of named) expect(files, `${f} is named by the CLI but not packed`).toContain(f);
    expect(files.some((f) => f.startsWith("src/") || f.startsWith("test/"))).toBe(false);
  });

  test("the packed CLI analyzes seed 000 from another directory", () => {
    const cwd = mkdtempSync(path.join(tmp, "elsewhere-"));
    const r = spawnSync(process.execPath, [path.join(pkg, "dist/cli.js"), "analyze", path.join(ROOT, "fixtures/seed-000-port-conflict")], { cwd, encoding: "utf8", timeout: 60_000 });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(1);
    expect(r.stdout).toContain("Crash loop: transcription-palantir cannot bind port 9003");
    expect(existsSync(path.join(cwd, "reports"))).toBe(false);
  });
});
