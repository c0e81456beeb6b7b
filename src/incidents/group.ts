// Groups findings into incidents: one failing thing on one host (or one declared cause), close in time.
import type { Finding } from "../correlate/index.js";
import { fillTemplate } from "../correlate/index.js";
import { FirewatchError } from "../errors.js";
import type { Rule, Severity } from "../rules/schema.js";
import { ruleSeverity, ruleTitle } from "../rules/index.js";
import { fingerprintIncident, incidentId } from "./fingerprint.js";
import { groupByIdentity } from "./identity.js";
import type { Incident } from "./incident.js";
import { maxSeverity, severityRank } from "./severity.js";

/** Findings of one host whose spans come closer than this belong to the same incident. */
export const DEFAULT_INCIDENT_GAP_MS = 30 * 60_000;

export interface GroupOptions {
  /** Largest gap between two findings' [firstSeen, lastSeen] spans that still joins them (ms). */
  readonly gapMs?: number;
}

/**
 * One incident per failing thing (issue 14): findings join when they are on the same host and about the same
 * subject (a unit, a container, a service: see subjectOf), or when their rules declare a shared cause
 * (`same_cause`: the same port held on the host, whichever unit, container or log reported it). Within such a
 * group, findings whose [firstSeen, lastSeen] spans overlap or lie within `gapMs` form one incident (chained: A
 * near B and B near C puts all three together). Different hosts never merge; an unknown host is a host of its
 * own. A finding without times (plain-text logs) joins its group's most recent incident, or forms one with the
 * group's other untimed findings. Output is deterministic: incidents by firstSeen (untimed last), then fingerprint.
 */
export function groupIntoIncidents(findings: readonly Finding[], rules: readonly Rule[], opts: GroupOptions = {}): Incident[] {
  const gapMs = opts.gapMs ?? DEFAULT_INCIDENT_GAP_MS;
  if (!Number.isFinite(gapMs) || gapMs < 0) throw new FirewatchError("usage", `gapMs must be a non-negative number of milliseconds, got ${gapMs}`);
  const byId = new Map(rules.map((r) => [r.id, r]));

  const incidents: Incident[] = [];
  for (const group of groupByIdentity(findings, byId)) {
    const timed = group.filter((f) => f.firstSeen !== undefined);
    const untimed = group.filter((f) => f.firstSeen === undefined);
    const clusters = clusterByTime(timed, gapMs);
    const last = clusters[clusters.length - 1];
    if (untimed.length > 0) {
      if (last === undefined) clusters.push(untimed);
      else last.push(...untimed);
    }
    for (const cluster of clusters) incidents.push(toIncident(cluster, byId));
  }
  return incidents.sort((a, b) => {
    const ta = a.firstSeen ?? Infinity;
    const tb = b.firstSeen ?? Infinity;
    if (ta !== tb) return ta < tb ? -1 : 1;
    return a.fingerprint < b.fingerprint ? -1 : a.fingerprint > b.fingerprint ? 1 : 0;
  });
}

/** Sweep over findings sorted by firstSeen: a finding starting within gap of the cluster's end joins it. */
function clusterByTime(timed: readonly Finding[], gapMs: number): Finding[][] {
  const sorted = [...timed].sort((a, b) => (a.firstSeen ?? 0) - (b.firstSeen ?? 0) || tieBreak(a, b));
  const clusters: Finding[][] = [];
  let current: Finding[] = [];
  let end = -Infinity;
  for (const f of sorted) {
    const start = f.firstSeen ?? 0;
    if (current.length > 0 && start > end + gapMs) {
      clusters.push(current);
      current = [];
      end = -Infinity;
    }
    current.push(f);
    end = Math.max(end, f.lastSeen ?? start);
  }
  if (current.length > 0) clusters.push(current);
  return clusters;
}

/** Most severe first, then first seen (untimed last), then rule and group for a stable order. */
export function compareFindingsBySeverity(a: Finding, b: Finding): number {
  const bySeverity = severityRank(b.severity) - severityRank(a.severity);
  if (bySeverity !== 0) return bySeverity;
  const ta = a.firstSeen ?? Infinity;
  const tb = b.firstSeen ?? Infinity;
  if (ta !== tb) return ta < tb ? -1 : 1;
  return tieBreak(a, b);
}

function tieBreak(a: Finding, b: Finding): number {
  if (a.rule !== b.rule) return a.rule < b.rule ? -1 : 1;
  return a.groupKey < b.groupKey ? -1 : a.groupKey > b.groupKey ? 1 : 0;
}

/**
 * Two anchors. The most severe firing finding (or, when nothing fires, the most severe one) gives the
 * incident its title, host and service (when it names none, the first finding in order that does). The fingerprint comes from the first finding in the incident's
 * order (most severe, then earliest) whether or not it fires: severity is fixed per rule, so a finding
 * crossing its threshold (stale jobs fire first, the critical port conflict a minute later) does not change
 * the incident's identity, which the store keys on. Only a more severe (or equally severe, earlier)
 * finding joining the incident moves it.
 */
function toIncident(cluster: readonly Finding[], rules: ReadonlyMap<string, Rule>): Incident {
  const sorted = [...cluster].sort(compareFindingsBySeverity);
  const first = sorted[0];
  const anchor = sorted.find((f) => f.state === "firing") ?? first;
  if (anchor === undefined || first === undefined) throw new FirewatchError("internal", "an incident was built from no findings");
  // The severity fits the evidence: an observed finding (one bind failure, not a loop) says its rule's observed severity.
  const severityOf = (f: Finding): Severity => {
    const rule = rules.get(f.rule);
    return rule === undefined ? f.severity : ruleSeverity(rule, f.state);
  };
  let severity: Severity = severityOf(anchor);
  let firstSeen: number | undefined;
  let lastSeen: number | undefined;
  for (const f of sorted) {
    severity = maxSeverity(severity, severityOf(f));
    if (f.firstSeen !== undefined && (firstSeen === undefined || f.firstSeen < firstSeen)) firstSeen = f.firstSeen;
    if (f.lastSeen !== undefined && (lastSeen === undefined || f.lastSeen > lastSeen)) lastSeen = f.lastSeen;
  }
  const fingerprint = fingerprintIncident({ host: first.host, service: first.service, rule: first.rule, groupKey: first.groupKey });
  return {
    id: incidentId(fingerprint),
    fingerprint,
    title: fillTemplate(ruleTitle(rules.get(anchor.rule) ?? { id: anchor.rule }, anchor.state), titleValues(anchor, sorted)),
    severity,
    status: sorted.some((f) => f.state === "firing") ? "open" : "observed",
    // A panic line names no container; the restart loop beside it does: borrow the first one known.
    host: anchor.host ?? sorted.find((f) => f.host !== undefined)?.host,
    service: anchor.service ?? sorted.find((f) => f.service !== undefined)?.service,
    firstSeen,
    lastSeen,
    findings: sorted,
  };
}

/**
 * What a title may name: the anchor's fields, and its rule, host, service and count when the fields do not
 * say otherwise ("Stale job queue: {count} failed jobs"). Times are left to the report, which knows the zone.
 * Other firing findings of the anchor's rule in the same incident speak too: seed 004's four stuck streams
 * make "Segment rotation stuck for stream 345, 348, 404, 413", and their counts add up.
 */
function titleValues(anchor: Finding, cluster: readonly Finding[]): Record<string, string> {
  const siblings = [anchor, ...cluster.filter((f) => f !== anchor && f.rule === anchor.rule && f.state === anchor.state)];
  const values: Record<string, string> = Object.create(null);
  values.rule = anchor.rule;
  if (anchor.host !== undefined) values.host = anchor.host;
  if (anchor.service !== undefined) values.service = anchor.service;
  values.count = String(siblings.reduce((n, f) => n + f.count, 0));
  const seen = new Map<string, string[]>();
  for (const f of siblings) {
    for (const [k, v] of Object.entries(f.fields)) {
      if (v === "") continue;
      const list = seen.get(k) ?? [];
      for (const part of v.split(", ")) if (!list.includes(part)) list.push(part);
      seen.set(k, list);
    }
  }
  for (const [k, list] of seen) values[k] = list.join(", ");
  return values;
}
