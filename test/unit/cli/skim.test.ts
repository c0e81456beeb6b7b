// The fast path of `analyze` (records only for lines the rules may match) against the record path, on every fixture.
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { runAnalyze, type AnalyzeOptions } from "../../../src/cli/analyze.js";
import { compileRules, loadRules } from "../../../src/rules/index.js";

const FIXTURES = fileURLToPath(new URL("../../../fixtures/", import.meta.url));
const NOW = Date.parse("2026-12-07T00:00:00Z");

let ruleSet: NonNullable<AnalyzeOptions["ruleSet"]>;
let dir: string;
beforeAll(async () => {
  const rules = await loadRules({ dirs: [] });
  ruleSet = { rules, compiled: compileRules(rules) };
  dir = await mkdtemp(join(tmpdir(), "fw-skim-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/**
 * Both paths over the same inputs: incidents (findings, counts, evidence), read stats and per-file tallies; and the
 * skimming path without per-file tallies (`unparsed`), which may leave lines unparsed.
 */
async function bothPaths(paths: string[], extra: Partial<AnalyzeOptions> = {}) {
  const run = (path: "skim" | "records", perFile = true) => runAnalyze(paths, { rules: [], ruleSet, timeZone: "UTC", ...extra, path, perFile }, { now: () => NOW });
  const [records, skim, unparsed] = [await run("records"), await run("skim"), await run("skim", false)];
  return { records, skim, unparsed };
}

/** The unparsed run found the same incidents, read the same lines and made the same records; returns its unparsed lines. */
function sameWithoutParsing(r: Awaited<ReturnType<typeof bothPaths>>, what: string): number {
  expect(r.unparsed.incidents, what).toEqual(r.records.incidents);
  expect(r.unparsed.stats, what).toEqual(r.records.stats);
  expect(r.records.run.unparsed, what).toBe(0);
  return r.unparsed.run.unparsed;
}

async function folders(root: string): Promise<string[]> {
  const entries = await readdir(root, { withFileTypes: true });
  return entries.filter((e) => e.isDirectory() && !e.name.startsWith("_")).map((e) => join(root, e.name));
}

describe("analyze's skimming path finds what the record path finds", () => {
  // Each comparison reads its inputs twice, once per path: seconds on a quiet machine, more under load.
  const SLOW = 120_000;

  test("on every fixture folder", async () => {
    const scenarios = (await folders(FIXTURES)).filter((d) => !d.endsWith("/real") && !d.endsWith("/loghub"));
    expect(scenarios.length).toBeGreaterThanOrEqual(15);
    let incidents = 0;
    let unparsed = 0;
    for (const folder of scenarios) {
      const { records, skim, unparsed: u } = await bothPaths([folder]);
      expect(skim.incidents, folder).toEqual(records.incidents);
      expect(skim.stats, folder).toEqual(records.stats);
      expect(skim.run, folder).toEqual(records.run);
      unparsed += sameWithoutParsing({ records, skim, unparsed: u }, folder);
      incidents += records.incidents.length;
    }
    // Not a comparison of two empty lists, nor of two runs that parsed every line.
    expect(incidents).toBeGreaterThanOrEqual(10);
    expect(unparsed).toBeGreaterThan(100);
  }, SLOW);

  test("on fixtures/real, excerpt by excerpt", async () => {
    // The excerpts are mostly shorter than the 20 lines that detect a format, which are all parsed: this holds the
    // unparsed run to the others where nothing is skipped, the Loghub test below where most is.
    let incidents = 0;
    for (const folder of await folders(join(FIXTURES, "real"))) {
      for (const f of await readdir(folder)) {
        const r = await bothPaths([join(folder, f)]);
        const { records, skim } = r;
        expect(skim.incidents, f).toEqual(records.incidents);
        expect(skim.stats, f).toEqual(records.stats);
        expect(skim.run, f).toEqual(records.run);
        sameWithoutParsing(r, f);
        incidents += records.incidents.length;
      }
    }
    expect(incidents).toBeGreaterThan(100);
  }, SLOW);

  test("on Loghub, each file and all together, with --since and --until", async () => {
    const loghub = join(FIXTURES, "loghub");
    const files = (await readdir(loghub)).filter((f) => f.endsWith(".log")).map((f) => join(loghub, f));
    expect(files.length).toBeGreaterThanOrEqual(16);
    let unparsed = 0;
    for (const input of [loghub, ...files]) {
      const r = await bothPaths([input]);
      const { records, skim } = r;
      expect(skim.incidents, input).toEqual(records.incidents);
      expect(skim.stats, input).toEqual(records.stats);
      expect(skim.run, input).toEqual(records.run);
      unparsed += sameWithoutParsing(r, input);
    }
    // 16 files of 2,000 lines, each read twice (alone, then in the folder): most of the 64,000 lines are left unparsed.
    expect(unparsed).toBeGreaterThan(32_000);
    const bounded = await bothPaths([loghub], { since: "2015-10-18T18:00:00Z", until: "2016-01-01T00:00:00Z" });
    expect(bounded.skim.incidents).toEqual(bounded.records.incidents);
    expect(bounded.skim.run).toEqual(bounded.records.run);
    expect(bounded.records.run.unplaced).toBeGreaterThan(0);
    // --since/--until place every line by its time: nothing is left unparsed, whatever the tallies.
    expect(bounded.unparsed.incidents).toEqual(bounded.records.incidents);
    expect(bounded.unparsed.run).toEqual(bounded.records.run);
  }, SLOW);

  // Skimming starts once the format is known: after the first SNIFF_LINES (20) lines, which are all records.
  const filler = (n: number, at: (i: number) => string) => Array.from({ length: n }, (_, i) => at(i));

  test("joins a traceback whose matching line comes after lines no rule names", async () => {
    // Only the exception line holds a literal; the head and the frames must still be joined into its record.
    const file = join(dir, "worker.log");
    await writeFile(file, [
      ...filler(25, (i) => `2025-11-08 01:04:${String(i + 10)},001 - INFO - worker ${i} idle`),
      "2025-11-08 01:04:45,802 - WARNING - rotating segment for stream 348 went wrong: ",
      "Traceback (most recent call last):",
      '  File "/app/segmenter.py", line 401, in rotate',
      "    os.kill(pid, signal.SIGTERM)",
      "ProcessLookupError: [Errno 3] No such process",
      "2025-11-08 01:04:46,000 - INFO - still running",
      "2025-11-08 01:04:47,000 - INFO - binding the port",
      "    at Server.setupListenHandle [as _listen2] (node:net:1817:16) EADDRINUSE",
      "2025-11-08 01:04:48,000 - INFO - done",
    ].join("\n") + "\n");
    const r = await bothPaths([file]);
    const { records, skim } = r;
    expect(records.incidents.length).toBeGreaterThan(0);
    expect(skim.incidents).toEqual(records.incidents);
    expect(sameWithoutParsing(r, file)).toBeGreaterThan(0);
    const evidence = skim.incidents.flatMap((i) => i.findings.flatMap((f) => f.evidence.map((e) => e.text)));
    expect(evidence.some((t) => t.includes("went wrong: \nTraceback (most recent call last):\n"))).toBe(true);
  });

  test("judges the run's end by lines no rule names: an absence overdue only at the last line", async () => {
    // external_kill: "Entering tokio::select!" and no exit path within 365 days. Only the last line, which no rule
    // names, shows that the year has passed.
    const file = join(dir, "late-end.log");
    const stamp = (d: string) => `${d} mithrandir ingester[42]:`;
    await writeFile(file, [
      ...filler(25, (i) => `${stamp(`2024-01-01T00:${String(i + 10)}:00+0000`)} heartbeat ${i}`),
      `${stamp("2024-01-02T00:00:00+0000")} [EXIT-TRACE] Entering tokio::select!`,
      `${stamp("2025-06-01T00:00:00+0000")} heartbeat again`,
    ].join("\n") + "\n");
    const r = await bothPaths([file]);
    const { records, skim } = r;
    expect(records.incidents.map((i) => i.findings.map((f) => [f.rule, f.state]))).toEqual([[["external_kill", "firing"]]]);
    expect(skim.incidents).toEqual(records.incidents);
    // Without per-file tallies the last line is read unparsed: a second read finds its time.
    expect(sameWithoutParsing(r, file)).toBeGreaterThan(0);
  });

  test("places yearless stamps by months that only lines no rule names show", async () => {
    // Syslog stamps carry no year. Jan, then Sep, where the port conflict is, would be a late line of the year before
    // (a jump of 8 months); the lines of Apr and Jul between them, which hold no rule's literal, make it this year's.
    const file = join(dir, "yearless.log");
    await writeFile(file, [
      ...filler(25, (i) => `Jan  1 10:${String(i + 10)}:00 mithrandir app[7]: heartbeat ${i}`),
      ...["Apr", "Jul"].flatMap((m) => filler(3, (i) => `${m}  5 10:0${i}:00 mithrandir app[7]: heartbeat in ${m}`)),
      ...filler(3, (i) => `Sep  5 10:0${i}:00 mithrandir app[7]: Error: listen EADDRINUSE: address already in use :::9003`),
      "Sep  5 10:05:00 mithrandir app[7]: heartbeat at the end",
    ].join("\n") + "\n");
    const r = await bothPaths([file], { referenceTime: "2026-12-01T00:00:00Z" });
    const { records, skim } = r;
    const seen = records.incidents.flatMap((i) => i.findings.map((f) => [f.rule, f.firstSeen]));
    expect(seen).toEqual([["eaddrinuse_loop", Date.parse("2026-09-05T10:00:00Z")]]);
    expect(skim.incidents).toEqual(records.incidents);
    expect(sameWithoutParsing(r, file)).toBeGreaterThan(0);
  });

  test("keeps a journal entry that only a structured alternative matches", async () => {
    // German MESSAGE: no literal of any pattern, but MESSAGE_ID, UNIT and N_RESTARTS say "scheduled restart".
    const file = join(dir, "journal.json");
    const entry = (i: number, fields: Record<string, string>) =>
      JSON.stringify({ __REALTIME_TIMESTAMP: String(1766789821000000 + i * 1000000), _HOSTNAME: "mithrandir", SYSLOG_IDENTIFIER: "systemd", ...fields });
    await writeFile(file, [
      ...filler(25, (i) => entry(i, { MESSAGE: `tick ${i}` })),
      entry(30, { MESSAGE: "transcription-palantir.service: Geplanter Neustart-Auftrag, Neustartzähler steht bei 12.", MESSAGE_ID: "5eb03494b6584870a536b337290809b3", UNIT: "transcription-palantir.service", N_RESTARTS: "12" }),
      entry(31, { MESSAGE: "tock" }),
    ].join("\n") + "\n");
    const r = await bothPaths([file]);
    const { records, skim } = r;
    expect(records.incidents.flatMap((i) => i.findings.map((f) => f.rule))).toContain("systemd_restart_loop");
    expect(skim.incidents).toEqual(records.incidents);
    sameWithoutParsing(r, file);
  });
});
