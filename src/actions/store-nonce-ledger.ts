// Used token nonces remembered in the store's audit log too, so a token stays used across a restart of the guard.
import type { Store } from "../store/index.js";
import type { Clock } from "../time.js";
import { createNonceCache, type NonceLedger } from "./nonce-cache.js";

const USED = "action.token_used";

/**
 * Claims a nonce in memory first (atomic within this process), then checks and records it in the store's audit log
 * (`action.token_used`, target `token:NONCE`), which survives restarts. Across several processes on one Redis store the
 * check and the append are two steps: two guards redeeming the same token in the same instant could both succeed.
 */
export function createStoreNonceLedger(deps: { clock: Clock; store: Store }, opts: { maxEntries: number } = { maxEntries: 10_000 }): NonceLedger {
  const memory = createNonceCache(deps, opts);
  return {
    async claim(nonce, expiresAt) {
      const first = await memory.claim(nonce, expiresAt);
      if (first !== "claimed") return first;
      const target = `token:${nonce}`;
      if ((await deps.store.listAudit({ action: USED, target })).length > 0) return "replayed";
      await deps.store.appendAudit({ at: deps.clock.now(), actor: "firewatch", action: USED, target, details: { expiresAt } });
      return "claimed";
    },
  };
}
