// What the scale tests read of the leases in Redis: who holds which source, and waiting for a spread.
import type { LeaseSurvey } from "../../../src/store/index.js";

/** Leases held per watcher id (free ones left out). */
export function spread(s: LeaseSurvey): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const l of s.leases) if (l.owner !== undefined) out.set(l.owner, [...(out.get(l.owner) ?? []), l.source]);
  return out;
}

/** Surveys every 100 ms until `pred` holds; after `ms`, fails naming `what` and the last spread seen. */
export async function surveyUntil(survey: () => Promise<LeaseSurvey>, what: string, pred: (s: LeaseSurvey) => boolean, ms: number): Promise<LeaseSurvey> {
  let last: LeaseSurvey | undefined;
  for (const deadline = Date.now() + ms; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
    last = await survey();
    if (pred(last)) return last;
  }
  throw new Error(`${what} did not happen within ${ms} ms; last survey: ${JSON.stringify([...spread(last ?? { watchers: [], leases: [] })])}`);
}
