// analyze and time: yearless stamps never after the reference and agreeing across a run's files, whatever their mtimes;
// records without a time never satisfy a window; --stats says per file what was read.
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { runAnalyze } from "../../../src/cli/analyze.js";

const FIXTURES = path.resolve(import.meta.dirname, "../../../fixtures");
const scratch = mkdtempSync(path.join(tmpdir(), "fw-times-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const YEAR_MS = 365 * 86_400_000;

function copyWithMtime(name: string, mtime: Date): string {
  const dir = path.join(scratch, `${name}-${mtime.getTime()}`);
  cpSync(path.join(FIXTURES, name), dir, { recursive: true });
  for (const f of readdirSync(dir)) utimesSync(path.join(dir, f), mtime, mtime);
  return dir;
}

function writeDir(name: string, files: Record<string, string>, mtime = new Date()): string {
  const dir = path.join(scratch, name);
  mkdirSync(dir, { recursive: true });
  for (const [f, text] of Object.entries(files)) {
    writeFileSync(path.join(dir, f), text);
    utimesSync(path.join(dir, f), mtime, mtime);
  }
  return dir;
}

const bind = (stamp: string) => `${stamp} web1 api[42]: Error: listen EADDRINUSE: address already in use :::9003\n`;

describe("mixed-healthy concludes nothing whatever the file times", () => {
  const now = Date.now();
  test.each([
    ["today", new Date(now)],
    ["a year later", new Date(now + YEAR_MS)],
    ["the fixture's own day", new Date("2025-11-20T15:30:00Z")],
  ])("mtimes set to %s", async (_label, mtime) => {
    const { incidents } = await runAnalyze([copyWithMtime("mixed-healthy", mtime)], { rules: [], timeZone: "UTC" }, { now: () => now });
    expect(incidents.map((i) => `${i.status} ${i.title}`)).toEqual([]);
  });
});

describe("years of stamps without one", () => {
  test("a syslog file takes the year of the run's dated files, not its mtime's", async () => {
    const dir = writeDir("agree", {
      "syslog": ["Nov 20 15:00:01", "Nov 20 15:00:11", "Nov 20 15:00:21"].map(bind).join(""),
      "app.json": '{"level":30,"time":"2025-11-20T15:00:00Z","msg":"started"}\n',
    });
    const { incidents } = await runAnalyze([dir], { rules: [], timeZone: "UTC" }, { now: () => Date.parse("2026-12-07T02:45:00Z") });
    expect(incidents.map((i) => new Date(i.firstSeen ?? 0).toISOString())).toEqual(["2025-11-20T15:00:01.000Z"]);
  });

  test("no stamp is placed after the reference: mtime in the future is capped by the clock; --reference-time and --year say it", async () => {
    const dir = writeDir("future", { "auth.log": ["Dec 10 06:55:46", "Dec 10 06:55:50", "Dec 10 06:55:55"].map(bind).join("") }, new Date("2027-06-01T00:00:00Z"));
    const at = (opts: { referenceTime?: string; year?: number }) =>
      runAnalyze([dir], { rules: [], timeZone: "UTC", ...opts }, { now: () => Date.parse("2026-12-07T02:45:00Z") }).then((r) => r.incidents.map((i) => new Date(i.firstSeen ?? 0).toISOString()));
    expect(await at({})).toEqual(["2025-12-10T06:55:46.000Z"]); // Dec 10 is after today (Dec 7): last year's
    expect(await at({ referenceTime: "2019-01-01" })).toEqual(["2018-12-10T06:55:46.000Z"]);
    expect(await at({ year: 2015 })).toEqual(["2015-12-10T06:55:46.000Z"]);
    await expect(at({ referenceTime: "last tuesday" })).rejects.toMatchObject({ code: "usage" });
    await expect(at({ referenceTime: "2019-01-01", year: 2015 })).rejects.toMatchObject({ code: "usage" });
  });
});

describe("records without a time", () => {
  const untimed = "Error: listen EADDRINUSE: address already in use :::9003\n".repeat(5);

  test("never satisfy a threshold's window: five untimed bind failures are observed, not a firing loop", async () => {
    const dir = writeDir("untimed", { "pasted.txt": untimed });
    const { incidents } = await runAnalyze([dir], { rules: [], timeZone: "UTC" }, { now: () => Date.now() });
    expect(incidents.map((i) => [i.status, i.findings.map((f) => [f.rule, f.state, f.count])])).toEqual([["observed", [["eaddrinuse_loop", "observed", 5]]]]);
    // Not a loop then: the title and severity say what the lines show (the rule's `observed` title and severity).
    expect(incidents.map((i) => [i.title, i.severity])).toEqual([["Bind failure: port 9003 already in use", "high"]]);
  });

  test("a single timed bind failure is not titled a crash loop either; three within 5 minutes are", async () => {
    const one = writeDir("one-bind", { "app.log": bind("2025-11-20T15:00:01Z") });
    const at = (dir: string) => runAnalyze([dir], { rules: [], timeZone: "UTC" }, { now: () => Date.now() }).then((r) => r.incidents.map((i) => [i.title, i.severity, i.status]));
    expect(await at(one)).toEqual([["Bind failure: port 9003 already in use", "high", "observed"]]);
    const three = writeDir("three-binds", { "app.log": ["2025-11-20T15:00:01Z", "2025-11-20T15:00:11Z", "2025-11-20T15:00:21Z"].map(bind).join("") });
    expect(await at(three)).toEqual([["Crash loop: api cannot bind port 9003 (already in use)", "critical", "open"]]);
  });

  test("--since leaves them out and counts them; --stats names each file's format and its untimed records", async () => {
    const dir = writeDir("since", {
      "pasted.txt": untimed,
      "timed.log": ["2025-11-20T15:00:01Z", "2025-11-20T15:00:02Z"].map((t) => `${t} web1 api[42]: ok\n`).join(""),
    });
    const { run, incidents } = await runAnalyze([dir], { rules: [], timeZone: "UTC", since: "2025-11-20T00:00:00Z" }, { now: () => Date.now() });
    expect(incidents).toEqual([]);
    expect(run.unplaced).toBe(5);
    expect(run.files.map((f) => [path.basename(f.file), f.format, f.records, f.untimed])).toEqual([
      ["pasted.txt", "plain", 5, 5],
      ["timed.log", "syslog-iso", 2, 0],
    ]);
  });
});

describe("Loghub through the whole of analyze (parsers, times, error fields, correlator)", () => {
  test("its 16 files stay quiet: nothing fires; the one real bind failure is observed and titled as such", async () => {
    const { incidents, run } = await runAnalyze([path.join(FIXTURES, "loghub")], { rules: [], timeZone: "UTC", referenceTime: "2026-12-07T02:45:00Z" }, { now: () => Date.now() });
    const logs = run.files.filter((f) => f.file.endsWith(".log")); // the folder's README and LICENSE are read too
    expect(logs).toHaveLength(16);
    expect(logs.filter((f) => f.untimed > 0).map((f) => path.basename(f.file))).toEqual([]);
    expect(incidents.map((i) => [i.status, i.severity, i.title, i.host])).toEqual([["observed", "high", "Bind failure: port 22 already in use", "tbird-admin1"]]);
  });
});
