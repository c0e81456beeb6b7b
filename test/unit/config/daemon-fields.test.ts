import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig, sourceName } from "../../../src/config/index.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "fw-config-daemon-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function load(text: string) {
  const file = join(dir, "firewatch.yaml");
  await writeFile(file, text);
  return loadConfig({ file, env: {} });
}

describe("source fields the watch daemon reads", () => {
  it("quiet defaults to 10 min for journald and docker, to a day for a file; retries to 5", async () => {
    const c = await load("sources:\n  - kind: file\n    paths: [/a]\n  - kind: journald\n  - kind: docker\n");
    expect(c.sources.map((s) => s.quiet)).toEqual([86_400_000, 600_000, 600_000]);
    expect(c.sources.map((s) => s.retries)).toEqual([5, 5, 5]);
  });

  it("quiet takes a duration (0 turns it off) and retries a count", async () => {
    const c = await load("sources:\n  - kind: file\n    paths: [/a]\n    quiet: 90s\n    retries: 2\n  - kind: journald\n    quiet: 0\n");
    expect(c.sources.map((s) => [s.quiet, s.retries])).toEqual([[90_000, 2], [0, 5]]);
  });

  it("a bad quiet names its line and field", async () => {
    await expect(load("sources:\n  - kind: journald\n    quiet: soon\n")).rejects.toThrow(/firewatch\.yaml:3 sources\[0\]\.quiet: expected a duration/);
  });

  it("names a source kind:host by default, and refuses two sources under one name (they would share a cursor)", async () => {
    const c = await load("sources:\n  - kind: journald\n  - kind: file\n    name: app\n    paths: [/a]\n");
    expect(c.sources.map(sourceName)).toEqual(["journald:local", "app"]);
    await expect(load("sources:\n  - kind: file\n    paths: [/a]\n  - kind: file\n    paths: [/b]\n")).rejects.toThrow(
      /firewatch\.yaml:4 sources\[1\]\.kind: sources\[0\] is named "file:local" too/,
    );
    await expect(load("sources:\n  - kind: file\n    name: x\n    paths: [/a]\n  - kind: journald\n    name: x\n")).rejects.toThrow(/firewatch\.yaml:6 sources\[1\]\.name: sources\[0\] is named "x" too/);
  });
});

describe("examples/watch-localhost.yaml", () => {
  it("loads: one file source under /tmp, the file store and reports next to it, health on loopback", async () => {
    const c = await loadConfig({ file: "examples/watch-localhost.yaml", env: {} });
    expect(c.sources).toMatchObject([{ kind: "file", name: "demo", paths: ["/tmp/firewatch-demo/app.log"], startAt: "beginning", poll: 250 }]);
    // No store.url: the embedded default, which the CLI shares with the running daemon.
    expect(c.store.url).toBeUndefined();
    expect(c.outputs).toEqual({ jsonLines: true, reportDir: "/tmp/firewatch-demo/reports" });
    expect(c.health.host).toBe("127.0.0.1");
  });
});
