// Notices incidents this daemon has seen live that someone else resolved (`firewatch act`, `incidents resolve`, a
// Slack click): their report is rewritten and a `resolved` JSON line printed, as for auto-resolve.
//
// A poll of the few live incidents this process knows, by fingerprint. When the store offers a change feed (the
// embedded store and Redis stream of issue 14, part B), this is where it plugs in instead.
import type { Store, StoredIncident } from "../store/index.js";
import type { IncidentChange } from "./pipeline.js";

export interface StatusFollower {
  /** The pipeline's changes: live incidents are followed, resolved ones dropped. */
  seen(changes: readonly IncidentChange[]): void;
  /** Looks the followed incidents up once; the ones now resolved elsewhere come back as "resolved" changes. */
  poll(): Promise<IncidentChange[]>;
}

/** At most this many incidents are followed (the newest win); beyond, the oldest are no longer looked after. */
export const MAX_FOLLOWED = 500;

export function createStatusFollower(store: Pick<Store, "get">): StatusFollower {
  const live = new Map<string, StoredIncident>();
  return {
    seen(changes) {
      for (const c of changes) {
        const fp = c.incident.incident.fingerprint;
        live.delete(fp);
        if (c.incident.status !== "resolved") live.set(fp, c.incident);
      }
      while (live.size > MAX_FOLLOWED) {
        const oldest = live.keys().next();
        if (oldest.done === true) break;
        live.delete(oldest.value);
      }
    },
    async poll() {
      const out: IncidentChange[] = [];
      for (const fp of [...live.keys()]) {
        const now = await store.get(fp);
        if (now === undefined) {
          live.delete(fp);
          continue;
        }
        if (now.status !== "resolved") continue;
        live.delete(fp);
        out.push({ outcome: "resolved", incident: now });
      }
      return out;
    },
  };
}
