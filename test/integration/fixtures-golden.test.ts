// Golden tests: every fixture folder through `analyze` must conclude what its expected.yaml says, and its markdown
// report must equal the reviewed golden file in test/golden/ (UPDATE_GOLDEN=1 rewrites them for a review by eye).
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import YAML from "yaml";
import { z } from "zod";
import { renderAnalysis, runAnalyze } from "../../src/cli/analyze.js";
import type { Finding } from "../../src/correlate/index.js";

const FIXTURES = path.resolve(import.meta.dirname, "../../fixtures");
const GOLDEN = path.resolve(import.meta.dirname, "../golden");
/** The report's "Date" falls back to this only when no line carries a time. */
const NOW = Date.parse("2026-01-01T00:00:00Z");

const TableRow = z.object({ file: z.string(), failed: z.number(), status: z.enum(["completed", "not_completed"]).optional() }).passthrough();
const ExpectedFinding = z
  .object({
    rule: z.string(),
    state: z.enum(["firing", "observed"]).default("firing"),
    fields: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
    group: z.record(z.string(), z.string()).optional(),
    signals: z.number().optional(),
    count: z.number().optional(),
    signals_at_least: z.number().optional(),
    table: z.array(TableRow).optional(),
    recovered: z.boolean().optional(),
    fields_values: z.record(z.string(), z.array(z.string())).optional(),
  })
  .passthrough();
const ExpectedIncident = z
  .object({
    host: z.string().optional(),
    service: z.string().optional(),
    severity: z.enum(["critical", "high", "medium", "low", "info"]),
    status: z.enum(["open", "observed"]),
    title_mentions: z.array(z.string()).default([]),
    findings: z.array(ExpectedFinding).default([]),
  })
  .passthrough();
const Expected = z
  .object({
    scenario: z.string(),
    incidents: z.array(ExpectedIncident),
    quiet_rules: z.union([z.literal("all"), z.array(z.string())]).default([]),
    reference_time: z.string().optional(),
    allowed_observed: z.array(z.string()).default([]),
  })
  .passthrough();

const scenarios = readdirSync(FIXTURES, { withFileTypes: true })
  .filter((d) => d.isDirectory() && !d.name.startsWith("_") && existsSync(path.join(FIXTURES, d.name, "expected.yaml")))
  .map((d) => d.name)
  .sort();

const scratch = mkdtempSync(path.join(tmpdir(), "fw-golden-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Copies a fixture so a yearless syslog file can be given its reference mtime without touching the repository. */
function prepare(name: string, expected: z.infer<typeof Expected>): string {
  const dir = path.join(scratch, name);
  cpSync(path.join(FIXTURES, name), dir, { recursive: true });
  if (expected.reference_time !== undefined) {
    const t = new Date(expected.reference_time);
    for (const f of readdirSync(dir)) utimesSync(path.join(dir, f), t, t);
  }
  return dir;
}

function findingMatches(f: Finding, e: z.infer<typeof ExpectedFinding>): boolean {
  if (f.rule !== e.rule) return false;
  if (e.group) return Object.entries(e.group).every(([k, v]) => f.fields[k] === v);
  return true;
}

describe.each(scenarios)("fixture %s", (name) => {
  const expected = Expected.parse(YAML.parse(readFileSync(path.join(FIXTURES, name, "expected.yaml"), "utf8")));
  const dir = prepare(name, expected);
  const timeZone = name.startsWith("seed-000") ? "America/New_York" : "UTC";
  const run = runAnalyze([dir], { rules: [], timeZone }, { now: () => NOW });

  test("concludes the incidents its expected.yaml names", async () => {
    const { incidents } = await run;
    const summary = incidents.map((i) => `${i.host ?? "-"} ${i.service ?? "-"} ${i.status}: ${i.findings.map((f) => `${f.rule}/${f.state}`).join(", ")}`);
    const relevant = incidents.filter((i) => i.status === "open" || !expected.incidents.every((e) => e.status === "open"));
    expect(relevant.length, summary.join("\n")).toBe(expected.incidents.length);
    expected.incidents.forEach((e, n) => {
      const got = relevant[n];
      expect(got, summary.join("\n")).toBeDefined();
      if (got === undefined) return;
      if (e.host !== undefined) expect(got.host).toBe(e.host);
      if (e.service !== undefined) expect(got.service).toBe(e.service);
      expect(got.severity).toBe(e.severity);
      expect(got.status).toBe(e.status);
      for (const word of e.title_mentions) expect(got.title).toContain(word);
      for (const ef of e.findings) {
        const f = got.findings.find((x) => findingMatches(x, ef));
        expect(f, `${ef.rule} ${JSON.stringify(ef.group ?? {})} in ${summary[n]}`).toBeDefined();
        if (f === undefined) continue;
        expect(f.state, ef.rule).toBe(ef.state);
        for (const [k, v] of Object.entries(ef.fields ?? {})) expect(f.fields[k], `${ef.rule}.${k}`).toBe(String(v));
        if (ef.signals !== undefined) expect(f.count, `${ef.rule} signals`).toBe(ef.signals);
        if (ef.count !== undefined) expect(f.count, `${ef.rule} count`).toBe(ef.count);
        if (ef.signals_at_least !== undefined) expect(f.count).toBeGreaterThanOrEqual(ef.signals_at_least);
        if (ef.recovered !== undefined) expect(f.recoveredAt !== undefined, `${ef.rule} recovered`).toBe(ef.recovered);
        for (const [k, values] of Object.entries(ef.fields_values ?? {})) {
          expect(new Set((f.fields[k] ?? "").split(", ")), `${ef.rule}.${k}`).toEqual(new Set(values));
        }
        if (ef.table) {
          expect(f.table, `${ef.rule} table`).toBeDefined();
          const rows = (f.table?.rows ?? []).map((r) => [r[0], Number(r[1])]);
          expect(rows).toEqual(ef.table.map((r) => [r.file, r.failed]));
          ef.table.forEach((r, k) => {
            if (r.status === "completed") expect(f.table?.rows[k]?.[2]).toMatch(/completed/i);
          });
        }
      }
    });
  });

  test("fires none of the rules that must stay quiet", async () => {
    const { incidents } = await run;
    const firing = incidents.flatMap((i) => i.findings).filter((f) => f.state === "firing").map((f) => f.rule);
    const quiet = expected.quiet_rules === "all" ? firing : firing.filter((r) => (expected.quiet_rules as string[]).includes(r));
    expect(quiet).toEqual([]);
  });

  test("writes the reviewed golden report", async () => {
    const result = await run;
    const { stdout } = renderAnalysis(result, "markdown", { timeZone, color: false, now: NOW });
    const file = path.join(GOLDEN, `${name}.md`);
    // Paths differ per run (a temp copy): the report names them relative to the fixture folder.
    const report = stdout.replaceAll(`${dir}/`, `fixtures/${name}/`);
    if (process.env["UPDATE_GOLDEN"] === "1") writeFileSync(file, report);
    expect(existsSync(file), `missing ${file}: run UPDATE_GOLDEN=1 and review it`).toBe(true);
    expect(report).toBe(readFileSync(file, "utf8"));
  });
});

describe("Loghub (real logs of 16 systems)", () => {
  const LOGHUB = path.resolve(import.meta.dirname, "../../fixtures/loghub");
  // Rules written for the seeds' own failures; the infrastructure ones (disk, pools, brokers, OOM...) may fire on
  // a real failure of that kind, and then the test below names it.
  const SEED_SPECIFIC = [
    "eaddrinuse_loop", "systemd_restart_loop", "systemd_unit_failed", "docker_restart_loop", "exit_trace", "external_kill",
    "rust_panic", "process_lookup_error", "segment_rotation_stuck", "mac_check_failed", "riff_format_error",
    "transcription_timeout", "max_retries_exceeded", "legacy_encryption", "transcription_failed", "stale_job_queue",
  ];

  test("analyze fires nothing from the seed-specific rules, and no infrastructure rule either", async () => {
    const { incidents } = await runAnalyze([LOGHUB], { rules: [], timeZone: "UTC" }, { now: () => NOW });
    const firing = incidents.flatMap((i) => i.findings).filter((f) => f.state === "firing");
    expect(firing.filter((f) => SEED_SPECIFIC.includes(f.rule)).map((f) => `${f.rule} ${f.evidence[0]?.ref.file}`)).toEqual([]);
    // None of Loghub's 16 samples holds a full disk, an exhausted pool, a broker outage or an OOM kill that repeats.
    expect(firing.map((f) => `${f.rule} ${f.evidence[0]?.ref.file}:${f.evidence[0]?.ref.line}`)).toEqual([]);
  });
});
