// README's examples checked against the program: the example output is what `analyze` prints, the config example loads.
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../../src/config/index.js";
import { expect, test } from "vitest";
import { renderAnalysis, runAnalyze } from "../../../src/cli/analyze.js";

test("README's seed 000 example is analyze's output, verbatim", async () => {
  const readme = readFileSync("README.md", "utf8");
  const m = /Example \(`node dist\/cli\.js analyze --tz (\S+) (\S+)`\):\n\n```\n([\s\S]*?)```/.exec(readme);
  expect(m, "README's example block").not.toBeNull();
  const [, timeZone = "", path = "", shown = ""] = m ?? [];
  const now = Date.now();
  const result = await runAnalyze([path], { rules: [], timeZone }, { now: () => now });
  expect(renderAnalysis(result, "text", { timeZone, color: false, now }).stdout).toBe(shown);
});

test("README's SSH hosts example is a valid firewatch.yaml (the key is pinned as the schema wants it)", async () => {
  const readme = readFileSync("README.md", "utf8");
  const block = /```yaml\n(hosts:\n[\s\S]*?)```/.exec(readme)?.[1];
  expect(block, "README's hosts example").toBeDefined();
  const dir = await mkdtemp(join(tmpdir(), "fw-readme-"));
  await writeFile(join(dir, "firewatch.yaml"), block ?? "");
  const config = await loadConfig({ file: join(dir, "firewatch.yaml"), env: {} });
  expect(config.hosts["web1"]).toMatchObject({ kind: "ssh", knownHostsFile: "/etc/firewatch/known_hosts" });
  expect(config.sources.map((s) => s.host)).toEqual(["web1", "web1", "web1"]);
  await rm(dir, { recursive: true, force: true });
});
