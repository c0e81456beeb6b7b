// The store-backed nonce ledger: memory first, then the store's set-if-absent claim (shared by restarts and processes).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { createStoreNonceLedger, createTokenService, type TokenClaims } from "../../../src/actions/index.js";
import { FileStore } from "../../../src/store/index.js";
import { SECRET, testClock } from "./support.js";

const claims: TokenClaims = { incident: "fw-1", action: "restart_container", params: { container: "palantir-api" }, host: "mithrandir" };

describe("store-backed nonce ledger", () => {
  let dir: string;
  let store: FileStore;
  const clock = testClock();
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "fw-nonce-"));
    store = await FileStore.open(dir, { clock });
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  test("a token used by one guard is refused as replayed by another guard on the same store (a restart, a second process)", async () => {
    const before = createTokenService({ clock, secret: SECRET, nonces: createStoreNonceLedger({ clock, store }) });
    const token = before.issueToken(claims, 60_000);
    expect((await before.redeemToken(token)).ok).toBe(true);
    const after = createTokenService({ clock, secret: SECRET, nonces: createStoreNonceLedger({ clock, store }) });
    expect(await after.redeemToken(token)).toEqual({ ok: false, reason: "replayed" });
    expect((await after.redeemToken(after.issueToken(claims, 60_000))).ok).toBe(true);
  });

  test("the claim is keyed nonce:NONCE and lives until the token's expiry plus a minute", async () => {
    const asked: [string, number][] = [];
    const spy = { claim: (key: string, owner: string, ttlMs: number) => { asked.push([key, ttlMs]); return store.claim(key, owner, ttlMs); } };
    const tokens = createTokenService({ clock, secret: SECRET, nonces: createStoreNonceLedger({ clock, store: spy }) });
    const v = await tokens.redeemToken(tokens.issueToken(claims, 60_000));
    expect(v.ok).toBe(true);
    expect(asked).toEqual([[`nonce:${v.ok ? v.token.nonce : ""}`, 120_000]]);
  });

  test("two redeems of one token racing in one process: exactly one wins, and the store is asked once", async () => {
    let asks = 0;
    const counting = { claim: (k: string, o: string, t: number) => { asks++; return store.claim(k, o, t); } };
    const tokens = createTokenService({ clock, secret: SECRET, nonces: createStoreNonceLedger({ clock, store: counting }) });
    const token = tokens.issueToken(claims, 60_000);
    const results = await Promise.all([tokens.redeemToken(token), tokens.redeemToken(token), tokens.redeemToken(token)]);
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(asks).toBe(1);
  });
});
