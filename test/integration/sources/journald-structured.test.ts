// A localised systemd restart loop in real journal files (systemd-journal-remote → journalctl) is recognised by MESSAGE_ID.
import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { runAnalyze, renderAnalysis } from "../../../src/cli/analyze.js";
import { createCorrelator, type Finding } from "../../../src/correlate/index.js";
import { LocalHost } from "../../../src/hosts/index.js";
import type { LogRecord } from "../../../src/parsers/index.js";
import { compileRules, createMatcher, loadBuiltinRules, type Rule } from "../../../src/rules/index.js";
import { followJournal } from "../../../src/sources/index.js";
import { journalAvailability, journalEntry, SYSTEMD_MESSAGE_ID, unitLineEntry, writeJournal, type JournalEntry } from "../../harness/journal.js";
import { makeTempDir } from "../../harness/program.js";

const run = promisify(execFile);
const avail = journalAvailability();
const UNIT = "transcription-palantir.service";
const T0 = Date.UTC(2025, 11, 26, 22, 57, 1) * 1000;

/** What PID 1 (or a user manager, with USER_UNIT) logs about a unit, with a German MESSAGE as a de_DE system writes it. */
function systemdEntry(timeUs: number, unitKey: "UNIT" | "USER_UNIT", fields: Record<string, string>): JournalEntry {
  return journalEntry(timeUs, { [unitKey]: UNIT, _SYSTEMD_UNIT: unitKey === "UNIT" ? "init.scope" : "user@1000.service", _PID: unitKey === "UNIT" ? "1" : "1254", _COMM: "systemd", SYSLOG_IDENTIFIER: "systemd", ...fields });
}

/** Seed 000's loop, localised: the unit's error, "process exited", "unit failed", "restart scheduled" with N_RESTARTS. */
function germanLoop(count: number, firstRestart: number, unitKey: "UNIT" | "USER_UNIT" = "UNIT"): JournalEntry[] {
  const out: JournalEntry[] = [];
  for (let i = 0; i < count; i++) {
    const t = T0 + i * 13_000_000;
    out.push(unitLineEntry(t, UNIT, 5000 + i, "Fehler: Adresse wird bereits verwendet", 3));
    out.push(systemdEntry(t + 100_000, unitKey, { MESSAGE: `${UNIT}: Hauptprozess wurde beendet, code=exited, Status=1/FAILURE`, MESSAGE_ID: SYSTEMD_MESSAGE_ID.processExited, EXIT_CODE: "exited", EXIT_STATUS: "1", COMMAND: "ExecStart", PRIORITY: "5" }));
    out.push(systemdEntry(t + 200_000, unitKey, { MESSAGE: `${UNIT}: Fehlgeschlagen mit Ergebnis »exit-code«.`, MESSAGE_ID: SYSTEMD_MESSAGE_ID.unitFailed, UNIT_RESULT: "exit-code", PRIORITY: "4" }));
    out.push(systemdEntry(t + 1_000_000, unitKey, { MESSAGE: `${UNIT}: Geplanter Neustart-Auftrag, Neustartzähler steht bei ${firstRestart + i}.`, MESSAGE_ID: SYSTEMD_MESSAGE_ID.restartScheduled, N_RESTARTS: String(firstRestart + i), PRIORITY: "6" }));
  }
  return out;
}

async function all(it: AsyncGenerator<LogRecord>): Promise<LogRecord[]> {
  const out: LogRecord[] = [];
  for await (const r of it) out.push(r);
  return out;
}

describe.skipIf(avail.missing !== undefined)(`systemd failures from journald's structured fields ${avail.missing ?? ""}`, () => {
  let tmp: { path: string; remove(): Promise<void> };
  let rules: Rule[];
  let findingsOf: (records: readonly LogRecord[]) => Finding[];
  beforeAll(async () => {
    tmp = await makeTempDir("journald-structured");
    rules = await loadBuiltinRules();
    const match = createMatcher(compileRules(rules));
    findingsOf = (records) => {
      const correlator = createCorrelator(rules);
      for (const r of records) for (const s of match(r)) correlator.push(s);
      return correlator.findings();
    };
  });
  afterAll(async () => {
    await tmp?.remove();
  });
  const only = (fs: Finding[], rule: string): Finding => {
    const found = fs.filter((f) => f.rule === rule);
    expect(found.map((f) => f.rule)).toEqual([rule]);
    return found[0] as Finding;
  };

  test.each([["UNIT" as const], ["USER_UNIT" as const]])("followJournal: a German restart loop (unit in %s) fires systemd_restart_loop with counter = max N_RESTARTS", async (unitKey) => {
    const file = join(tmp.path, `follow-${unitKey}.journal`);
    await writeJournal(file, germanLoop(6, 480, unitKey));
    const records = await all(followJournal({ host: new LocalHost(), files: [file], follow: false, startAt: "beginning" }));
    expect(records).toHaveLength(24);
    // The text says nothing English: only the structured fields can give the match.
    expect(records.some((r) => /Scheduled restart|Main process|Failed with/.test(r.text))).toBe(false);
    expect(records[3]?.fields).toMatchObject({ MESSAGE_ID: SYSTEMD_MESSAGE_ID.restartScheduled, N_RESTARTS: "480", [unitKey]: UNIT });
    const fs = findingsOf(records);
    const loop = only(fs, "systemd_restart_loop");
    expect(loop).toMatchObject({ count: 6, state: "firing", host: "palantir", fields: expect.objectContaining({ unit: "transcription-palantir", counter: "485" }) });
    expect(loop.cadence?.medianMs).toBe(13_000);
    expect(only(fs, "systemd_unit_failed")).toMatchObject({ count: 6, fields: expect.objectContaining({ unit: "transcription-palantir", code: "exited", status: "1", result: "exit-code" }) });
  });

  test("journalctl -o json through analyze: the report names the unit and restart counter 485", async () => {
    const file = join(tmp.path, "analyze.journal");
    await writeJournal(file, germanLoop(6, 480));
    const { stdout } = await run("journalctl", ["--file", file, "-o", "json", "--no-pager"], { maxBuffer: 16 * 1024 * 1024 });
    const json = join(tmp.path, "journal.json");
    await writeFile(json, stdout);
    const result = await runAnalyze([json], { rules: [] }, { now: () => Date.UTC(2025, 11, 27) });
    const incidents = result.incidents.filter((i) => i.findings.some((f) => f.rule === "systemd_restart_loop"));
    expect(incidents).toHaveLength(1);
    const md = renderAnalysis(result, "markdown", { color: false, now: Date.UTC(2025, 11, 27), timeZone: "UTC" }).stdout;
    expect(md).toContain("Restart loop: transcription-palantir (restart counter at 485)");
    expect(md).toContain("systemctl --user status transcription-palantir");
  });

  test("an English journal matching text and MESSAGE_ID counts each restart once", async () => {
    const file = join(tmp.path, "english.journal");
    const english = germanLoop(4, 100).map((e) =>
      e.MESSAGE_ID === SYSTEMD_MESSAGE_ID.restartScheduled ? { ...e, MESSAGE: `${UNIT}: Scheduled restart job, restart counter is at ${e.N_RESTARTS ?? ""}.` } : e,
    );
    await writeJournal(file, english);
    const records = await all(followJournal({ host: new LocalHost(), files: [file], follow: false, startAt: "beginning" }));
    expect(only(findingsOf(records), "systemd_restart_loop")).toMatchObject({ count: 4, fields: expect.objectContaining({ counter: "103" }) });
  });
});
