// `firewatch analyze` as a user runs it: a real process, its stdout, stderr and exit code.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { ReportJsonSchema } from "../../src/report/index.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
const CLI = path.join(ROOT, "src/cli.ts");
const SEED_000 = path.join(ROOT, "fixtures/seed-000-port-conflict");
const tmp = mkdtempSync(path.join(tmpdir(), "fw-cli-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function firewatch(args: string[], input?: string | Buffer, env: NodeJS.ProcessEnv = process.env) {
  const r = spawnSync(process.execPath, ["--import", "tsx", CLI, ...args], { cwd: ROOT, env, input: typeof input === "string" ? Buffer.from(input) : (input ?? Buffer.alloc(0)), timeout: 60_000 });
  return { code: r.status, stdout: r.stdout.toString("utf8"), stderr: r.stderr.toString("utf8") };
}

describe("firewatch analyze", () => {
  test("exits 1 and prints the incident when something fires (seed 000)", () => {
    const r = firewatch(["analyze", "--tz", "America/New_York", SEED_000]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("Crash loop: transcription-palantir cannot bind port 9003");
    expect(r.stdout).toContain("counter=485");
    expect(r.stdout).toMatch(/1 incident \(1 open\)/);
  });

  test("exits 0 when nothing fires (healthy logs on stdin)", () => {
    const r = firewatch(["analyze", "-"], "Dec 26 10:00:00 web nginx[12]: GET / 200\nDec 26 10:00:01 web app[13]: Server listening on 0.0.0.0:9003\n");
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
  });

  test("--format json prints the documented contract, --out writes one file per incident", () => {
    const out = path.join(tmp, "reports");
    const r = firewatch(["analyze", "--format", "json", "--out", out, SEED_000]);
    expect(r.code).toBe(1);
    const doc = ReportJsonSchema.parse(JSON.parse(r.stdout));
    expect(doc.incidents).toHaveLength(1);
    expect(doc.incidents[0]?.findings.map((f) => f.rule)).toContain("stale_job_queue");
    expect(readdirSync(out)).toEqual([`${doc.incidents[0]?.id}.json`]);
  });

  test("--format markdown writes the report in the documented format", () => {
    const r = firewatch(["analyze", "--format", "markdown", SEED_000]);
    for (const heading of ["# Incident Report:", "## Executive Summary", "## Critical Issues Identified", "## Timeline", "## Immediate Actions Required", "## Prevention Measures", "## Next Steps"]) {
      expect(r.stdout).toContain(heading);
    }
    expect(r.stdout).toContain("| 08 Masterclass QA Session with Leif and Paul.m4a | 7 | ✅ Already completed |");
  });

  test("--since/--until keep only the window: before the loop nothing fires", () => {
    const r = firewatch(["analyze", "--until", "2025-12-26T21:00:00Z", SEED_000]);
    expect(r.code).toBe(0);
    expect(firewatch(["analyze", "--since", "yesterday", SEED_000])).toMatchObject({ code: 2, stderr: expect.stringContaining('--since "yesterday" is not a time') });
  });

  test("without --tz, stamps are read and shown in the system's zone (one zone for both)", () => {
    const lines = ["17:57:01", "17:57:10", "17:57:20"].map((t) => `Dec 26 ${t} web1 api[42]: Error: listen EADDRINUSE: address already in use :::9003\n`).join("");
    const r = firewatch(["analyze", "--reference-time", "2025-12-31", "-"], lines, { ...process.env, TZ: "America/New_York" });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("first seen 2025-12-26 17:57:01 EST");
    const utc = firewatch(["analyze", "--reference-time", "2025-12-31", "--tz", "UTC", "-"], lines, { ...process.env, TZ: "America/New_York" });
    expect(utc.stdout).toContain("first seen 2025-12-26 17:57:01 UTC");
  });

  test("a missing file is one clear line and exit 2, no stack trace", () => {
    const r = firewatch(["analyze", path.join(tmp, "nope.log")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/nope\.log/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  test("a directory without log files is exit 2", () => {
    const dir = path.join(tmp, "empty");
    mkdirSync(dir);
    writeFileSync(path.join(dir, "notes.md"), "# not a log\n");
    const r = firewatch(["analyze", dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/firewatch: .*empty/);
  });

  test("a malformed rule names file, line and field; --debug adds the stack", () => {
    const dir = path.join(tmp, "rules");
    mkdirSync(dir);
    writeFileSync(path.join(dir, "bad.yaml"), "id: my_rule\nseverity: urgent\nmatch: 'x'\n");
    const r = firewatch(["analyze", "--rules", dir, SEED_000]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.yaml:2 severity/);
    expect(r.stderr.trim().split("\n").length).toBeLessThanOrEqual(3);
    expect(firewatch(["--debug", "analyze", "--rules", dir, SEED_000]).stderr).toMatch(/\n\s+at /);
  });

  test("an unsafe regex in a rule is refused at load, naming the rule", () => {
    const dir = path.join(tmp, "unsafe");
    mkdirSync(dir);
    writeFileSync(path.join(dir, "slow.yaml"), "id: slow_rule\nmatch: '(a+)+$'\n");
    const r = firewatch(["analyze", "--rules", dir, SEED_000]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/slow_rule|slow\.yaml/);
  });

  test("bad bytes, NUL, a huge line and values that look like shell cost nothing and lose nothing", () => {
    const lines = Buffer.concat([
      Buffer.from("Dec 26 17:00:00 h app[1]: \x00\x01binary "), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from("\n"),
      Buffer.from(`Dec 26 17:00:01 h app[1]: ${"x".repeat(200_000)}\n`),
      Buffer.from("Dec 26 17:00:02 h app[1]: Error: listen EADDRINUSE: address already in use :::9003; $(rm -rf /) `id`\n"),
    ]);
    const r = firewatch(["analyze", "--stats", "--format", "json", "-"], lines);
    expect(r.code).toBe(0); // one EADDRINUSE line is below the threshold: observed, not firing
    expect(r.stderr).toMatch(/3 lines/);
    expect(r.stderr).toMatch(/too_long 1/);
    expect(r.stderr).toMatch(/invalid_utf8 1|binary 1/);
    const doc = ReportJsonSchema.parse(JSON.parse(r.stdout));
    const f = doc.incidents[0]?.findings.find((x) => x.rule === "eaddrinuse_loop");
    expect(f?.state).toBe("observed");
    expect(f?.evidence[0]?.text).toContain("$(rm -rf /) `id`");
  });

  test("an unknown flag or format is a usage error", () => {
    expect(firewatch(["analyze", "--format", "yaml", SEED_000]).code).toBe(2);
    expect(firewatch(["analyze", "--frobnicate", SEED_000]).code).toBe(2);
  });

  test("reads .gz files (seed 004's log)", () => {
    const r = firewatch(["analyze", path.join(ROOT, "fixtures/seed-004-segment-rotation/streamvault.log.gz")]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("Segment rotation stuck for stream 345, 348, 404, 413");
    expect(readFileSync(path.join(ROOT, "fixtures/seed-004-segment-rotation/streamvault.log.gz")).subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
  });
});

describe("firewatch rules list", () => {
  test("lists every rule in force and marks an override by id", () => {
    const dir = path.join(tmp, "override");
    mkdirSync(dir);
    writeFileSync(path.join(dir, "disk.yaml"), "id: disk_full\ntitle: Our own disk rule\nmatch: 'ENOSPC'\n");
    const r = firewatch(["rules", "list", "--rules", dir, "--format", "json"]);
    expect(r.code).toBe(0);
    const list = JSON.parse(r.stdout) as { id: string; source: string; overrides: boolean; title: string }[];
    expect(list.map((e) => e.id)).toEqual(expect.arrayContaining(["eaddrinuse_loop", "segment_rotation_stuck", "stale_job_queue"]));
    expect(list.find((e) => e.id === "disk_full")).toMatchObject({ title: "Our own disk rule", overrides: true, source: expect.stringContaining("disk.yaml:1") });
    expect(list.find((e) => e.id === "eaddrinuse_loop")).toMatchObject({ source: "builtin", overrides: false });
  });
});
