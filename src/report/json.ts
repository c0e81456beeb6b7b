// renderJson: incidents as the stable JSON contract of json-schema.ts (times ISO 8601 UTC, null when unknown).
import { formatIso } from "../time.js";
import type { Finding } from "../correlate/index.js";
import type { Incident } from "../incidents/index.js";
import { describeCadence } from "./clock-format.js";
import type { StoredIncident, StoredProbe } from "../store/index.js";
import type { FindingJson, IncidentJson, ProbeJson, ReportJson, StoreJson } from "./json-schema.js";

const iso = (ms: number | undefined): string | null => (ms === undefined ? null : formatIso(ms));

function findingJson(f: Finding): FindingJson {
  return {
    rule: f.rule,
    state: f.state,
    count: f.count,
    firstSeen: iso(f.firstSeen),
    lastSeen: iso(f.lastSeen),
    fields: { ...f.fields },
    evidence: f.evidence.map((e) => ({ file: e.ref.file, line: e.ref.line, endLine: e.ref.endLine, time: iso(e.time), text: e.text })),
    severity: f.severity,
    host: f.host ?? null,
    service: f.service ?? null,
    groupKey: f.groupKey,
    cadence: f.cadence ? { ...f.cadence, text: describeCadence(f.cadence) } : null,
    table: f.table ? { title: f.table.title, columns: [...f.table.columns], rows: f.table.rows.map((r) => [...r]), omitted: f.table.omitted } : null,
    recoveredAt: iso(f.recoveredAt),
  };
}

function probeJson(p: StoredProbe): ProbeJson {
  return { probe: p.probe, host: p.host, params: { ...p.params }, at: iso(p.at), ok: p.ok, summary: p.summary, data: p.data ?? null };
}

export interface JsonOptions {
  /** An incident's stored probe results (by incident); when given, each incident gets a `probes` list. */
  readonly probes?: (incident: Incident) => readonly StoredProbe[] | undefined;
  /** An incident's store record (by incident); when given, each incident gets a `store` object. */
  readonly stored?: (incident: Incident) => StoredIncident | undefined;
}

function storeJson(s: StoredIncident): StoreJson {
  return {
    createdAt: iso(s.createdAt),
    updatedAt: iso(s.updatedAt),
    lastActivityAt: iso(s.lastActivityAt),
    acknowledged: s.acknowledged ? { by: s.acknowledged.by, at: iso(s.acknowledged.at) } : null,
    resolved: s.resolved ? { by: s.resolved.by, at: iso(s.resolved.at), auto: s.resolved.auto, mergedInto: s.resolved.mergedInto ?? null } : null,
    reopenCount: s.reopenCount,
    flapping: s.flapping,
    silencedBy: s.silencedBy ?? null,
    slack: s.slack ? { channel: s.slack.channel, ts: s.slack.ts } : null,
    history: s.history.map((h) => ({ at: iso(h.at), event: h.event, by: h.by, note: h.note ?? null })),
  };
}

/** The JSON object for incidents, keys in contract order (before serialising). */
export function toReportJson(incidents: readonly Incident[], opts: JsonOptions = {}): ReportJson {
  return {
    schemaVersion: 1,
    incidents: incidents.map(
      (i): IncidentJson => ({
        id: i.id,
        fingerprint: i.fingerprint,
        title: i.title,
        severity: i.severity,
        status: i.status,
        host: i.host ?? null,
        service: i.service ?? null,
        firstSeen: iso(i.firstSeen),
        lastSeen: iso(i.lastSeen),
        findings: i.findings.map(findingJson),
        ...(opts.probes === undefined ? {} : { probes: (opts.probes(i) ?? []).map(probeJson) }),
        ...((s) => (s === undefined ? {} : { store: storeJson(s) }))(opts.stored?.(i)),
      }),
    ),
  };
}

/** Stored incidents in the same contract as `analyze --format json`, with their probes and the store's record under `store`. */
export function renderStoredJson(list: readonly StoredIncident[]): string {
  const byId = new Map(list.map((s) => [s.incident.id, s]));
  return renderJson(list.map((s) => s.incident), { probes: (i) => byId.get(i.id)?.probes, stored: (i) => byId.get(i.id) });
}

/** Serialises incidents as the documented JSON (2-space indent, trailing newline): stable keys, validated by ReportJsonSchema. */
export function renderJson(incidents: readonly Incident[], opts: JsonOptions = {}): string {
  return `${JSON.stringify(toReportJson(incidents, opts), null, 2)}\n`;
}
