// Claims and records written once for both stores: their names (keys, namespaces, owners, TTLs) and values checked first.
import { StoreError } from "./errors.js";
import type { ClaimResult, RecordOptions } from "./store.js";

// Keys end up in Redis key names and in state.json: short, printable, no spaces, so they can be read back with
// redis-cli and never collide with the key layout (":" is allowed, the prefix makes them unambiguous).
const KEY = /^[A-Za-z0-9][A-Za-z0-9_.:@+=/-]{0,199}$/;
const NAMESPACE = /^[a-z][a-z0-9_-]{0,31}$/;
const MAX_OWNER = 200;
/** The longest expiry a claim or record may ask for: 30 days (they are meant to be short-lived). */
export const MAX_TTL_MS = 30 * 86_400_000;
/** The largest record value, encoded (records are small: an approval, a grant). */
export const MAX_RECORD_BYTES = 64 * 1024;

export function checkKey(what: string, key: string): void {
  if (typeof key !== "string" || !KEY.test(key)) {
    throw new StoreError("invalid", `invalid ${what} ${JSON.stringify(key)}: use 1-200 letters, digits and _ . : @ + = / - (starting with a letter or digit)`);
  }
}

export function checkNamespace(ns: string): void {
  if (typeof ns !== "string" || !NAMESPACE.test(ns)) {
    throw new StoreError("invalid", `invalid record namespace ${JSON.stringify(ns)}: use 1-32 lowercase letters, digits, _ or - (starting with a letter)`);
  }
}

export function checkOwner(owner: string): void {
  if (typeof owner !== "string" || owner.length === 0 || owner.length > MAX_OWNER || /[\s]/.test(owner)) {
    throw new StoreError("invalid", `invalid claim owner ${JSON.stringify(owner)}: 1-${MAX_OWNER} characters without spaces`);
  }
}

export function checkTtl(ttlMs: number): void {
  if (!Number.isInteger(ttlMs) || ttlMs <= 0 || ttlMs > MAX_TTL_MS) {
    throw new StoreError("invalid", `invalid expiry ${ttlMs} ms: a whole number of milliseconds, more than 0 and at most ${MAX_TTL_MS}`);
  }
}

/** The record value as JSON (what both stores keep); refuses values JSON cannot carry and oversized ones. */
export function encodeRecordValue(value: unknown): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (e) {
    throw new StoreError("invalid", `a record value must be JSON-safe`, { cause: e });
  }
  if (json === undefined) throw new StoreError("invalid", `a record value must be JSON-safe, got ${typeof value}`);
  if (Buffer.byteLength(json) > MAX_RECORD_BYTES) throw new StoreError("invalid", `a record value is ${Buffer.byteLength(json)} bytes; at most ${MAX_RECORD_BYTES}`);
  return json;
}

/** A stored record value back; bytes that are not JSON are "corrupt", named by `where`. */
export function decodeRecordValue(json: string, where: string): unknown {
  try {
    return JSON.parse(json) as unknown;
  } catch (e) {
    throw new StoreError("corrupt", `the record ${where} does not hold JSON`, { cause: e });
  }
}

/** The claim and record operations of the Store over four primitives each store supplies (arguments already checked). */
export abstract class KeyedCore {
  /** Sets key → owner for ttlMs unless someone holds it (arguments already checked). */
  protected abstract claimKey(key: string, owner: string, ttlMs: number): Promise<ClaimResult>;
  protected abstract releaseKey(key: string, owner: string): Promise<boolean>;
  /**
   * Records by namespace and key, their values as JSON text (arguments already checked); `incident`: the short id
   * whose resolve deletes the record (see RecordOptions).
   */
  protected abstract putRecordJson(ns: string, key: string, json: string, ttlMs: number, incident: string | undefined): Promise<void>;
  protected abstract getRecordJson(ns: string, key: string, take: boolean): Promise<string | undefined>;

  async claim(key: string, owner: string, ttlMs: number): Promise<ClaimResult> {
    checkKey("claim key", key);
    checkOwner(owner);
    checkTtl(ttlMs);
    return this.claimKey(key, owner, ttlMs);
  }

  async release(key: string, owner: string): Promise<boolean> {
    checkKey("claim key", key);
    checkOwner(owner);
    return this.releaseKey(key, owner);
  }

  async putRecord(ns: string, key: string, value: unknown, ttlMs: number, opts: RecordOptions = {}): Promise<void> {
    checkNamespace(ns);
    checkKey("record key", key);
    checkTtl(ttlMs);
    if (opts.incident !== undefined) checkKey("incident id", opts.incident);
    await this.putRecordJson(ns, key, encodeRecordValue(value), ttlMs, opts.incident);
  }

  getRecord(ns: string, key: string): Promise<unknown> {
    return this.readRecord(ns, key, false);
  }

  takeRecord(ns: string, key: string): Promise<unknown> {
    return this.readRecord(ns, key, true);
  }

  private async readRecord(ns: string, key: string, take: boolean): Promise<unknown> {
    checkNamespace(ns);
    checkKey("record key", key);
    const json = await this.getRecordJson(ns, key, take);
    return json === undefined ? undefined : decodeRecordValue(json, `${ns}/${key}`);
  }
}
