// Remembers which token nonces were used until their tokens expire, so a token works once; bounded, never evicts early.
import type { Clock } from "../time.js";

/** Where used nonces are remembered. `claim` is atomic per nonce: true the first time, false on every replay. */
export interface NonceLedger {
  claim(nonce: string, expiresAt: number): Promise<"claimed" | "replayed" | "full">;
}

/**
 * In-memory ledger for one guard process. A nonce is kept until its token's expiry (after that the token is refused
 * as expired anyway). When full of live nonces it refuses new ones ("full") rather than forget a live one: forgetting
 * would let that token be replayed.
 */
export function createNonceCache(deps: { clock: Clock }, opts: { maxEntries: number } = { maxEntries: 10_000 }): NonceLedger {
  const used = new Map<string, number>();
  const prune = (now: number): void => {
    for (const [n, exp] of used) if (exp <= now) used.delete(n);
  };
  return {
    claim(nonce, expiresAt) {
      const now = deps.clock.now();
      const seen = used.get(nonce);
      if (seen !== undefined && seen > now) return Promise.resolve("replayed");
      if (used.size >= opts.maxEntries) prune(now);
      if (used.size >= opts.maxEntries) return Promise.resolve("full");
      used.set(nonce, expiresAt);
      return Promise.resolve("claimed");
    },
  };
}
