// scan --patterns reads pattern files through the build's template without loading zod (issue 18): the rules it
// makes must be the schema's own, and every line the schema or the checks reject must fail as parsePatterns says.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { loadPatternFile, patternsFromTemplate, readPatternTemplate, writePatternTemplate } from "../../../src/rules/pattern-file.js";
import { parsePatterns } from "../../../src/rules/patterns.js";
import { scratchDir } from "../../harness/scratch-dir.js";

async function setup(patterns: string): Promise<{ file: string; template: string }> {
  const dir = await scratchDir("patterns");
  const template = join(dir, "pattern-rule.json");
  await writePatternTemplate(template);
  const file = join(dir, "sigs.tsv");
  await writeFile(file, patterns);
  return { file, template };
}

/** The error a load ends in, as { code, message }; undefined when it loads. */
const failure = (p: Promise<unknown>) => p.then(() => undefined, (e: { code?: string; message?: string }) => ({ code: e.code, message: e.message }));

describe("pattern files through the template", () => {
  test("the rules are the schema's own, field for field", async () => {
    const text = "# sigs\neaddr\t(?:EADDRINUSE|Is port \\d+ in use)\r\n\nssh_fail\tFailed password for \\S+ from [0-9.]+\nx1\t^a$\n";
    const { file, template } = await setup(text);
    const rule = await readPatternTemplate(template);
    expect(rule).toBeDefined();
    const fast = patternsFromTemplate(text, file, rule ?? parsePatterns("a\tb", "x")[0]!);
    expect(fast).toEqual(parsePatterns(text, file));
    expect(await loadPatternFile(file, template)).toEqual(parsePatterns(text, file));
  });

  test("a line the schema rejects is left to parsePatterns: the same error, at the same line", async () => {
    for (const bad of ["ok\tfine\nBad-Id\tx\n", "ok\tfine\nempty\t\n", "ok\tfine\nno tab here\n", "ok\tfine\nok\tagain\n"]) {
      const { file, template } = await setup(bad);
      const rule = await readPatternTemplate(template);
      expect(patternsFromTemplate(bad, file, rule!)).toBeUndefined();
      const got = await failure(loadPatternFile(file, template));
      expect(got).toBeDefined();
      expect(got).toEqual(await failure(Promise.resolve().then(() => parsePatterns(bad, file))));
    }
  });

  test("an unsafe or invalid regex still fails its check, located at file:line", async () => {
    const { file, template } = await setup("ok\tfine\nevil\t(a+)+$\n");
    await expect(loadPatternFile(file, template)).rejects.toMatchObject({ code: "rule_unsafe", line: 2 });
    const { file: f2, template: t2 } = await setup("ok\tfine\n\nbroken\t(unclosed\n");
    await expect(loadPatternFile(f2, t2)).rejects.toMatchObject({ code: "rule_invalid", line: 3 });
  });

  test("a stale or foreign template is not used", async () => {
    const { template } = await setup("");
    const written = JSON.parse(await import("node:fs/promises").then((fs) => fs.readFile(template, "utf8"))) as { hash: string; rule: { id: string } };
    await writeFile(template, JSON.stringify({ ...written, hash: "0".repeat(64) }));
    expect(await readPatternTemplate(template)).toBeUndefined();
    await writeFile(template, JSON.stringify({ ...written, rule: { ...written.rule, id: "other" } }));
    expect(await readPatternTemplate(template)).toBeUndefined();
    await writeFile(template, "{not json");
    expect(await readPatternTemplate(template)).toBeUndefined();
  });
});
