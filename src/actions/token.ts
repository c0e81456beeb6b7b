// Signed, expiring, single-use action tokens: what a Slack button carries, HMAC-SHA256 over a canonical encoding.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { FirewatchError } from "../errors.js";
import type { Clock } from "../time.js";
import type { NonceLedger } from "./nonce-cache.js";

/** Slack's limit for a button `value`. */
export const MAX_TOKEN_CHARS = 2000;

/** What a token binds. Params are strings: every value is validated again by the action's schema at redeem time. */
export interface TokenClaims {
  readonly incident: string;
  readonly action: string;
  readonly params: Readonly<Record<string, string>>;
  readonly host: string;
}

export interface RedeemedToken extends TokenClaims {
  readonly expiresAt: number;
  readonly nonce: string;
}

export type TokenRefusal = "malformed" | "foreign_key" | "bad_signature" | "expired" | "replayed" | "replay_cache_full";

export type TokenVerdict = { readonly ok: true; readonly token: RedeemedToken } | { readonly ok: false; readonly reason: TokenRefusal };

const Payload = z
  .object({
    v: z.literal(1),
    k: z.string(),
    i: z.string().min(1),
    a: z.string().min(1),
    p: z.record(z.string(), z.string()),
    h: z.string().min(1),
    e: z.number().int().positive(),
    n: z.string().regex(/^[A-Za-z0-9_-]{22}$/),
  })
  .strict();
type Payload = z.infer<typeof Payload>;

const B64URL = /^[A-Za-z0-9_-]+$/;

// Sorted keys at every level: the same claims always give the same bytes, whoever encodes them.
function canonical(p: Payload): string {
  const params = Object.fromEntries(Object.entries(p.p).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return JSON.stringify({ a: p.a, e: p.e, h: p.h, i: p.i, k: p.k, n: p.n, p: params, v: p.v });
}

export interface TokenDeps {
  readonly clock: Clock;
  /** The server secret, at least 32 bytes; from env or a file, never argv. */
  readonly secret: Buffer;
  readonly nonces: NonceLedger;
  /** Defaults to crypto.randomBytes; tests may pin it. */
  readonly random?: (n: number) => Buffer;
}

export interface TokenService {
  /** Signs claims valid for `ttlMs` from now: `payload.signature`, both base64url, at most 2000 characters. */
  issueToken(claims: TokenClaims, ttlMs: number): string;
  /** Checks signature and expiry without using the token up (dry-run, confirm dialog). */
  verifyToken(token: string): TokenVerdict;
  /** Checks and uses the token up: a second redeem of the same token is "replayed". */
  redeemToken(token: string): Promise<TokenVerdict>;
  /**
   * HMAC of a record the guard keeps in the store (an approval, a grant), bound to its namespace and key: whoever
   * can write the store but does not hold the secret cannot make one the guard will honour.
   */
  sealRecord(ns: string, key: string, body: string): string;
}

/** Creates the token service for one server secret. */
export function createTokenService(deps: TokenDeps): TokenService {
  if (deps.secret.length < 32) throw new FirewatchError("config_invalid", "The action token secret is shorter than 32 bytes.", { hint: "generate one with `openssl rand -base64 48`" });
  const random = deps.random ?? randomBytes;
  const mac = (text: string): string => createHmac("sha256", deps.secret).update(text).digest("base64url");
  // A key id lets a token signed by another secret be told apart from an altered one, and reveals nothing of the secret.
  const keyId = mac("firewatch action token key id").slice(0, 8);

  const verifyToken = (token: string): TokenVerdict => {
    const dot = token.indexOf(".");
    if (token.length > MAX_TOKEN_CHARS || dot <= 0 || dot !== token.lastIndexOf(".")) return { ok: false, reason: "malformed" };
    const body = token.slice(0, dot);
    const sig = token.slice(dot + 1);
    if (!B64URL.test(body) || !B64URL.test(sig)) return { ok: false, reason: "malformed" };
    let parsed: Payload;
    try {
      const r = Payload.safeParse(JSON.parse(Buffer.from(body, "base64url").toString("utf8")));
      if (!r.success) return { ok: false, reason: "malformed" };
      parsed = r.data;
    } catch {
      return { ok: false, reason: "malformed" };
    }
    // Compare the signature as text, not decoded bytes: base64url's last character has spare bits that decode alike.
    const want = Buffer.from(mac(body), "utf8");
    const got = Buffer.from(sig, "utf8");
    const sigOk = want.length === got.length && timingSafeEqual(want, got);
    if (!sigOk) return { ok: false, reason: parsed.k === keyId ? "bad_signature" : "foreign_key" };
    // The body must be exactly the canonical encoding: no second spelling of the same claims is accepted.
    if (Buffer.from(canonical(parsed), "utf8").toString("base64url") !== body) return { ok: false, reason: "malformed" };
    if (deps.clock.now() >= parsed.e) return { ok: false, reason: "expired" };
    return { ok: true, token: { incident: parsed.i, action: parsed.a, params: parsed.p, host: parsed.h, expiresAt: parsed.e, nonce: parsed.n } };
  };

  return {
    issueToken(claims, ttlMs) {
      if (!(ttlMs > 0)) throw new FirewatchError("usage", `A token lifetime must be positive, got ${ttlMs} ms.`);
      const payload: Payload = {
        v: 1, k: keyId, i: claims.incident, a: claims.action, p: { ...claims.params }, h: claims.host,
        e: deps.clock.now() + Math.ceil(ttlMs), n: random(16).toString("base64url"),
      };
      const body = Buffer.from(canonical(payload), "utf8").toString("base64url");
      const token = `${body}.${mac(body)}`;
      if (token.length > MAX_TOKEN_CHARS) {
        throw new FirewatchError("usage", `The action token would be ${token.length} characters; a Slack button value holds ${MAX_TOKEN_CHARS}.`, { hint: "shorten the parameters" });
      }
      return token;
    },
    verifyToken,
    // A separate domain string: a seal can never be taken for a token signature, nor the other way round.
    sealRecord: (ns, key, body) => mac(JSON.stringify(["firewatch guard record", ns, key, body])),
    async redeemToken(token) {
      const v = verifyToken(token);
      if (!v.ok) return v;
      const claim = await deps.nonces.claim(v.token.nonce, v.token.expiresAt);
      if (claim === "replayed") return { ok: false, reason: "replayed" };
      if (claim === "full") return { ok: false, reason: "replay_cache_full" };
      return v;
    },
  };
}
