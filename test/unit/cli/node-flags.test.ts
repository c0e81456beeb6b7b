// firewatch runs node with a sized heap (issue 18, docs/performance.md): the #! line, the systemd unit and the
// Dockerfile pass the same flags, and node takes them.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, test } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "../../..");
const shebang = readFileSync(path.join(ROOT, "src/cli.ts"), "utf8").split("\n")[0] ?? "";
const flags = /^#!\/usr\/bin\/env -S node((?:\s+--[a-z-]+=\d+)+)$/.exec(shebang)?.[1]?.trim().split(/\s+/) ?? [];

describe("the node flags firewatch runs with", () => {
  test("the #! line sizes the old space and the semi-spaces", () => {
    expect(flags.map((f) => f.replace(/=.*/, "")).sort()).toEqual(["--max-old-space-size", "--max-semi-space-size"]);
  });

  test("node takes them: the heap's ceiling is the old space and the young generation asked for", () => {
    const out = execFileSync(process.execPath, [...flags, "-e", "console.log(require('node:v8').getHeapStatistics().heap_size_limit)"], { encoding: "utf8" });
    const limit = Number(out);
    const old = Number(flags.find((f) => f.startsWith("--max-old-space-size="))?.split("=")[1]);
    const semi = Number(flags.find((f) => f.startsWith("--max-semi-space-size="))?.split("=")[1]);
    // The ceiling is the old space plus the young generation, three semi-spaces in V8's accounting (524 MiB here;
    // 560 MiB with V8's default 16 MiB semi-spaces).
    expect(limit / 2 ** 20).toBe(old + 3 * semi);
  });

  test("the systemd unit and the Dockerfile start node with the same flags", () => {
    const unit = readFileSync(path.join(ROOT, "deploy/systemd/firewatch.service"), "utf8");
    expect(/^ExecStart=\/usr\/bin\/node (.*?) \/opt\/firewatch\/dist\/cli\.js watch/m.exec(unit)?.[1]?.split(" ")).toEqual(flags);
    const dockerfile = readFileSync(path.join(ROOT, "deploy/docker/Dockerfile"), "utf8");
    const entry = /^ENTRYPOINT (\[.*\])$/m.exec(dockerfile)?.[1];
    expect(JSON.parse(entry ?? "[]")).toEqual(["node", ...flags, "/opt/firewatch/dist/cli.js"]);
  });
});
