// A Redis commit of several incidents, their index entries, cursors and audit lines as one Lua script: all or nothing.
import type { Redis } from "ioredis";
import { xaddLua } from "./redis-feed.js";
import type { RedisKeys } from "./redis-keys.js";

/** One incident of a batch: the value it was decided on ("" = absent) and what to write ("" = keep it). */
export interface BatchItem {
  readonly fingerprint: string;
  readonly expected: string;
  readonly next: string;
  /** Index score (last activity), short id, and TTL in ms (0 = none) of the new value. */
  readonly score: number;
  readonly id: string;
  readonly ttlMs: number;
  /** The feed entry's kind for this incident ("" = none: nothing written). */
  readonly feedKind: string;
}

const PER_ITEM = 7;

// Every incident is compared first; only if none changed since it was read does anything get written, so the
// batch lands whole or not at all (Redis runs a script atomically and writes its effects to the AOF as one unit).
// Before that, every fence (source → lease token) must still be the latest token issued for its source: a watcher
// whose lease was taken over since cannot commit (returns -1, nothing written).
// KEYS: index zset, ids hash, audit list, cursors hash, change stream, fences hash, incident keys... ARGV: n, feed
// time, fence count, source/token pairs, then per incident (expected, new, fingerprint, score, id, ttl, feed kind),
// then the cursor count, source/cursor pairs, then audit entries.
const COMMIT_BATCH = `
local n = tonumber(ARGV[1])
local f = tonumber(ARGV[3])
for j = 0, f - 1 do
  if redis.call('HGET', KEYS[6], ARGV[4 + 2 * j]) ~= ARGV[5 + 2 * j] then return -1 end
end
local base = 4 + 2 * f
for i = 1, n do
  local cur = redis.call('GET', KEYS[6 + i])
  if cur == false then cur = '' end
  if cur ~= ARGV[base + (i - 1) * ${PER_ITEM}] then return 0 end
end
for i = 1, n do
  local b = base + (i - 1) * ${PER_ITEM}
  if ARGV[b + 1] ~= '' then
    redis.call('SET', KEYS[6 + i], ARGV[b + 1])
    if tonumber(ARGV[b + 5]) > 0 then redis.call('PEXPIRE', KEYS[6 + i], ARGV[b + 5]) end
    redis.call('ZADD', KEYS[1], ARGV[b + 3], ARGV[b + 2])
    redis.call('HSET', KEYS[2], ARGV[b + 4], ARGV[b + 2])
    ${xaddLua("KEYS[5]", "ARGV[b + 4]", "ARGV[b + 6]", "ARGV[2]")}
  end
end
local a = base + n * ${PER_ITEM}
local c = tonumber(ARGV[a])
a = a + 1
for j = 1, c do
  redis.call('HSET', KEYS[4], ARGV[a], ARGV[a + 1])
  a = a + 2
end
for j = a, #ARGV do redis.call('RPUSH', KEYS[3], ARGV[j]) end
return 1`;

/** What a batch run says: landed, an incident changed since it was read (decide again), or a fence is stale. */
export type BatchOutcome = "ok" | "conflict" | "fenced";

/** Runs the batch; nothing is written unless it answers "ok". */
export async function runCommitBatch(
  r: Redis,
  keys: RedisKeys,
  items: readonly BatchItem[],
  cursors: Readonly<Record<string, string>>,
  audit: readonly string[],
  now: number,
  fences: Readonly<Record<string, number>> = {},
): Promise<BatchOutcome> {
  const incidentKeys = items.map((i) => keys.incident(i.fingerprint));
  const itemArgs = items.flatMap((i) => [i.expected, i.next, i.fingerprint, String(i.score), i.id, String(i.ttlMs), i.feedKind]);
  const pairs = Object.entries(cursors);
  const fencePairs = Object.entries(fences).map(([source, token]) => [source, String(token)]);
  const args = [String(items.length), String(now), String(fencePairs.length), ...fencePairs.flat(), ...itemArgs, String(pairs.length), ...pairs.flat(), ...audit];
  const ok = await r.eval(COMMIT_BATCH, 6 + incidentKeys.length, keys.index, keys.ids, keys.audit, keys.cursors, keys.changes, keys.fences, ...incidentKeys, ...args);
  return ok === 1 ? "ok" : ok === -1 ? "fenced" : "conflict";
}
