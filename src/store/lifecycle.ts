// The incident lifecycle as pure functions (open → acknowledged → resolved, reopen, flapping, silences), shared by every store.
import type { Finding } from "../correlate/index.js";
import { compareFindingsBySeverity, type Incident, type IncidentStatus } from "../incidents/index.js";
import { formatIso } from "../time.js";
import { StoreError } from "./errors.js";
import { STORE_VERSION, type AuditInput, type Carry, type HistoryEntry, type Silence, type SilenceMatch, type StoredIncident } from "./records.js";
import type { FlapPolicy, ResolveAfter, UpsertOutcome } from "./store.js";

/** What a lifecycle step decided: the record to write (undefined: nothing changed) and the audit lines to append with it. */
export interface Step<T> {
  readonly write: StoredIncident | undefined;
  readonly audit: readonly AuditInput[];
  readonly value: T;
}

/** History is bounded: the first entry (creation) and the newest ones are kept. */
export const HISTORY_LIMIT = 100;

export function isLive(status: IncidentStatus): boolean {
  return status !== "resolved";
}

export function silenceMatches(match: SilenceMatch, incident: Incident): boolean {
  if (match.fingerprint !== undefined && match.fingerprint !== incident.fingerprint) return false;
  if (match.host !== undefined && match.host !== incident.host) return false;
  if (match.service !== undefined && match.service !== incident.service) return false;
  if (match.rule !== undefined && !incident.findings.some((f) => f.rule === match.rule)) return false;
  return true;
}

/** The active silence (not expired at `now`) that matches, the one expiring last if several do. */
export function findSilence(silences: readonly Silence[], incident: Incident, now: number): Silence | undefined {
  let best: Silence | undefined;
  for (const s of silences) {
    if (s.expiresAt > now && silenceMatches(s.match, incident) && (!best || s.expiresAt > best.expiresAt)) best = s;
  }
  return best;
}

const seen = (t: number | undefined) => t ?? Number.NEGATIVE_INFINITY;
const totalCount = (i: Incident) => i.findings.reduce((n, f) => n + f.count, 0);

// A snapshot supersedes the stored finding of the same group when it reaches later (or, at the same time, counts more):
// replaying old lines after a restart then changes nothing, and growing snapshots replace their predecessors.
function supersedes(a: Finding, b: Finding): boolean {
  if (seen(a.lastSeen) !== seen(b.lastSeen)) return seen(a.lastSeen) > seen(b.lastSeen);
  if (a.count !== b.count) return a.count > b.count;
  return a.state === "firing" && b.state !== "firing";
}

const latest = (a: number | undefined, b: number | undefined) => (a === undefined ? b : b === undefined ? a : Math.max(a, b));
const earliest = (a: number | undefined, b: number | undefined) => (a === undefined ? b : b === undefined ? a : Math.min(a, b));

/**
 * `base` holding `findings` in analyze's order (most severe, then earliest, then rule and group: never the order
 * commits happened to bring them in), over the span of both incidents.
 */
function spanning(base: Incident, other: Incident, findings: Finding[]): Incident {
  findings.sort(compareFindingsBySeverity);
  return { ...base, findings, firstSeen: earliest(base.firstSeen, other.firstSeen), lastSeen: latest(base.lastSeen, other.lastSeen) };
}

/** Runs whose counts a finding's carry keeps apart; older ones are folded into `carried` (their counts are final). */
export const CARRY_RUNS = 8;

/**
 * Run-aware merge of one finding (CommitBatch.run): a run's counts start from zero, so the stored count is what was
 * there before run-aware carry (`carried`) plus the latest count of every run (`runs`). Each run's latest snapshot is
 * its truth, also when its count drops or it turns from firing to observed (a recovery, an absence rule's misses
 * reset); runs committing the same finding at once (two watchers reading two sources of it) each add their own.
 * The state is the latest snapshot's.
 */
function mergeRunFinding(old: Finding | undefined, c: Carry | undefined, f: Finding, run: string): { finding: Finding; carry: Carry } {
  if (!old) return { finding: f, carry: { carried: 0, since: f.firstSeen, windowStart: f.firstSeen, run, runs: { [run]: f.count } } };
  // Before runs were kept apart a carry named one run, whose count was the stored count above `carried`; without a
  // run-aware carry at all (plain upserts, time-based carry) everything stored is the base.
  const kept = c?.runs ?? (c?.run !== undefined ? { [c.run]: Math.max(0, old.count - c.carried) } : undefined);
  let carried = c !== undefined && kept !== undefined ? c.carried : old.count;
  const runs: Record<string, number> = { ...(kept ?? {}) };
  delete runs[run];
  runs[run] = f.count;
  // Oldest first (insertion order): a run that stopped committing long ago is folded into the base.
  const order = Object.keys(runs);
  for (const r of order.slice(0, Math.max(0, order.length - CARRY_RUNS))) {
    carried += runs[r] ?? 0;
    delete runs[r];
  }
  // A run's lines from several sources arrive out of time order: a later snapshot may reach back earlier than the first.
  const since = earliest(c !== undefined && kept !== undefined ? c.since : old.firstSeen, f.firstSeen);
  const count = carried + Object.values(runs).reduce((n, k) => n + k, 0);
  const carry: Carry = { carried, since, windowStart: c?.run === run ? c.windowStart : f.firstSeen, run, runs };
  return { finding: { ...f, count, firstSeen: since, lastSeen: latest(old.lastSeen, f.lastSeen) }, carry };
}

/**
 * Merges a new snapshot into the stored one, finding by finding (keyed by groupKey). With `run` (the correlator run
 * the snapshot comes from), see mergeRunFinding. Without it, restarts are inferred from times: a finding whose window
 * starts after everything stored for its group is a correlator that started over (a restart resuming from a cursor):
 * its events add to the stored count, and `carry` remembers the base so the growing snapshots of that window add too.
 */
export function mergeSnapshots(
  prev: Incident,
  carry: Readonly<Record<string, Carry>>,
  snap: Incident,
  run?: string,
): { incident: Incident; carry: Record<string, Carry> } {
  const byKey = new Map<string, Finding>(prev.findings.map((f) => [f.groupKey, f]));
  const nextCarry: Record<string, Carry> = { ...carry };
  for (const f of snap.findings) {
    const old = byKey.get(f.groupKey);
    const c = nextCarry[f.groupKey];
    if (run !== undefined) {
      const m = mergeRunFinding(old, c, f, run);
      byKey.set(f.groupKey, m.finding);
      nextCarry[f.groupKey] = m.carry;
    } else if (!old) {
      byKey.set(f.groupKey, f);
    } else if (c && f.firstSeen === c.windowStart) {
      const candidate = { ...f, count: c.carried + f.count, firstSeen: c.since ?? f.firstSeen };
      if (supersedes(candidate, old)) byKey.set(f.groupKey, candidate);
    } else if (seen(f.firstSeen) > seen(old.lastSeen)) {
      nextCarry[f.groupKey] = { carried: old.count, since: old.firstSeen, windowStart: f.firstSeen, run: undefined, runs: undefined };
      byKey.set(f.groupKey, { ...f, count: old.count + f.count, firstSeen: old.firstSeen ?? f.firstSeen });
    } else if (supersedes(f, old)) {
      byKey.set(f.groupKey, f);
    }
  }
  return { incident: spanning(snap, prev, [...byKey.values()]), carry: nextCarry };
}

function liveStatus(snap: Incident): IncidentStatus {
  return snap.status === "open" || snap.findings.some((f) => f.state === "firing") ? "open" : "observed";
}

function withHistory(history: readonly HistoryEntry[], entry: HistoryEntry): HistoryEntry[] {
  const all = [...history, entry];
  if (all.length <= HISTORY_LIMIT) return all;
  const first = all[0];
  return first ? [first, ...all.slice(all.length - (HISTORY_LIMIT - 1))] : all;
}

/** Returns `s` with `status` set in both places (the record and its incident), so readers never see them disagree. */
function withStatus(s: Omit<StoredIncident, "status">, status: IncidentStatus): StoredIncident {
  return { ...s, status, incident: { ...s.incident, status } };
}

export interface UpsertContext {
  readonly now: number;
  readonly flap: FlapPolicy;
  readonly silences: readonly Silence[];
  /** The correlator run the snapshot comes from (CommitBatch.run); undefined: infer restarts from times. */
  readonly run?: string | undefined;
}

/** Decides what a pipeline snapshot does to the stored incident of its fingerprint. */
export function applySnapshot(prev: StoredIncident | undefined, snap: Incident, ctx: UpsertContext): Step<{ outcome: UpsertOutcome; silenceId: string | undefined }> {
  const { now } = ctx;
  const silence = findSilence(ctx.silences, snap, now);
  const quiet = (o: UpsertOutcome): UpsertOutcome => (silence && o !== "unchanged" ? "suppressed" : o);
  const silenceId = silence?.id;
  if (!prev) {
    const note = silence ? `silenced by ${silence.id} until ${formatIso(silence.expiresAt)}` : undefined;
    const created = withStatus(
      {
        v: STORE_VERSION,
        incident: snap,
        createdAt: now,
        updatedAt: now,
        lastActivityAt: now,
        acknowledged: undefined,
        resolved: undefined,
        reopenTimes: [],
        reopenCount: 0,
        flapping: false,
        silencedBy: silenceId,
        slack: undefined,
        history: [{ at: now, event: "created", by: "firewatch", note }],
        // A run counts from zero: its later snapshots of these findings add to a base of 0.
        carry: ctx.run === undefined ? {} : mergeSnapshots({ ...snap, findings: [] }, {}, snap, ctx.run).carry,
        probes: [],
      },
      liveStatus(snap),
    );
    const audit: AuditInput = { actor: "firewatch", action: "incident.created", target: snap.id, details: { fingerprint: snap.fingerprint, silencedBy: silenceId ?? null }, at: now };
    return { write: created, audit: [audit], value: { outcome: quiet("created"), silenceId } };
  }
  const { incident: merged, carry } = mergeSnapshots(prev.incident, prev.carry, snap, ctx.run);
  const activity = seen(merged.lastSeen) > seen(prev.incident.lastSeen) || totalCount(merged) > totalCount(prev.incident);
  const unchanged = { write: undefined, audit: [], value: { outcome: "unchanged" as const, silenceId } };

  if (prev.status === "resolved") {
    // Lines older than the resolution (a replay after restart) do not reopen it; only new activity does.
    if (!activity) return unchanged;
    const reopenTimes = [...prev.reopenTimes.filter((t) => t > now - ctx.flap.windowMs), now];
    const flapping = reopenTimes.length > ctx.flap.maxReopens;
    const by = prev.resolved ? `${prev.resolved.mergedInto !== undefined ? `merging into ${prev.resolved.mergedInto}` : prev.resolved.auto ? "auto-resolve" : prev.resolved.by} at ${formatIso(prev.resolved.at)}` : "unknown";
    const note = `fired again (last seen ${merged.lastSeen !== undefined ? formatIso(merged.lastSeen) : "now"}) after being resolved by ${by}`;
    let history = withHistory(prev.history, { at: now, event: "reopened", by: "firewatch", note });
    if (flapping && !prev.flapping) {
      const flapNote = `reopened ${reopenTimes.length} times within ${Math.round(ctx.flap.windowMs / 60_000)} min; auto-resolve held`;
      history = withHistory(history, { at: now, event: "flapping", by: "firewatch", note: flapNote });
    }
    const next = withStatus(
      { ...prev, incident: merged, carry, updatedAt: now, lastActivityAt: now, acknowledged: undefined, resolved: undefined, reopenTimes, reopenCount: prev.reopenCount + 1, flapping, silencedBy: silenceId, history },
      liveStatus(merged),
    );
    const audit: AuditInput = { actor: "firewatch", action: "incident.reopened", target: snap.id, details: { note, flapping }, at: now };
    return { write: next, audit: [audit], value: { outcome: quiet("reopened"), silenceId } };
  }

  const before = JSON.stringify(prev.incident.findings);
  if (!activity && before === JSON.stringify(merged.findings) && prev.incident.title === merged.title) return unchanged;
  const status: IncidentStatus =
    prev.status === "acknowledged" ? "acknowledged" : prev.status === "open" || liveStatus(merged) === "open" ? "open" : "observed";
  const next = withStatus(
    { ...prev, incident: merged, carry, updatedAt: now, lastActivityAt: activity ? now : prev.lastActivityAt, silencedBy: silenceId },
    status,
  );
  return { write: next, audit: [], value: { outcome: quiet("updated"), silenceId } };
}

export function applyAcknowledge(prev: StoredIncident, by: string, note: string | undefined, now: number): Step<StoredIncident> {
  if (prev.status === "resolved") {
    throw new StoreError("invalid", `incident ${prev.incident.id} is resolved; nothing to acknowledge`, {
      hint: "it reopens by itself if it fires again",
    });
  }
  if (prev.status === "acknowledged") return { write: undefined, audit: [], value: prev };
  const next = withStatus(
    { ...prev, updatedAt: now, acknowledged: { by, at: now }, history: withHistory(prev.history, { at: now, event: "acknowledged", by, note }) },
    "acknowledged",
  );
  return { write: next, audit: [{ actor: by, action: "incident.acknowledged", target: prev.incident.id, details: { note: note ?? null }, at: now }], value: next };
}

export function applyResolve(prev: StoredIncident, by: string, note: string | undefined, now: number, auto = false): Step<StoredIncident> {
  if (prev.status === "resolved") return { write: undefined, audit: [], value: prev };
  const next = withStatus(
    {
      ...prev,
      updatedAt: now,
      resolved: { by, at: now, auto, mergedInto: undefined },
      // After a hold-down long enough to auto-resolve, the old reopens are outside the window: no longer flapping.
      flapping: auto ? false : prev.flapping,
      history: withHistory(prev.history, { at: now, event: auto ? "auto_resolved" : "resolved", by, note }),
    },
    "resolved",
  );
  const action = auto ? "incident.auto_resolved" : "incident.resolved";
  return { write: next, audit: [{ actor: by, action, target: prev.incident.id, details: { note: note ?? null }, at: now }], value: next };
}

/**
 * `from` is part of the same failure as `into`: a finding joined their findings after both were stored (issue 14: the
 * Docker half and the journald half of one port conflict, before the port finding tied them). Its findings, with the
 * counts they carry from earlier runs, move into `into`, so the snapshot that joined them counts on from there; `from`
 * is resolved as merged, pointing at `into`. Findings `into` already holds keep its own. Undefined when `from` is not live.
 */
export function applyMerge(into: StoredIncident, from: StoredIncident, now: number): { into: StoredIncident; from: StoredIncident; audit: AuditInput[] } | undefined {
  if (!isLive(from.status) || from.incident.fingerprint === into.incident.fingerprint) return undefined;
  const held = new Set(into.incident.findings.map((f) => f.groupKey));
  const moved = from.incident.findings.filter((f) => !held.has(f.groupKey));
  const carry: Record<string, Carry> = { ...into.carry };
  for (const f of moved) {
    const c = from.carry[f.groupKey];
    if (c !== undefined) carry[f.groupKey] = c;
  }
  const merged: StoredIncident = {
    ...into,
    incident: spanning(into.incident, from.incident, [...into.incident.findings, ...moved]),
    carry,
    updatedAt: now,
    lastActivityAt: Math.max(into.lastActivityAt, from.lastActivityAt),
    history: withHistory(into.history, { at: now, event: "merged", by: "firewatch", note: `took in ${from.incident.id} (${moved.length} finding${moved.length === 1 ? "" : "s"}): the same failure` }),
  };
  const note = `merged into ${into.incident.id}: the same failure`;
  const closed = withStatus(
    { ...from, updatedAt: now, resolved: { by: "firewatch", at: now, auto: false, mergedInto: into.incident.id }, history: withHistory(from.history, { at: now, event: "merged", by: "firewatch", note }) },
    "resolved",
  );
  const audit: AuditInput = { actor: "firewatch", action: "incident.merged", target: from.incident.id, details: { into: into.incident.id, findings: moved.length }, at: now };
  return { into: merged, from: closed, audit: [audit] };
}

/**
 * A silence was added that matches this live incident: it is marked silenced now (not only at its next snapshot), so
 * its post and `incidents show` say so at once. Nothing changes when it is resolved or the same silence is already on it.
 */
export function applySilenced(prev: StoredIncident, silence: Silence, now: number): Step<StoredIncident | undefined> {
  if (!isLive(prev.status) || prev.silencedBy === silence.id || !silenceMatches(silence.match, prev.incident)) return { write: undefined, audit: [], value: undefined };
  const note = `silenced by ${silence.id} until ${formatIso(silence.expiresAt)}`;
  const next = { ...prev, updatedAt: now, silencedBy: silence.id, history: withHistory(prev.history, { at: now, event: "silenced", by: silence.createdBy, note }) };
  return { write: next, audit: [], value: next };
}

/** The silence on this incident was removed: it is no longer marked silenced (a later snapshot may find another). */
export function applyUnsilenced(prev: StoredIncident, silenceId: string, now: number): Step<StoredIncident | undefined> {
  if (prev.silencedBy !== silenceId) return { write: undefined, audit: [], value: undefined };
  const next = { ...prev, updatedAt: now, silencedBy: undefined };
  return { write: next, audit: [], value: next };
}

/** The resolve that this write makes (a live incident turning resolved), or undefined: its attached records close with it. */
export function resolvesNow(prev: StoredIncident | undefined, write: StoredIncident | undefined): StoredIncident | undefined {
  return prev !== undefined && isLive(prev.status) && write?.status === "resolved" ? write : undefined;
}

/** Auto-resolves a live incident quiet for its resolve_after (or, when flapping, for the flap window if longer). */
export function applyAutoResolve(prev: StoredIncident, resolveAfter: ResolveAfter, flap: FlapPolicy, now: number): Step<StoredIncident | undefined> {
  const quietMs = isLive(prev.status) ? resolveAfter(prev) : undefined;
  if (quietMs === undefined) return { write: undefined, audit: [], value: undefined };
  const hold = prev.flapping ? Math.max(quietMs, flap.windowMs) : quietMs;
  if (now - prev.lastActivityAt < hold) return { write: undefined, audit: [], value: undefined };
  const note = `quiet for ${Math.round((now - prev.lastActivityAt) / 1000)} s (resolve after ${Math.round(hold / 1000)} s)`;
  const step = applyResolve(prev, "firewatch", note, now, true);
  return { ...step, value: step.write };
}

/**
 * A ResolveAfter from rules' resolve_after (ms by rule id): the longest among the incident's rules that set one,
 * so an incident never resolves before every one of its rules would; undefined when none sets it.
 */
export function resolveAfterByRule(byRule: ReadonlyMap<string, number>): ResolveAfter {
  return (s) => {
    let ms: number | undefined;
    for (const f of s.incident.findings) {
      const r = byRule.get(f.rule);
      if (r !== undefined) ms = Math.max(ms ?? 0, r);
    }
    return ms;
  };
}
