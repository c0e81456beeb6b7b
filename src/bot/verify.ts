// Verifies that an HTTP request really comes from Slack: v0 HMAC-SHA256 signature, 5-minute window, replays refused.
import { createHmac, timingSafeEqual } from "node:crypto";
import type { Clock } from "../time.js";

/** Slack's window: a request whose timestamp is further than this from now is refused (stale or from the future). */
export const MAX_REQUEST_AGE_MS = 5 * 60_000;
/** Signatures remembered to refuse replays; far above what one workspace sends in 5 minutes. */
export const DEFAULT_REPLAY_CACHE_SIZE = 10_000;

export type VerifyRefusal = "missing_headers" | "bad_timestamp" | "stale" | "bad_signature" | "replayed";
export type VerifyOutcome = { readonly ok: true } | { readonly ok: false; readonly reason: VerifyRefusal };

export interface SignedRequest {
  /** The X-Slack-Request-Timestamp header (seconds since the epoch). */
  readonly timestamp: string | undefined;
  /** The X-Slack-Signature header ("v0=" + hex HMAC). */
  readonly signature: string | undefined;
  /** The raw body, exactly as received: a re-serialised body would not match the signature. */
  readonly body: string | Buffer;
}

export interface VerifierOptions {
  readonly signingSecret: string;
  readonly clock: Clock;
  readonly maxAgeMs?: number;
  readonly replayCacheSize?: number;
}

/** Computes Slack's v0 signature of `v0:timestamp:body`; the fake Slack and tests sign with it like Slack does. */
export function signSlackRequest(signingSecret: string, timestamp: string, body: string | Buffer): string {
  const hmac = createHmac("sha256", signingSecret);
  hmac.update(`v0:${timestamp}:`);
  hmac.update(body);
  return `v0=${hmac.digest("hex")}`;
}

const SIGNATURE_RE = /^v0=[0-9a-f]{64}$/;

/**
 * Returns a verifier with its own replay cache. A request is accepted once: the same valid signature again inside the
 * window is a replay (an attacker who captured a request cannot resend it). The cache is bounded: when full, the
 * oldest remembered signature is forgotten first, which only matters past `replayCacheSize` requests in 5 minutes.
 */
export interface RequestVerifier {
  (req: SignedRequest): VerifyOutcome;
  /** The checks that need no body (headers present, timestamp in the window), so a hopeless body is never read. */
  checkHeaders(req: Omit<SignedRequest, "body">): VerifyOutcome;
}

export function createRequestVerifier(opts: VerifierOptions): RequestVerifier {
  const maxAgeMs = opts.maxAgeMs ?? MAX_REQUEST_AGE_MS;
  const capacity = Math.max(1, opts.replayCacheSize ?? DEFAULT_REPLAY_CACHE_SIZE);
  // signature → time after which it would be refused as stale anyway; Map keeps insertion order (oldest first).
  const seen = new Map<string, number>();
  const secret = opts.signingSecret;

  const forgetExpired = (now: number) => {
    for (const [sig, until] of seen) {
      if (until > now) break;
      seen.delete(sig);
    }
  };

  const checkHeaders = (req: Omit<SignedRequest, "body">): VerifyOutcome => {
    if (req.timestamp === undefined || req.signature === undefined) return { ok: false, reason: "missing_headers" };
    if (!/^\d{1,12}$/.test(req.timestamp)) return { ok: false, reason: "bad_timestamp" };
    const sentAt = Number(req.timestamp) * 1000;
    if (Math.abs(opts.clock.now() - sentAt) > maxAgeMs) return { ok: false, reason: "stale" };
    if (!SIGNATURE_RE.test(req.signature)) return { ok: false, reason: "bad_signature" };
    return { ok: true };
  };
  const verify = (req: SignedRequest): VerifyOutcome => {
    const early = checkHeaders(req);
    if (!early.ok || req.timestamp === undefined || req.signature === undefined) return early;
    const now = opts.clock.now();
    const sentAt = Number(req.timestamp) * 1000;
    const expected = Buffer.from(signSlackRequest(secret, req.timestamp, req.body), "utf8");
    const given = Buffer.from(req.signature, "utf8");
    // Both are "v0=" + 64 hex here, so the lengths are equal and timingSafeEqual compares in constant time.
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: "bad_signature" };
    forgetExpired(now);
    if (seen.has(req.signature)) return { ok: false, reason: "replayed" };
    if (seen.size >= capacity) {
      const oldest = seen.keys().next();
      if (!oldest.done) seen.delete(oldest.value);
    }
    // Entries are added in arrival order; expiry follows the request's own timestamp, close enough to arrival order
    // for forgetExpired's early stop (a late one is only forgotten a little later, never too early).
    seen.set(req.signature, sentAt + maxAgeMs);
    return { ok: true };
  };
  return Object.assign(verify, { checkHeaders });
}
