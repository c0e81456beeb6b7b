import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { createNonceCache, createTokenService, MAX_TOKEN_CHARS, type TokenClaims } from "../../../src/actions/index.js";
import { SECRET, testClock } from "./support.js";

const claims: TokenClaims = {
  incident: "fw-1a2b3c4d",
  action: "kill_port_owner",
  params: { pid: "1573680", port: "9003", unit: "transcription-palantir.service" },
  host: "mithrandir",
};

function service(secret = SECRET, clock = testClock()) {
  return { clock, tokens: createTokenService({ clock, secret, nonces: createNonceCache({ clock }) }) };
}

describe("action tokens", () => {
  test("a token issued here is redeemed once with the claims it binds", async () => {
    const { tokens } = service();
    const t = tokens.issueToken(claims, 60_000);
    const v = await tokens.redeemToken(t);
    expect(v).toMatchObject({ ok: true, token: { ...claims } });
  });

  test("the second redeem of the same token is refused as replayed", async () => {
    const { tokens } = service();
    const t = tokens.issueToken(claims, 60_000);
    expect((await tokens.redeemToken(t)).ok).toBe(true);
    expect(await tokens.redeemToken(t)).toEqual({ ok: false, reason: "replayed" });
  });

  test("verify (dry-run) does not use the token up", async () => {
    const { tokens } = service();
    const t = tokens.issueToken(claims, 60_000);
    expect(tokens.verifyToken(t).ok).toBe(true);
    expect((await tokens.redeemToken(t)).ok).toBe(true);
  });

  test("a token is refused as expired from its expiry on, not a millisecond before", async () => {
    const { tokens, clock } = service();
    const t = tokens.issueToken(claims, 60_000);
    clock.advance(59_999);
    expect(tokens.verifyToken(t).ok).toBe(true);
    clock.advance(1);
    expect(await tokens.redeemToken(t)).toEqual({ ok: false, reason: "expired" });
  });

  test("a token signed with another secret is refused as foreign", async () => {
    const clock = testClock();
    const other = service(Buffer.from("another-secret-another-secret-another-secret"), clock).tokens;
    const t = other.issueToken(claims, 60_000);
    expect(await service(SECRET, clock).tokens.redeemToken(t)).toEqual({ ok: false, reason: "foreign_key" });
  });

  test("a payload re-encoded with other params keeps no valid signature", async () => {
    const { tokens } = service();
    const [body, sig] = tokens.issueToken(claims, 60_000).split(".");
    const payload = JSON.parse(Buffer.from(body ?? "", "base64url").toString("utf8")) as { p: Record<string, string> };
    payload.p["pid"] = "1";
    const forged = `${Buffer.from(JSON.stringify(payload)).toString("base64url")}.${sig ?? ""}`;
    expect(await tokens.redeemToken(forged)).toEqual({ ok: false, reason: "bad_signature" });
  });

  test("garbage and oversize values are refused as malformed", async () => {
    const { tokens } = service();
    for (const t of ["", ".", "abc", "a.b.c", "x".repeat(MAX_TOKEN_CHARS + 1), "eyJ2IjoxfQ.abc"]) {
      expect(await tokens.redeemToken(t)).toEqual({ ok: false, reason: "malformed" });
    }
  });

  test("a token for seed 000's kill fits a Slack button value", () => {
    const t = service().tokens.issueToken(claims, 900_000);
    expect(t.length).toBeLessThanOrEqual(MAX_TOKEN_CHARS);
    expect(t).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
  });

  test("claims too long for a button are refused at issue time", () => {
    expect(() => service().tokens.issueToken({ ...claims, params: { unit: "u".repeat(1600) } }, 60_000)).toThrow(/2000/);
  });

  test("a short secret is refused", () => {
    expect(() => service(Buffer.from("short"))).toThrow(expect.objectContaining({ code: "config_invalid" }));
  });

  test("the nonce cache refuses when full of live nonces instead of forgetting one", async () => {
    const clock = testClock();
    const tokens = createTokenService({ clock, secret: SECRET, nonces: createNonceCache({ clock }, { maxEntries: 2 }) });
    const [a, b, c] = [1, 2, 3].map(() => tokens.issueToken(claims, 60_000));
    expect((await tokens.redeemToken(a ?? "")).ok).toBe(true);
    expect((await tokens.redeemToken(b ?? "")).ok).toBe(true);
    expect(await tokens.redeemToken(c ?? "")).toEqual({ ok: false, reason: "replay_cache_full" });
    clock.advance(60_000);
    const d = tokens.issueToken(claims, 60_000);
    expect((await tokens.redeemToken(d)).ok).toBe(true);
  });

  test("any single-character change of a token is refused", () => {
    const { tokens } = service();
    const t = tokens.issueToken(claims, 60_000);
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ ";
    fc.assert(
      fc.property(fc.nat({ max: t.length - 1 }), fc.constantFrom(...alphabet), (i, ch) => {
        fc.pre(t[i] !== ch);
        const altered = t.slice(0, i) + ch + t.slice(i + 1);
        expect(tokens.verifyToken(altered).ok).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  test("every position, changed to each other base64url character, is refused (exhaustive on the signature tail)", () => {
    const { tokens } = service();
    const t = tokens.issueToken(claims, 60_000);
    const b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    // The last characters of body and signature carry spare bits: the place a byte-level comparison would slip.
    const positions = [t.indexOf(".") - 1, t.length - 1, t.length - 2, 0];
    for (const i of positions) for (const ch of b64) if (t[i] !== ch) expect(tokens.verifyToken(t.slice(0, i) + ch + t.slice(i + 1)).ok).toBe(false);
  });
});
