// Where incident changes go: one JSON line each on stdout, and each incident's markdown report as a file.
import { once } from "node:events";
import { join } from "node:path";
import type { Writable } from "node:stream";
import type { Logger } from "pino";
import { renderMarkdown } from "../report/index.js";
import type { Rule } from "../rules/index.js";
import { ensureSafeDir, writeFileAtomic, type StoredIncident } from "../store/index.js";
import type { Clock } from "../time.js";
import type { IncidentChange } from "./pipeline.js";

export interface OutputsDeps {
  readonly stdout: Writable;
  /** One JSON line per change on stdout. */
  readonly jsonLines: boolean;
  /** Each changed incident's report is (re)written here as <id>.md. */
  readonly reportDir: string | undefined;
  readonly rules: ReadonlyMap<string, Rule>;
  readonly clock: Clock;
  readonly log: Logger;
}

/** The JSON line for one change: what a script tailing `watch` needs to act, not the whole incident. */
export function changeLine(change: IncidentChange): string {
  const { incident: stored, outcome } = change;
  const i = stored.incident;
  return JSON.stringify({
    type: "incident",
    outcome,
    id: i.id,
    fingerprint: i.fingerprint,
    title: i.title,
    severity: i.severity,
    status: stored.status,
    host: i.host ?? null,
    service: i.service ?? null,
    firstSeen: i.firstSeen === undefined ? null : new Date(i.firstSeen).toISOString(),
    lastSeen: i.lastSeen === undefined ? null : new Date(i.lastSeen).toISOString(),
    count: i.findings.reduce((n, f) => n + f.count, 0),
    findings: i.findings.map((f) => ({ rule: f.rule, state: f.state, count: f.count, fields: f.fields })),
  });
}

export interface Outputs {
  /** JSON lines and reports for these changes, in order; waits for a slow stdout reader. */
  emit(changes: readonly IncidentChange[]): Promise<void>;
  /** Writes one incident's report again (its probe results came in). */
  report(stored: StoredIncident): Promise<void>;
}

export function createOutputs(deps: OutputsDeps): Outputs {
  let dirReady: Promise<unknown> | undefined;
  const writeLine = async (line: string) => {
    // A slow reader of stdout holds the pipeline here instead of letting lines pile up in memory.
    if (!deps.stdout.write(`${line}\n`)) await once(deps.stdout, "drain");
  };
  const writeReport = async (dir: string, stored: StoredIncident) => {
    // Refused when another local user owns it, can write it, or made it a symlink (issue 13).
    dirReady ??= ensureSafeDir(dir, { mode: 0o755, what: "the report directory" });
    await dirReady;
    const id = stored.incident.id;
    const text = renderMarkdown(stored.incident, deps.rules, { now: deps.clock.now(), probes: stored.probes });
    // Readers (a web server, an operator's editor) see the old report or the new one, never half of one.
    await writeFileAtomic(join(dir, `${id}.md`), text, 0o644);
  };
  const tryReport = async (stored: StoredIncident) => {
    if (deps.reportDir === undefined) return;
    try {
      await writeReport(deps.reportDir, stored);
    } catch (e) {
      deps.log.error({ errorType: "report_write", incidentId: stored.incident.id, err: e }, "Could not write the incident report; it is written again at the next change.");
    }
  };
  return {
    async emit(changes) {
      for (const c of changes) {
        if (deps.jsonLines) await writeLine(changeLine(c));
        if (c.outcome !== "suppressed") await tryReport(c.incident);
      }
    },
    report: tryReport,
  };
}
