// Records through Redis Streams (scale.streams): one stream per partition, read by the consumer group "analyzers".
//
// Collectors XADD; analyzers read with XREADGROUP and XACK once the commit that covers an entry has landed. Each
// partition is read by one analyzer at a time (its lease, src/scale), and that is enforced here too: a partition's
// owner key (same hash slot as its stream) holds the latest lease token, and a read or a claim under an older token
// is refused. So an analyzer that was only paused cannot take entries off the group after another took the
// partition over; the new holder claims (XAUTOCLAIM) everything the group delivered and nobody acknowledged, in id
// order, before it reads new entries. Entries are trimmed (MINID) only below what the group has acknowledged:
// nothing unread is ever dropped; a collector waits instead (`room`).
import type { RedisLink } from "./redis-link.js";
import type { RedisKeys } from "./redis-keys.js";

/** The consumer group every analyzer reads through. */
export const ANALYZER_GROUP = "analyzers";

/** One stream entry: its id and its `r` field (undefined when it has none). */
export interface StreamEntry {
  readonly id: string;
  readonly payload: string | undefined;
}

/** A partition's backlog, as /metrics and `firewatch status` show it. */
export interface PartitionStats {
  readonly partition: string;
  /** Entries in the stream (acknowledged ones not yet trimmed included). */
  readonly length: number;
  /** Entries the group has not read yet. */
  readonly lag: number;
  /** Entries read and not acknowledged (in flight, or an analyzer's that died). */
  readonly pending: number;
  /** Consumers known to the group (stale ones are dropped when a partition is taken over). */
  readonly consumers: number;
}

/** The room a collector sees in a partition before it publishes. */
export interface PartitionRoom {
  readonly length: number;
  readonly lag: number;
  readonly pending: number;
}

export type PartitionRead = readonly StreamEntry[] | "fenced";

export interface RecordStreams {
  /** Appends one entry per payload to the partition's stream (several partitions in one round trip). */
  publish(batches: ReadonlyMap<string, readonly string[]>): Promise<void>;
  /** Trims the partition below what the group acknowledged, then says how full it is (creates the group at first use). */
  room(partition: string): Promise<PartitionRoom>;
  /**
   * Takes the partition over under `token`: raises its owner key, claims every entry delivered and not acknowledged
   * (whichever consumer read it), and drops the group's other consumers. The claimed entries, oldest first; "fenced"
   * when a newer token owns the partition already.
   */
  take(partition: string, consumer: string, token: number): Promise<PartitionRead>;
  /** New entries of each partition (at most `count` each), read under its token; "fenced" for a partition lost. */
  read(partitions: ReadonlyMap<string, number>, consumer: string, count: number): Promise<Map<string, PartitionRead>>;
  /** Acknowledges entries whose records a commit covers. */
  ack(partition: string, ids: readonly string[]): Promise<void>;
  stats(partitions: readonly string[]): Promise<PartitionStats[]>;
  close(): Promise<void>;
}

const GROUP_LUA = `redis.pcall('XGROUP', 'CREATE', KEYS[1], '${ANALYZER_GROUP}', '0', 'MKSTREAM')`;

// KEYS: stream. Returns length, lag, pending after trimming below the oldest pending entry (or the last delivered).
const ROOM = `
${GROUP_LUA}
local pending = redis.call('XPENDING', KEYS[1], '${ANALYZER_GROUP}')
local lag, last = 0, '0-0'
for _, g in ipairs(redis.call('XINFO', 'GROUPS', KEYS[1])) do
  if g[2] == '${ANALYZER_GROUP}' then
    for i = 1, #g, 2 do
      if g[i] == 'lag' then lag = g[i + 1] end
      if g[i] == 'last-delivered-id' then last = g[i + 1] end
    end
  end
end
if not lag then lag = redis.call('XLEN', KEYS[1]) end
local floor = last
if pending[1] > 0 then floor = pending[2] end
if floor ~= '0-0' then redis.call('XTRIM', KEYS[1], 'MINID', floor) end
return {redis.call('XLEN', KEYS[1]), lag, pending[1]}`;

// KEYS: stream, owner. ARGV: token. Raises the owner to the token unless a newer one owns it (-1).
const OWN = `
local cur = tonumber(redis.call('GET', KEYS[2]) or '0')
if cur > tonumber(ARGV[1]) then return -1 end
redis.call('SET', KEYS[2], ARGV[1])
${GROUP_LUA}
return 1`;

// KEYS: stream, owner. ARGV: token, consumer, start. One XAUTOCLAIM page under the token; -1 when fenced.
const CLAIM = `
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return -1 end
return redis.call('XAUTOCLAIM', KEYS[1], '${ANALYZER_GROUP}', ARGV[2], 0, ARGV[3], 'COUNT', 500)`;

// KEYS: stream. ARGV: consumer. Drops the group's other consumers that hold nothing (after a takeover's claims).
const DROP_STALE = `
local n = 0
for _, c in ipairs(redis.call('XINFO', 'CONSUMERS', KEYS[1], '${ANALYZER_GROUP}')) do
  if c[2] ~= ARGV[1] and c[4] == 0 then
    redis.call('XGROUP', 'DELCONSUMER', KEYS[1], '${ANALYZER_GROUP}', c[2])
    n = n + 1
  end
end
return n`;

// KEYS: stream, owner. ARGV: token, consumer, count. New entries under the token; -1 when fenced.
const READ = `
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return -1 end
local r = redis.call('XREADGROUP', 'GROUP', '${ANALYZER_GROUP}', ARGV[2], 'COUNT', ARGV[3], 'STREAMS', KEYS[1], '>')
if not r then return {} end
return r[1][2]`;

type RawEntry = [string, string[] | null];

function entriesOf(raw: unknown): StreamEntry[] {
  if (!Array.isArray(raw)) return [];
  const out: StreamEntry[] = [];
  for (const e of raw as RawEntry[]) {
    if (!Array.isArray(e) || typeof e[0] !== "string") continue;
    const fields = e[1] ?? [];
    let payload: string | undefined;
    for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === "r") payload = fields[i + 1];
    out.push({ id: e[0], payload });
  }
  return out;
}

export class RedisRecordStreams implements RecordStreams {
  constructor(
    private readonly link: RedisLink,
    private readonly keys: RedisKeys,
  ) {}

  async publish(batches: ReadonlyMap<string, readonly string[]>): Promise<void> {
    if ([...batches.values()].every((b) => b.length === 0)) return;
    await this.link.run("record publish", async (r) => {
      const pipe = r.pipeline();
      for (const [partition, payloads] of batches) for (const p of payloads) pipe.xadd(this.keys.stream(partition), "*", "r", p);
      const replies = (await pipe.exec()) ?? [];
      const failed = replies.find(([e]) => e !== null);
      if (failed) throw failed[0];
    });
  }

  async room(partition: string): Promise<PartitionRoom> {
    const [length, lag, pending] = (await this.link.run("stream room", (r) => r.eval(ROOM, 1, this.keys.stream(partition)))) as [number, number, number];
    return { length, lag, pending };
  }

  async take(partition: string, consumer: string, token: number): Promise<PartitionRead> {
    const stream = this.keys.stream(partition);
    const owner = this.keys.streamOwner(partition);
    return this.link.run("partition takeover", async (r) => {
      if ((await r.eval(OWN, 2, stream, owner, String(token))) !== 1) return "fenced";
      const claimed: StreamEntry[] = [];
      let start = "0-0";
      do {
        const page = await r.eval(CLAIM, 2, stream, owner, String(token), consumer, start);
        if (!Array.isArray(page)) return "fenced";
        start = typeof page[0] === "string" ? page[0] : "0-0";
        claimed.push(...entriesOf(page[1]));
      } while (start !== "0-0");
      await r.eval(DROP_STALE, 1, stream, consumer);
      return claimed;
    });
  }

  async read(partitions: ReadonlyMap<string, number>, consumer: string, count: number): Promise<Map<string, PartitionRead>> {
    const names = [...partitions.keys()];
    if (names.length === 0) return new Map();
    return this.link.run("record read", async (r) => {
      const pipe = r.pipeline();
      for (const [p, token] of partitions) pipe.eval(READ, 2, this.keys.stream(p), this.keys.streamOwner(p), String(token), consumer, String(count));
      const replies = (await pipe.exec()) ?? [];
      const out = new Map<string, PartitionRead>();
      names.forEach((p, i) => {
        const [err, value] = replies[i] ?? [null, []];
        if (err) throw err;
        out.set(p, value === -1 ? "fenced" : entriesOf(value));
      });
      return out;
    });
  }

  async ack(partition: string, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.link.run("record ack", (r) => r.xack(this.keys.stream(partition), ANALYZER_GROUP, ...ids));
  }

  async stats(partitions: readonly string[]): Promise<PartitionStats[]> {
    if (partitions.length === 0) return [];
    return this.link.run("stream stats", async (r) => {
      const pipe = r.pipeline();
      for (const p of partitions) pipe.xlen(this.keys.stream(p)).xinfo("GROUPS", this.keys.stream(p));
      const replies = (await pipe.exec()) ?? [];
      return partitions.map((partition, i): PartitionStats => {
        const length = Number(replies[2 * i]?.[1] ?? 0);
        // No stream yet (nothing published, no analyzer): XINFO fails; it is empty.
        const groups = replies[2 * i + 1]?.[0] ? [] : (replies[2 * i + 1]?.[1] as unknown[][] | undefined) ?? [];
        const g = groups.find((x) => x[1] === ANALYZER_GROUP);
        const field = (name: string) => {
          const at = g?.indexOf(name) ?? -1;
          return at >= 0 ? g?.[at + 1] : undefined;
        };
        const lag = field("lag");
        return { partition, length, lag: typeof lag === "number" ? lag : g === undefined ? length : 0, pending: Number(field("pending") ?? 0), consumers: Number(field("consumers") ?? 0) };
      });
    });
  }

  async close(): Promise<void> {
    await this.link.quit();
  }
}
