import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { createRequestVerifier, signSlackRequest } from "../../../src/bot/verify.js";
import type { Clock } from "../../../src/time.js";

const SECRET = "8f742231b10e8888abcd99yyyzzz85a5";

function fakeClock(start: number): Clock & { set(ms: number): void } {
  let now = start;
  return { now: () => now, sleep: () => Promise.resolve(), set: (ms) => void (now = ms) };
}

const NOW = 1_766_790_000_000;
const body = "token=x&team_id=T1&command=%2Ffirewatch&text=list&user_id=U1&channel_id=C1";

function signed(at: number, b: string = body, secret = SECRET) {
  const timestamp = String(Math.floor(at / 1000));
  return { timestamp, signature: signSlackRequest(secret, timestamp, b), body: b };
}

describe("Slack request verification", () => {
  test("matches Slack's documented example signature", () => {
    // The example from Slack's "Verifying requests from Slack" page.
    const exampleBody =
      "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    expect(signSlackRequest(SECRET, "1531420618", exampleBody)).toBe("v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503");
  });

  test("accepts a request signed like Slack signs it", () => {
    const verify = createRequestVerifier({ signingSecret: SECRET, clock: fakeClock(NOW) });
    expect(verify(signed(NOW - 2_000))).toEqual({ ok: true });
  });

  test("refuses a forged signature (wrong secret)", () => {
    const verify = createRequestVerifier({ signingSecret: SECRET, clock: fakeClock(NOW) });
    expect(verify(signed(NOW, body, "not-the-secret"))).toEqual({ ok: false, reason: "bad_signature" });
  });

  test("refuses a tampered body under a valid signature", () => {
    const verify = createRequestVerifier({ signingSecret: SECRET, clock: fakeClock(NOW) });
    const req = signed(NOW);
    expect(verify({ ...req, body: req.body.replace("text=list", "text=resolve+fw-1") })).toEqual({ ok: false, reason: "bad_signature" });
  });

  test("refuses a stale request and one from too far in the future", () => {
    const verify = createRequestVerifier({ signingSecret: SECRET, clock: fakeClock(NOW) });
    expect(verify(signed(NOW - 5 * 60_000 - 1_000))).toEqual({ ok: false, reason: "stale" });
    expect(verify(signed(NOW + 5 * 60_000 + 1_000))).toEqual({ ok: false, reason: "stale" });
    expect(verify(signed(NOW - 4 * 60_000))).toEqual({ ok: true });
  });

  test("refuses a replay of a valid request inside the window", () => {
    const verify = createRequestVerifier({ signingSecret: SECRET, clock: fakeClock(NOW) });
    const req = signed(NOW - 1_000);
    expect(verify(req)).toEqual({ ok: true });
    expect(verify({ ...req })).toEqual({ ok: false, reason: "replayed" });
  });

  test("a replay after the window is refused as stale, and the cache has forgotten it", () => {
    const clock = fakeClock(NOW);
    const verify = createRequestVerifier({ signingSecret: SECRET, clock, replayCacheSize: 2 });
    const req = signed(NOW);
    expect(verify(req).ok).toBe(true);
    clock.set(NOW + 6 * 60_000);
    expect(verify(req)).toEqual({ ok: false, reason: "stale" });
  });

  test("missing headers, a non-numeric timestamp and a malformed signature are refused", () => {
    const verify = createRequestVerifier({ signingSecret: SECRET, clock: fakeClock(NOW) });
    const req = signed(NOW);
    expect(verify({ ...req, signature: undefined })).toEqual({ ok: false, reason: "missing_headers" });
    expect(verify({ ...req, timestamp: undefined })).toEqual({ ok: false, reason: "missing_headers" });
    expect(verify({ ...req, timestamp: "17e8" })).toEqual({ ok: false, reason: "bad_timestamp" });
    expect(verify({ ...req, signature: req.signature.slice(0, -1) })).toEqual({ ok: false, reason: "bad_signature" });
    expect(verify({ ...req, signature: req.signature.toUpperCase() })).toEqual({ ok: false, reason: "bad_signature" });
  });

  test("the replay cache stays bounded and still refuses the most recent signatures", () => {
    const verify = createRequestVerifier({ signingSecret: SECRET, clock: fakeClock(NOW), replayCacheSize: 3 });
    const reqs = [1, 2, 3, 4, 5].map((i) => signed(NOW, `${body}&n=${i}`));
    for (const r of reqs) expect(verify(r).ok).toBe(true);
    for (const r of reqs.slice(2)) expect(verify(r)).toEqual({ ok: false, reason: "replayed" });
  });

  test("any change to the body or timestamp breaks the signature", () => {
    fc.assert(
      fc.property(fc.string(), fc.string({ minLength: 1 }), fc.integer({ min: 1, max: 200 }), (b, extra, dt) => {
        const verify = createRequestVerifier({ signingSecret: SECRET, clock: fakeClock(NOW) });
        const req = signed(NOW, b);
        expect(verify({ ...req, body: b + extra }).ok).toBe(false);
        expect(verify({ ...req, timestamp: String(Number(req.timestamp) - dt) }).ok).toBe(false);
        expect(verify(req).ok).toBe(true);
      }),
    );
  });
});
