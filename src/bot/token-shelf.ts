// Keeps the signed token of each offered button until it nears expiry, so an unchanged post is not re-sent on every round.
import type { TokenClaims, TokenService } from "../actions/index.js";
import type { Clock } from "../time.js";

/** Tokens kept at most; past it the oldest is forgotten (its post then gets a fresh token at its next render). */
const MAX_TOKENS = 10_000;

export interface TokenShelf {
  /** The token for these claims: the kept one while more than a third of its lifetime is left, else a new one. */
  tokenFor(claims: TokenClaims): string;
  /** A token was clicked (used up or refused): the next render of its post gets a new one. */
  forget(token: string): void;
}

const keyOf = (c: TokenClaims) => JSON.stringify([c.incident, c.action, c.host, Object.entries(c.params).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))]);

/**
 * Each render of a post would otherwise sign new tokens, change the message, and make the poster update every post
 * on every round. A kept token is renewed once two thirds of its lifetime have passed, so a post with buttons is
 * refreshed about every `ttlMs × 2/3` and a button is never older than that when it is shown.
 */
export function createTokenShelf(deps: { tokens: TokenService; clock: Clock; ttlMs: number }): TokenShelf {
  const kept = new Map<string, { token: string; expiresAt: number }>();
  return {
    tokenFor(claims) {
      const key = keyOf(claims);
      const now = deps.clock.now();
      const have = kept.get(key);
      if (have && have.expiresAt - now > deps.ttlMs / 3) return have.token;
      kept.delete(key);
      for (const [k, v] of kept) if (v.expiresAt <= now) kept.delete(k);
      if (kept.size >= MAX_TOKENS) {
        const oldest = kept.keys().next();
        if (!oldest.done) kept.delete(oldest.value);
      }
      const token = deps.tokens.issueToken(claims, deps.ttlMs);
      kept.set(key, { token, expiresAt: now + deps.ttlMs });
      return token;
    },
    forget(token) {
      for (const [k, v] of kept) if (v.token === token) kept.delete(k);
    },
  };
}
