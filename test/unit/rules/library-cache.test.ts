import { cp, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { builtinRuleDir, loadRuleDir } from "../../../src/rules/index.js";
import { loadLibrary, writeLibrary } from "../../../src/rules/load.js";
import { scratchDir } from "../../harness/scratch-dir.js";

/** A copy of the built-in library and the path its precompiled form goes to. */
async function library(): Promise<{ dir: string; cache: string }> {
  const root = await scratchDir("library");
  const dir = join(root, "library");
  await cp(builtinRuleDir(), dir, { recursive: true });
  return { dir, cache: join(root, "library.json") };
}

describe("the precompiled built-in library", () => {
  test("holds exactly what parsing and validating the YAML gives, and is what loadLibrary returns", async () => {
    const { dir, cache } = await library();
    await writeLibrary(dir, cache);
    const parsed = await loadRuleDir(builtinRuleDir());
    expect(parsed.length).toBeGreaterThan(20);
    expect(JSON.parse(await readFile(cache, "utf8")).rules).toStrictEqual(parsed);
    expect(await loadLibrary(dir, cache)).toStrictEqual(parsed);
    // It is read, not re-derived: a mark put into the form (its hash kept) comes back.
    const form = JSON.parse(await readFile(cache, "utf8"));
    form.rules[0].severity = "info-from-cache";
    await writeFile(cache, JSON.stringify(form));
    expect((await loadLibrary(dir, cache))[0]?.severity).toBe("info-from-cache");
  });

  test("a stale form is not used: an edited or an added YAML file is parsed again", async () => {
    const { dir, cache } = await library();
    await writeLibrary(dir, cache);
    const file = join(dir, "disk_full.yaml");
    const text = await readFile(file, "utf8");
    expect(text).toMatch(/^severity: \w+$/m);
    await writeFile(file, text.replace(/^severity: \w+$/m, "severity: info"));
    expect((await loadLibrary(dir, cache)).find((r) => r.id === "disk_full")?.severity).toBe("info");

    await writeFile(file, text);
    await writeLibrary(dir, cache);
    await writeFile(join(dir, "zz_extra.yaml"), "id: zz_extra\nmatch: 'an extra rule'\n");
    expect((await loadLibrary(dir, cache)).map((r) => r.id)).toContain("zz_extra");
  });

  test("a missing or unreadable form falls back to the YAML", async () => {
    const { dir, cache } = await library();
    const parsed = await loadRuleDir(dir);
    expect(await loadLibrary(dir, cache)).toStrictEqual(parsed);
    await writeFile(cache, "{ not json");
    expect(await loadLibrary(dir, cache)).toStrictEqual(parsed);
  });
});
