// `firewatch config init` writes a starting config that `config check` accepts, commented examples included.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { STARTER_CONFIG, writeStarterConfig } from "../../../src/cli/config-init.js";
import { loadConfig } from "../../../src/config/index.js";

const sink = { write: () => true };

describe("config init", () => {
  it("writes a file config check accepts; it never overwrites without --force", async () => {
    const dir = await mkdtemp(join(tmpdir(), "fw-init-"));
    const file = join(dir, "firewatch.yaml");
    await writeStarterConfig(file, { force: false, stdout: sink });
    const c = await loadConfig({ file, env: {} });
    expect(c.sources.map((s) => s.kind)).toEqual(["file"]);
    await expect(writeStarterConfig(file, { force: false, stdout: sink })).rejects.toMatchObject({ code: "usage", message: expect.stringContaining("exists; nothing was written") });
    await writeStarterConfig(file, { force: true, stdout: sink });
    expect(await readFile(file, "utf8")).toBe(STARTER_CONFIG);
    await rm(dir, { recursive: true, force: true });
  });

  it("its commented journald and docker sources are valid once uncommented", async () => {
    const dir = await mkdtemp(join(tmpdir(), "fw-init-"));
    const file = join(dir, "firewatch.yaml");
    // "  # - kind: journald" → "  - kind: journald", "  #   name: journal" → "    name: journal".
    const uncommented = STARTER_CONFIG.replace(/^ {2}# (- kind: \w+| {2}\w+:.*)$/gm, "  $1");
    expect(uncommented).toContain("  - kind: docker");
    await writeFile(file, uncommented);
    expect((await loadConfig({ file, env: {} })).sources.map((s) => s.kind)).toEqual(["file", "journald", "docker"]);
    await rm(dir, { recursive: true, force: true });
  });
});
