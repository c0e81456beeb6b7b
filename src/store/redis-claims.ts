// Claims and records on Redis: SET NX PX, compare-and-delete, take-once; Lua scripts, so a retried call cannot be misread.
import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import type { ClaimResult } from "./store.js";

// The stored value is "CALL OWNER": CALL is a fresh id per claim() call, so when a reply is lost with the connection
// and the call re-runs, finding its own CALL there means the first attempt won (not that someone else holds it).
// KEYS: the claim. ARGV: call id, owner, ttl ms. Returns {1|0, holder value}.
const CLAIM = `
local mine = ARGV[1] .. ' ' .. ARGV[2]
if redis.call('SET', KEYS[1], mine, 'NX', 'PX', ARGV[3]) then return {1, mine} end
local cur = redis.call('GET', KEYS[1])
if cur == mine then return {1, mine} end
return {0, cur}`;

// KEYS: the claim. ARGV: owner. Deletes it only if that owner holds it.
const RELEASE = `
local cur = redis.call('GET', KEYS[1])
if not cur then return 0 end
local sp = string.find(cur, ' ', 1, true)
if sp and string.sub(cur, sp + 1) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

const ownerOf = (value: string): string => value.slice(value.indexOf(" ") + 1);

/** A claim attempt bound to one call id: run it (again, after a lost reply) with `link.run`. */
export function claimOnce(key: string, owner: string, ttlMs: number): (r: Redis) => Promise<ClaimResult> {
  const call = randomUUID();
  return async (r) => {
    const [won, holder] = (await r.eval(CLAIM, 1, key, call, owner, String(ttlMs))) as [number, string];
    return { claimed: won === 1, owner: ownerOf(holder) };
  };
}

export async function releaseClaim(r: Redis, key: string, owner: string): Promise<boolean> {
  return (await r.eval(RELEASE, 1, key, owner)) === 1;
}

/** How long a taken record's value is kept for the call that took it, in case its reply is lost and it re-runs. */
const TAKEN_KEPT_MS = 60_000;

// Get-and-delete that a re-run after a lost reply can still answer: the taken value is parked under a "taken" key
// with the call id, so the same call gets it again and every other caller gets nothing.
// KEYS: record, taken marker. ARGV: call id, how long the marker is kept.
const TAKE = `
local v = redis.call('GET', KEYS[1])
if v then
  redis.call('DEL', KEYS[1])
  redis.call('SET', KEYS[2], ARGV[1] .. ' ' .. v, 'PX', ARGV[2])
  return v
end
local t = redis.call('GET', KEYS[2])
local p = ARGV[1] .. ' '
if t and string.sub(t, 1, #p) == p then return string.sub(t, #p + 1) end
return false`;

/** A take bound to one call id (see TAKE): run it, and again after a lost reply, with `link.run`. */
export function takeOnce(recordKey: string, takenKey: string): (r: Redis) => Promise<string | undefined> {
  const call = randomUUID();
  return async (r) => ((await r.eval(TAKE, 2, recordKey, takenKey, call, String(TAKEN_KEPT_MS))) as string | null) ?? undefined;
}
