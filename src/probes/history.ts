// Probe history: new results replace the same question's older answer at the top, and the older answers that said
// something else stay below, with their time (issue 14: after the fix, the rogue PID that justified the kill was gone).
import type { StoredProbe } from "../store/index.js";

/** Results kept per incident, newest questions first; the oldest earlier answers go first when it is full. */
export const PROBE_HISTORY_LIMIT = 40;

/** The same question: probe, host and params (key order ignored). */
export function probeQuestion(p: Pick<StoredProbe, "probe" | "host" | "params">): string {
  return JSON.stringify([p.probe, p.host, Object.keys(p.params).sort().map((k) => [k, p.params[k]])]);
}

/**
 * The incident's probes after a new run: `next` (the fresh answers) first, then the earlier answers of `prev` that
 * differ from every answer kept for the same question (a repeat of the same summary is not history), newest first,
 * at most `limit` in all. The newest answer to a question is the one with the latest `at`.
 */
export function mergeProbeHistory(prev: readonly StoredProbe[], next: readonly StoredProbe[], limit = PROBE_HISTORY_LIMIT): StoredProbe[] {
  const kept = [...next];
  const said = new Set(next.map((p) => `${probeQuestion(p)}\u0000${p.summary}`));
  for (const p of [...prev].sort((a, b) => b.at - a.at)) {
    const key = `${probeQuestion(p)}\u0000${p.summary}`;
    if (said.has(key)) continue;
    said.add(key);
    kept.push(p);
  }
  return kept.slice(0, Math.max(limit, next.length));
}

/** Only the newest answer to each question, in the order given: what the world looked like at the last probe. */
export function latestProbes(probes: readonly StoredProbe[]): StoredProbe[] {
  const newest = new Map<string, StoredProbe>();
  for (const p of probes) {
    const q = probeQuestion(p);
    const seen = newest.get(q);
    if (seen === undefined || p.at > seen.at) newest.set(q, p);
  }
  return probes.filter((p) => newest.get(probeQuestion(p)) === p);
}
