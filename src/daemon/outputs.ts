// Where incident changes go: one JSON line each on stdout, and each incident's markdown report as a file.
import { once } from "node:events";
import { join } from "node:path";
import type { Writable } from "node:stream";
import type { Logger } from "pino";
import { renderMarkdown } from "../report/index.js";
import type { Rule } from "../rules/index.js";
import { ensureSafeDir, writeFileAtomic, type AuditEntry, type StoredIncident } from "../store/index.js";
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
  /** The incident's audit entries, for the report's Remediation section and figures (absent: none). */
  readonly audit?: (incidentId: string) => Promise<readonly AuditEntry[]>;
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
  // Temporary names are random per write (writeFileAtomic; two writes of one incident used to share
  // `.<id>.md.tmp-<pid>`, so one renamed the other's file away and failed with ENOENT), and writes of one incident
  // run one after the other, so the newest snapshot is the one left on disk.
  const chains = new Map<string, Promise<void>>();
  /** The newest snapshot waiting for its incident's write in flight: a burst of changes writes the report once more, not once each. */
  const newest = new Map<string, StoredIncident>();
  const writeLine = async (line: string) => {
    // A slow reader of stdout holds the pipeline here instead of letting lines pile up in memory.
    if (!deps.stdout.write(`${line}\n`)) await once(deps.stdout, "drain");
  };
  const writeReport = async (dir: string, stored: StoredIncident) => {
    // Refused when another local user owns it, can write it, or made it a symlink (issue 13).
    dirReady ??= ensureSafeDir(dir, { mode: 0o755, what: "the report directory" });
    await dirReady;
    const id = stored.incident.id;
    const audit = deps.audit === undefined ? [] : await deps.audit(id);
    const text = renderMarkdown(stored.incident, deps.rules, { now: deps.clock.now(), probes: stored.probes, lifecycle: stored, audit });
    // Readers (a web server, an operator's editor) see the old report or the new one, never half of one.
    await writeFileAtomic(join(dir, `${id}.md`), text, 0o644);
  };
  const tryReport = (stored: StoredIncident): Promise<void> => {
    const dir = deps.reportDir;
    if (dir === undefined) return Promise.resolve();
    const id = stored.incident.id;
    const queued = newest.has(id);
    newest.set(id, stored);
    if (queued) return chains.get(id) ?? Promise.resolve();
    const run = async () => {
      const s = newest.get(id);
      newest.delete(id);
      if (s === undefined) return;
      try {
        await writeReport(dir, s);
      } catch (e) {
        deps.log.error({ errorType: "report_write", incidentId: id, err: e }, "Could not write the incident report; it is written again at the next change.");
      }
    };
    const next = (chains.get(id) ?? Promise.resolve()).then(run);
    chains.set(id, next);
    void next.then(() => {
      if (chains.get(id) === next) chains.delete(id);
    });
    return next;
  };
  return {
    async emit(changes) {
      for (const c of changes) {
        // The report first: a script that sees the line can read the report it announces.
        if (c.outcome !== "suppressed") await tryReport(c.incident);
        if (deps.jsonLines) await writeLine(changeLine(c));
      }
    },
    report: tryReport,
  };
}
