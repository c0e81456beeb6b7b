// Used token nonces claimed in the store too, so a token is used once across restarts and across guard processes.
import { randomBytes } from "node:crypto";
import type { Clock } from "../time.js";
import type { GuardStore } from "./guard-store.js";
import { createNonceCache, type NonceLedger } from "./nonce-cache.js";

// Clocks of two guard processes differ a little: keep the claim a minute past the token's own expiry.
const SKEW_MS = 60_000;

/**
 * Claims a nonce in memory first (cheap, and atomic within this process), then with the store's set-if-absent
 * `claim("nonce:NONCE")`, atomic across processes on one Redis store: of two guards redeeming one token, one wins.
 * The claim expires with the token (after that the token is refused as expired anyway).
 */
export function createStoreNonceLedger(
  deps: { clock: Clock; store: Pick<GuardStore, "claim">; owner?: string },
  opts: { maxEntries: number } = { maxEntries: 10_000 },
): NonceLedger {
  const memory = createNonceCache(deps, opts);
  const owner = deps.owner ?? `guard:${randomBytes(6).toString("base64url")}`;
  return {
    async claim(nonce, expiresAt) {
      const first = await memory.claim(nonce, expiresAt);
      if (first !== "claimed") return first;
      const ttl = Math.max(1, expiresAt - deps.clock.now()) + SKEW_MS;
      const r = await deps.store.claim(`nonce:${nonce}`, owner, ttl);
      return r.claimed ? "claimed" : "replayed";
    },
  };
}
