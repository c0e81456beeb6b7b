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
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "fw-nonce-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test("a token used before a restart is refused as replayed after it", async () => {
    const clock = testClock();
    const first = await FileStore.open(dir, { clock });
    const before = createTokenService({ clock, secret: SECRET, nonces: createStoreNonceLedger({ clock, store: first }) });
    const token = before.issueToken(claims, 60_000);
    expect((await before.redeemToken(token)).ok).toBe(true);
    await first.close();

    const second = await FileStore.open(dir, { clock });
    const after = createTokenService({ clock, secret: SECRET, nonces: createStoreNonceLedger({ clock, store: second }) });
    expect(await after.redeemToken(token)).toEqual({ ok: false, reason: "replayed" });
    expect((await after.redeemToken(after.issueToken(claims, 60_000))).ok).toBe(true);
    expect(await second.listAudit({ action: "action.token_used" })).toHaveLength(2);
    await second.close();
  });

  test("two redeems of one token racing in one process: exactly one wins", async () => {
    const clock = testClock();
    const store = await FileStore.open(dir, { clock });
    const tokens = createTokenService({ clock, secret: SECRET, nonces: createStoreNonceLedger({ clock, store }) });
    const token = tokens.issueToken(claims, 60_000);
    const results = await Promise.all([tokens.redeemToken(token), tokens.redeemToken(token), tokens.redeemToken(token)]);
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    await store.close();
  });
});
