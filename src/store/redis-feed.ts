// The Redis change feed (a stream written by the same scripts as the changes) and records closed with their incident.
//
// A stream rather than keyspace notifications: notifications need `notify-keyspace-events` set on the server (often not
// allowed on a managed Redis), are pub/sub (whatever happens while a reader reconnects is gone), and fire for every key
// written. The stream is appended inside the script that makes the change, so the feed never names a change that did
// not land nor misses one that did; a reader resumes from its last id, and a trimmed gap is detected, not guessed.
import type { Redis } from "ioredis";
import { z } from "zod";
import type { RedisKeys } from "./redis-keys.js";
import { CHANGE_FEED_KEEP, type ChangeBatch, type ChangeKind, type StoreChange } from "./store.js";

/**
 * Lua: appends one feed entry when `kindArg` is not empty. Expects the stream key as `streamKey` and the entry's
 * incident id, kind and time in the ARGV positions given.
 */
export function xaddLua(streamKey: string, idArg: string, kindArg: string, atArg: string): string {
  return `if ${kindArg} ~= '' then redis.call('XADD', ${streamKey}, 'MAXLEN', '~', '${CHANGE_FEED_KEEP}', '*', 'i', ${idArg}, 'k', ${kindArg}, 't', ${atArg}) end`;
}

/** The ARGV triple of a feed entry (empty strings: none). */
export function feedArgs(c: StoreChange | undefined): [string, string, string] {
  return c ? [c.incident, c.kind, String(c.at)] : ["", "", "0"];
}

const KIND = z.enum(["activity", "status", "probes", "silence", "slack", "action"]);
const Entry = z.tuple([z.string(), z.array(z.string())]);
const STREAM_ID = /^(\d+)-(\d+)$/;

function compareIds(a: string, b: string): number {
  const x = STREAM_ID.exec(a);
  const y = STREAM_ID.exec(b);
  if (!x || !y) return a.localeCompare(b);
  const ms = BigInt(x[1] ?? "0") - BigInt(y[1] ?? "0");
  if (ms !== 0n) return ms > 0n ? 1 : -1;
  const seq = BigInt(x[2] ?? "0") - BigInt(y[2] ?? "0");
  return seq === 0n ? 0 : seq > 0n ? 1 : -1;
}

/** XINFO STREAM's head (last generated id) and the newest id trimmed away; "0-0" each for a stream not there yet. */
async function streamInfo(r: Redis, key: string): Promise<{ head: string; trimmed: string }> {
  let raw: unknown;
  try {
    raw = await r.call("XINFO", "STREAM", key);
  } catch (e) {
    if (e instanceof Error && /no such key/i.test(e.message)) return { head: "0-0", trimmed: "0-0" };
    throw e;
  }
  const flat = z.array(z.unknown()).parse(raw);
  const field = (name: string) => {
    const i = flat.indexOf(name);
    const v = i >= 0 ? flat[i + 1] : undefined;
    return typeof v === "string" ? v : "0-0";
  };
  return { head: field("last-generated-id"), trimmed: field("max-deleted-entry-id") };
}

/** The feed after `after` (see Store.changes): XINFO for the head and the trimmed mark, XRANGE for the entries. */
export async function readChanges(r: Redis, keys: RedisKeys, after: string | undefined, limit: number): Promise<ChangeBatch> {
  const { head, trimmed } = await streamInfo(r, keys.changes);
  if (after === undefined) return { next: head, changes: [], lost: false };
  if (!STREAM_ID.test(after) || compareIds(after, head) > 0) return { next: head, changes: [], lost: true };
  const raw: unknown = await r.xrange(keys.changes, `(${after}`, "+", "COUNT", Math.max(1, limit));
  const entries = z.array(Entry).parse(raw);
  const changes: StoreChange[] = [];
  for (const [, fields] of entries) {
    const get = (k: string) => fields[fields.indexOf(k) + 1] ?? "";
    const kind = KIND.safeParse(get("k"));
    // An entry that does not parse is skipped: the feed only says where to look, the incident itself is read anew.
    if (kind.success) changes.push({ incident: get("i"), kind: kind.data satisfies ChangeKind, at: Number(get("t")) });
  }
  return { next: entries.at(-1)?.[0] ?? after, changes, lost: compareIds(trimmed, after) > 0 };
}

// Deletes every record attached to an incident and the set naming them; returns the "NS2:KEY" names deleted.
// KEYS: the attached set. ARGV: the key prefix of records (NAMESPACE:v1:record:).
const CLOSE_ATTACHED = `
local members = redis.call('SMEMBERS', KEYS[1])
local closed = {}
for _, m in ipairs(members) do
  if redis.call('DEL', ARGV[1] .. m) == 1 then table.insert(closed, m) end
end
redis.call('DEL', KEYS[1])
return closed`;

/** Deletes the records attached to incident `id` (its pending requests); the "NS/KEY" names of those that existed. */
export async function closeAttached(r: Redis, keys: RedisKeys, id: string): Promise<string[]> {
  const closed = z.array(z.string()).parse(await r.eval(CLOSE_ATTACHED, 1, keys.attached(id), `${keys.prefix}record:`));
  return closed.map((m) => m.replace(":", "/"));
}
