// RedisStore: shared state for several firewatch processes; compare-and-set in Lua so one fingerprint is one incident.
import { StoreError } from "./errors.js";
import { MAX_TTL_MS } from "./keyed.js";
import { resolvesNow } from "./lifecycle.js";
import { runCommitBatch, type BatchItem } from "./redis-batch.js";
import { closeAttached, feedArgs, readChanges, xaddLua } from "./redis-feed.js";
import { claimOnce, releaseClaim, takeOnce } from "./redis-claims.js";
import { redisKeys, type RedisKeys } from "./redis-keys.js";
import { RedisLeaseBoard, type LeaseBoard } from "./redis-leases.js";
import { RedisRecordStreams, type RecordStreams } from "./redis-streams.js";
import { decodeStored, RedisLink } from "./redis-link.js";
import { AuditEntrySchema, encodeJson, SilenceSchema, STORE_VERSION, StoredIncidentSchema, type AuditEntry, type Silence, type StoredIncident } from "./records.js";
import { StoreCore, type BatchMutation, type Mutation } from "./store-core.js";
import { DEFAULT_RETENTION_MS, type ChangeBatch, type ChangeKind, type ClaimResult, type StoreChange, type StoreDeps } from "./store.js";

export interface RedisStoreOptions {
  /** Key prefix; keys are NAMESPACE:v1:... (default "firewatch"). */
  readonly namespace?: string;
  /** How long a resolved incident is kept before Redis expires it (default 30 days); live ones never expire. */
  readonly retentionMs?: number;
  /** How long an operation waits for Redis to come back before it fails with reason "unavailable" (default 30 s). */
  readonly unavailableAfterMs?: number;
}

const MAX_CAS_ATTEMPTS = 100;

// Compare-and-set of one incident, with its index entries, audit lines and feed entry, in one atomic step.
// KEYS: incident, index zset, ids hash, audit list, change stream. ARGV: expected ("" = absent), new value, fingerprint,
// score, id, ttl ms (0 = none), feed incident, feed kind ("" = none), feed time, audit...
const CAS_INCIDENT = `
local cur = redis.call('GET', KEYS[1])
if cur == false then cur = '' end
if cur ~= ARGV[1] then return 0 end
if ARGV[2] ~= '' then
  redis.call('SET', KEYS[1], ARGV[2])
  if tonumber(ARGV[6]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[6]) end
  redis.call('ZADD', KEYS[2], ARGV[4], ARGV[3])
  redis.call('HSET', KEYS[3], ARGV[5], ARGV[3])
end
${xaddLua("KEYS[5]", "ARGV[7]", "ARGV[8]", "ARGV[9]")}
for i = 10, #ARGV do redis.call('RPUSH', KEYS[4], ARGV[i]) end
return 1`;

// Appends an audit entry unless it is already among the last ones: `run` re-runs an operation whose reply was lost
// with the connection, and the first attempt may have landed. KEYS: audit list, change stream. ARGV: entry id, entry
// JSON, feed incident, feed kind ("" = none), feed time.
const APPEND_AUDIT = `
local tail = redis.call('LRANGE', KEYS[1], -64, -1)
local needle = '"id":"' .. ARGV[1] .. '"'
for _, e in ipairs(tail) do
  if string.find(e, needle, 1, true) then return 0 end
end
redis.call('RPUSH', KEYS[1], ARGV[2])
${xaddLua("KEYS[2]", "ARGV[3]", "ARGV[4]", "ARGV[5]")}
return 1`;

// KEYS: silence, silences zset, audit list. ARGV: silence id, audit entry.
const DELETE_SILENCE = `
local n = redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
if n == 1 then redis.call('RPUSH', KEYS[3], ARGV[2]) end
return n`;

export class RedisStore extends StoreCore {
  protected override readonly fencing = true;

  private constructor(
    private readonly link: RedisLink,
    private readonly keys: RedisKeys,
    private readonly retentionMs: number,
    private readonly deps: StoreDeps,
    private readonly url: string,
  ) {
    super(deps);
  }

  /**
   * The source leases of this namespace (scale-out), on a connection of their own that gives up after
   * `unavailableAfterMs`: a renewal must fail within the lease time, not wait behind the store's 30 s.
   */
  leaseBoard(unavailableAfterMs: number): LeaseBoard {
    return new RedisLeaseBoard(new RedisLink(this.url, this.deps, unavailableAfterMs), this.keys);
  }

  /**
   * The record streams of this namespace (scale.streams), on a connection of their own: a collector waiting for room
   * or an analyzer reading does not queue behind the store's commits.
   */
  recordStreams(unavailableAfterMs = 30_000): RecordStreams {
    return new RedisRecordStreams(new RedisLink(this.url, this.deps, unavailableAfterMs), this.keys);
  }

  /** Connects to `url` (redis://[:password@]host:port[/db]), waiting up to unavailableAfterMs; checks the layout version, and returns the store. */
  static async connect(url: string, deps: StoreDeps, opts: RedisStoreOptions = {}): Promise<RedisStore> {
    const keys = redisKeys(opts.namespace ?? "firewatch");
    const link = new RedisLink(url, deps, opts.unavailableAfterMs ?? 30_000);
    try {
      await link.run("connection check", async (r) => {
        // The first store to connect writes the version marker; any other version is refused, never misread.
        await r.set(keys.version, String(STORE_VERSION), "NX");
        const v = await r.get(keys.version);
        if (v !== String(STORE_VERSION)) {
          throw new StoreError("version", `Redis at ${link.where} holds firewatch data of layout version ${v} under "${keys.namespace}"; this firewatch uses version ${STORE_VERSION}`, {
            hint: "use another --namespace, or the firewatch version that wrote it",
          });
        }
      });
    } catch (e) {
      link.disconnect();
      throw e;
    }
    return new RedisStore(link, keys, opts.retentionMs ?? DEFAULT_RETENTION_MS, deps, url);
  }

  protected async update<T>(fingerprint: string, fn: (prev: StoredIncident | undefined) => Mutation<T>, kind: ChangeKind): Promise<T> {
    const key = this.keys.incident(fingerprint);
    return this.link.run("incident update", async (r) => {
      for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
        const raw = await r.get(key);
        const prev = raw === null ? undefined : decodeStored(raw, StoredIncidentSchema, key);
        const m = fn(prev);
        if (!m.write && m.audit.length === 0) return m.value;
        const next = m.write ? encodeJson(m.write) : "";
        const ttl = m.write?.status === "resolved" ? this.retentionMs : 0;
        const now = this.clock.now();
        const feed = feedArgs(this.feedEntry(prev, m.write, kind, now));
        const args = [raw ?? "", next, fingerprint, String(m.write?.lastActivityAt ?? 0), m.write?.incident.id ?? "", String(ttl), ...feed, ...m.audit.map(encodeJson)];
        const ok = await r.eval(CAS_INCIDENT, 5, key, this.keys.index, this.keys.ids, this.keys.audit, this.keys.changes, ...args);
        if (ok !== 1) continue; // Another process changed it between our read and write: decide again on what it wrote.
        const resolved = resolvesNow(prev, m.write);
        // Its pending requests close right after the resolve (a second script; see docs/store.md).
        if (resolved) {
          const audit = this.closedAudit(resolved, await closeAttached(r, this.keys, resolved.incident.id), now);
          if (audit) await r.eval(APPEND_AUDIT, 2, this.keys.audit, this.keys.changes, audit.id, encodeJson(audit), ...feedArgs(undefined));
        }
        return m.value;
      }
      throw new StoreError("conflict", `incident ${fingerprint} kept changing under ${MAX_CAS_ATTEMPTS} attempts to update it`);
    });
  }

  protected async updateBatch<T>(
    fingerprints: readonly string[],
    cursors: Readonly<Record<string, string>>,
    fn: (read: (fingerprint: string) => StoredIncident | undefined) => BatchMutation<T>,
    fences: Readonly<Record<string, number>> = {},
  ): Promise<T> {
    const keys = fingerprints.map((fp) => this.keys.incident(fp));
    return this.link.run("commit", async (r) => {
      for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
        const raws = keys.length > 0 ? await r.mget(...keys) : [];
        const seen = new Map<string, { raw: string; value: StoredIncident | undefined }>();
        fingerprints.forEach((fp, i) => {
          const raw = raws[i] ?? null;
          seen.set(fp, { raw: raw ?? "", value: raw === null ? undefined : decodeStored(raw, StoredIncidentSchema, keys[i] ?? fp) });
        });
        const m = fn((fp) => {
          const got = seen.get(fp);
          if (!got) throw new StoreError("invalid", `a batch read incident ${fp} it did not name`);
          return got.value;
        });
        const now = this.clock.now();
        const items: BatchItem[] = fingerprints.map((fp) => {
          const w = m.writes.get(fp);
          return {
            fingerprint: fp,
            expected: seen.get(fp)?.raw ?? "",
            next: w ? encodeJson(w) : "",
            score: w?.lastActivityAt ?? 0,
            id: w?.incident.id ?? "",
            ttlMs: w?.status === "resolved" ? this.retentionMs : 0,
            feedKind: this.feedEntry(seen.get(fp)?.value, w, "activity", now)?.kind ?? "",
          };
        });
        const outcome = await runCommitBatch(r, this.keys, items, cursors, m.audit.map(encodeJson), now, fences);
        if (outcome === "ok") {
          // An incident this commit resolved (merged into another) closes its pending requests, as `update` does.
          for (const [fp, w] of m.writes) {
            const resolved = resolvesNow(seen.get(fp)?.value, w);
            if (resolved === undefined) continue;
            const audit = this.closedAudit(resolved, await closeAttached(r, this.keys, resolved.incident.id), now);
            if (audit) await r.eval(APPEND_AUDIT, 2, this.keys.audit, this.keys.changes, audit.id, encodeJson(audit), ...feedArgs(undefined));
          }
          return m.value;
        }
        if (outcome === "fenced") {
          throw new StoreError("fenced", `a commit under the lease of ${Object.keys(fences).join(", ")} was refused: another watcher holds a newer lease`, {
            hint: "this watcher was too slow to renew its lease; it starts over from the stored cursors of the sources it still holds",
          });
        }
        // Another process changed one of them between our read and write: decide again on what it wrote.
      }
      throw new StoreError("conflict", `a commit of ${fingerprints.length} incidents kept conflicting under ${MAX_CAS_ATTEMPTS} attempts`);
    });
  }

  protected async lookup(idOrFingerprint: string): Promise<StoredIncident | undefined> {
    return this.link.run("incident lookup", async (r) => {
      let key = this.keys.incident(idOrFingerprint);
      let raw = await r.get(key);
      if (raw === null) {
        const fp = await r.hget(this.keys.ids, idOrFingerprint);
        if (fp === null) return undefined;
        key = this.keys.incident(fp);
        raw = await r.get(key);
      }
      return raw === null ? undefined : decodeStored(raw, StoredIncidentSchema, key);
    });
  }

  protected async allIncidents(): Promise<StoredIncident[]> {
    return this.link.run("incident listing", async (r) => {
      const fps = await r.zrange(this.keys.index, "0", "-1");
      const out: StoredIncident[] = [];
      for (let i = 0; i < fps.length; i += 500) {
        const chunk = fps.slice(i, i + 500);
        const keys = chunk.map((fp) => this.keys.incident(fp));
        const values = chunk.length ? await r.mget(...keys) : [];
        const gone: string[] = [];
        values.forEach((v, j) => {
          const fp = chunk[j] ?? "";
          // A resolved incident past its retention expired: drop it from the index too.
          if (v === null) gone.push(fp);
          else out.push(decodeStored(v, StoredIncidentSchema, keys[j] ?? fp));
        });
        if (gone.length) await r.zrem(this.keys.index, ...gone);
      }
      return out;
    });
  }

  protected async activeSilences(now: number): Promise<Silence[]> {
    return this.link.run("silence lookup", async (r) => {
      await r.zremrangebyscore(this.keys.silences, "-inf", now);
      const ids = await r.zrangebyscore(this.keys.silences, `(${now}`, "+inf");
      if (ids.length === 0) return [];
      const keys = ids.map((id) => this.keys.silence(id));
      const values = await r.mget(...keys);
      const out: Silence[] = [];
      values.forEach((v, i) => {
        if (v !== null) out.push(decodeStored(v, SilenceSchema, keys[i] ?? ""));
      });
      return out.filter((s) => s.expiresAt > now);
    });
  }

  protected async putSilence(silence: Silence, audit: AuditEntry): Promise<void> {
    await this.link.run("silence", async (r) => {
      // The key expires with the silence (a relative TTL, so clock skew between hosts does not matter); the index
      // and every read are pruned by our clock.
      await r
        .multi()
        .set(this.keys.silence(silence.id), encodeJson(silence), "PX", Math.max(1, silence.expiresAt - silence.createdAt))
        .zadd(this.keys.silences, silence.expiresAt, silence.id)
        .eval(APPEND_AUDIT, 2, this.keys.audit, this.keys.changes, audit.id, encodeJson(audit), ...feedArgs(undefined))
        .exec();
    });
  }

  protected async deleteSilence(id: string, _now: number, audit: AuditEntry): Promise<boolean> {
    return this.link.run("silence removal", async (r) => {
      const n = await r.eval(DELETE_SILENCE, 3, this.keys.silence(id), this.keys.silences, this.keys.audit, id, encodeJson(audit));
      return n === 1;
    });
  }

  protected async writeAudit(entry: AuditEntry, change: StoreChange | undefined): Promise<void> {
    await this.link.run("audit access", async (r) => {
      await r.eval(APPEND_AUDIT, 2, this.keys.audit, this.keys.changes, entry.id, encodeJson(entry), ...feedArgs(change));
    });
  }

  changes(after: string | undefined, limit = 500): Promise<ChangeBatch> {
    return this.link.run("change feed", (r) => readChanges(r, this.keys, after, limit));
  }

  protected async readAudit(): Promise<AuditEntry[]> {
    return this.link.run("audit access", async (r) => {
      const lines = await r.lrange(this.keys.audit, 0, -1);
      return lines.map((l, i) => decodeStored(l, AuditEntrySchema, `${this.keys.audit}[${i}]`));
    });
  }

  protected async claimKey(key: string, owner: string, ttlMs: number): Promise<ClaimResult> {
    return this.link.run("claim", claimOnce(this.keys.claim(key), owner, ttlMs));
  }

  protected async releaseKey(key: string, owner: string): Promise<boolean> {
    return this.link.run("claim release", (r) => releaseClaim(r, this.keys.claim(key), owner));
  }

  protected async putRecordJson(ns: string, key: string, json: string, ttlMs: number, incident: string | undefined): Promise<void> {
    await this.link.run("record write", async (r) => {
      if (incident === undefined) return void (await r.set(this.keys.record(ns, key), json, "PX", ttlMs));
      // The set outlives any record in it (at most MAX_TTL_MS), and goes when the incident resolves.
      const attached = this.keys.attached(incident);
      await r.multi().set(this.keys.record(ns, key), json, "PX", ttlMs).sadd(attached, `${ns}:${key}`).pexpire(attached, MAX_TTL_MS).exec();
    });
  }

  protected async getRecordJson(ns: string, key: string, take: boolean): Promise<string | undefined> {
    const recordKey = this.keys.record(ns, key);
    if (take) return this.link.run("record take", takeOnce(recordKey, this.keys.taken(ns, key)));
    return this.link.run("record read", async (r) => (await r.get(recordKey)) ?? undefined);
  }

  async getCursor(source: string): Promise<string | undefined> {
    return this.link.run("cursor access", async (r) => (await r.hget(this.keys.cursors, source)) ?? undefined);
  }

  async setCursor(source: string, cursor: string): Promise<void> {
    await this.link.run("cursor access", async (r) => {
      await r.hset(this.keys.cursors, source, cursor);
    });
  }

  async close(): Promise<void> {
    await this.link.quit();
  }
}
