// Source leases on Redis (scale-out): watchers' heartbeats, one lease per source with a fencing token, and a survey.
//
// A lease is the key NS:v1:lease:SOURCE = "WATCHER TOKEN" with PX expiry (by the server's clock, so the watchers'
// clocks do not matter). TOKEN comes from HINCRBY on NS:v1:fences when the lease is taken, so every tenure of a
// source has a larger token than the one before, and a commit names the tokens it was made under (redis-batch.ts).
import { z } from "zod";
import { decodeStored, type RedisLink } from "./redis-link.js";
import type { RedisKeys } from "./redis-keys.js";
import { encodeJson, STORE_VERSION } from "./records.js";

/** What a watcher says about itself in its heartbeat (shown by `firewatch status` and /healthz). */
export const WatcherInfoSchema = z.object({
  v: z.literal(STORE_VERSION),
  id: z.string().regex(/^[^\s]+$/),
  host: z.string(),
  pid: z.number().int(),
  startedAt: z.number(),
  /** The sources it holds, as of its last heartbeat. */
  sources: z.number().int().nonnegative().default(0),
  /** scale.streams: a collector (leases sources) or an analyzer (leases partitions); absent: a watcher. */
  role: z.enum(["collector", "analyzer"]).optional(),
  /** It posts incidents to Slack and updates their posts (a slack: section; a collector never does). */
  slack: z.boolean().optional(),
});
export type WatcherInfo = z.infer<typeof WatcherInfoSchema>;

/** A live watcher as the survey saw it: its description and how long its heartbeat still runs. */
export interface LiveWatcher {
  readonly info: WatcherInfo;
  readonly expiresInMs: number;
}

/** One source's lease: held by `owner` (a watcher id) under `token` for `ttlMs` more; `owner` undefined: free. */
export interface LeaseState {
  readonly source: string;
  readonly owner: string | undefined;
  /** The latest token issued for the source (0: never leased). */
  readonly token: number;
  readonly ttlMs: number;
}

export interface LeaseSurvey {
  readonly watchers: readonly LiveWatcher[];
  readonly leases: readonly LeaseState[];
}

/** The Redis side of source leases; the policy (who takes what, when) lives in src/scale. */
export interface LeaseBoard {
  /** Registers or refreshes the watcher for `ttlMs`; drops watchers whose heartbeat ran out. */
  heartbeat(info: WatcherInfo, ttlMs: number): Promise<void>;
  /** The live watchers, and the lease of each source named (plus every source that was ever leased). */
  survey(sources: readonly string[]): Promise<LeaseSurvey>;
  /** Takes the lease if it is free; its new token, or undefined when someone holds it. */
  acquire(source: string, watcher: string, ttlMs: number): Promise<number | undefined>;
  /**
   * Extends the lease; also takes it back when it ran out and nobody took it since (the token is still the latest).
   * False: another watcher holds a newer lease.
   */
  renew(source: string, watcher: string, token: number, ttlMs: number): Promise<boolean>;
  /** Gives the lease up (only if it is still this one). */
  release(source: string, watcher: string, token: number): Promise<boolean>;
  /** Removes the watcher's heartbeat (a clean stop). */
  leave(watcher: string): Promise<void>;
  close(): Promise<void>;
}

// KEYS: watchers zset, watcher key. ARGV: id, json, ttl ms.
const HEARTBEAT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
return 1`;

// KEYS: lease, fences hash. ARGV: source, watcher, ttl ms. Returns the new token, or 0 when held.
const ACQUIRE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local token = redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
redis.call('SET', KEYS[1], ARGV[2] .. ' ' .. token, 'PX', ARGV[3])
return token`;

// KEYS: lease, fences hash. ARGV: source, watcher, token, ttl ms.
const RENEW = `
local mine = ARGV[2] .. ' ' .. ARGV[3]
local cur = redis.call('GET', KEYS[1])
if cur == mine then return redis.call('PEXPIRE', KEYS[1], ARGV[4]) end
if cur == false and redis.call('HGET', KEYS[2], ARGV[1]) == ARGV[3] then
  redis.call('SET', KEYS[1], mine, 'PX', ARGV[4])
  return 1
end
return 0`;

// KEYS: lease. ARGV: watcher, token.
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] .. ' ' .. ARGV[2] then return redis.call('DEL', KEYS[1]) end
return 0`;

// KEYS: watchers zset. ARGV: none. Live watcher ids with their expiry, and the server time.
const LIVE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return {now, redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf', 'WITHSCORES')}`;

export class RedisLeaseBoard implements LeaseBoard {
  constructor(
    private readonly link: RedisLink,
    private readonly keys: RedisKeys,
  ) {}

  async heartbeat(info: WatcherInfo, ttlMs: number): Promise<void> {
    await this.link.run("watcher heartbeat", (r) => r.eval(HEARTBEAT, 2, this.keys.watchers, this.keys.watcher(info.id), info.id, encodeJson(info), String(ttlMs)));
  }

  async survey(sources: readonly string[]): Promise<LeaseSurvey> {
    return this.link.run("lease survey", async (r) => {
      const [now, flat] = (await r.eval(LIVE, 1, this.keys.watchers)) as [number, string[]];
      const ids: { id: string; expires: number }[] = [];
      for (let i = 0; i + 1 < flat.length; i += 2) ids.push({ id: flat[i] ?? "", expires: Number(flat[i + 1]) });
      const infos = ids.length > 0 ? await r.mget(...ids.map((w) => this.keys.watcher(w.id))) : [];
      const watchers: LiveWatcher[] = [];
      ids.forEach((w, i) => {
        const raw = infos[i];
        // Its heartbeat key can run out between the two reads: the watcher is gone.
        if (raw === null || raw === undefined) return;
        watchers.push({ info: decodeStored(raw, WatcherInfoSchema, this.keys.watcher(w.id)), expiresInMs: w.expires - now });
      });
      const tokens = await r.hgetall(this.keys.fences);
      const names = [...new Set([...sources, ...Object.keys(tokens)])].sort();
      const pipe = r.pipeline();
      for (const s of names) pipe.get(this.keys.lease(s)).pttl(this.keys.lease(s));
      const replies = names.length > 0 ? ((await pipe.exec()) ?? []) : [];
      const leases = names.map((source, i): LeaseState => {
        const value = replies[2 * i]?.[1];
        const ttl = replies[2 * i + 1]?.[1];
        const owner = typeof value === "string" ? value.slice(0, value.indexOf(" ")) : undefined;
        return { source, owner, token: Number(tokens[source] ?? 0), ttlMs: typeof ttl === "number" && ttl > 0 ? ttl : 0 };
      });
      return { watchers, leases };
    });
  }

  async acquire(source: string, watcher: string, ttlMs: number): Promise<number | undefined> {
    const token = await this.link.run("lease", (r) => r.eval(ACQUIRE, 2, this.keys.lease(source), this.keys.fences, source, watcher, String(ttlMs)));
    return typeof token === "number" && token > 0 ? token : undefined;
  }

  async renew(source: string, watcher: string, token: number, ttlMs: number): Promise<boolean> {
    return (await this.link.run("lease renewal", (r) => r.eval(RENEW, 2, this.keys.lease(source), this.keys.fences, source, watcher, String(token), String(ttlMs)))) === 1;
  }

  async release(source: string, watcher: string, token: number): Promise<boolean> {
    return (await this.link.run("lease release", (r) => r.eval(RELEASE, 1, this.keys.lease(source), watcher, String(token)))) === 1;
  }

  async leave(watcher: string): Promise<void> {
    await this.link.run("watcher leave", async (r) => {
      await r.multi().zrem(this.keys.watchers, watcher).del(this.keys.watcher(watcher)).exec();
    });
  }

  async close(): Promise<void> {
    await this.link.quit();
  }
}
