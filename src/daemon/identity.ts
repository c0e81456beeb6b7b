// Which incident a live snapshot is: the identity the store already has for its findings, and whether it changed.
import { incidentId, type Incident } from "../incidents/index.js";
import type { StoredIncident } from "../store/index.js";

/**
 * What makes a snapshot worth sending: everything a finding shows (fields, evidence, cadence, table) moves only with
 * a new signal, which moves its count or lastSeen; a `clears` line moves recoveredAt. Cheaper than the whole JSON,
 * which a commit would otherwise build for every incident the correlator holds.
 */
export function changeKey(i: Incident): string {
  let key = `${i.title}\u0000${i.status}`;
  for (const f of i.findings) key += `\u0000${f.groupKey}|${f.state}|${f.count}|${f.lastSeen ?? ""}|${f.recoveredAt ?? ""}`;
  return key;
}

export interface IncidentIdentity {
  /** The snapshot under the identity of the live stored incident owning one of its findings (the most severe), else as is. */
  adopt(i: Incident): Incident;
  /**
   * The other live stored incidents owning one of the (adopted) snapshot's finding groups: a finding joined them to it
   * after they were stored apart, so the commit merges them into it (CommitBatch.merges).
   */
  absorbs(i: Incident): string[];
  /** The store holds this incident now: its finding groups are its own (a resolved one gives them up). */
  stored(s: StoredIncident): void;
}

/**
 * Finding group → the live stored incident that holds it. An incident's fingerprint comes from its first finding in
 * this run's correlator; after a restart (or when a more severe finding joins) that can be another finding than the
 * one the stored incident was keyed on, which would file the same trouble under a second incident (and Slack post).
 */
export function createIncidentIdentity(live: readonly StoredIncident[]): IncidentIdentity {
  const owner = new Map<string, string>();
  const stored = (s: StoredIncident) => {
    const fp = s.incident.fingerprint;
    for (const f of s.incident.findings) {
      if (s.status !== "resolved") owner.set(f.groupKey, fp);
      else if (owner.get(f.groupKey) === fp) owner.delete(f.groupKey);
    }
  };
  for (const s of live) stored(s);
  return {
    stored,
    adopt(i) {
      // Findings are most severe first: the most severe one already owned decides.
      for (const f of i.findings) {
        const fp = owner.get(f.groupKey);
        if (fp !== undefined) return fp === i.fingerprint ? i : { ...i, fingerprint: fp, id: incidentId(fp) };
      }
      return i;
    },
    absorbs(i) {
      const others = new Set<string>();
      for (const f of i.findings) {
        const fp = owner.get(f.groupKey);
        if (fp !== undefined && fp !== i.fingerprint) others.add(fp);
      }
      return [...others];
    },
  };
}
