// The Redis key layout: NAMESPACE:v1:..., one place so that a layout change is one version bump.
import { StoreError } from "./errors.js";
import { STORE_VERSION } from "./records.js";

export interface RedisKeys {
  readonly namespace: string;
  /** NAMESPACE:version holds the layout version of everything under the namespace. */
  readonly version: string;
  /** JSON StoredIncident by fingerprint; expires `retention` after it is resolved. */
  incident(fingerprint: string): string;
  /** Sorted set of fingerprints scored by last activity. */
  readonly index: string;
  /** Hash short id → fingerprint. */
  readonly ids: string;
  /** JSON Silence; expires with the silence. */
  silence(id: string): string;
  /** Sorted set of silence ids scored by expiry. */
  readonly silences: string;
  /** Hash source id → cursor; never expires. */
  readonly cursors: string;
  /** List of JSON audit entries, append-only. */
  readonly audit: string;
  /** A claim (store.claim): "CALL OWNER", expiring with the claim. */
  claim(key: string): string;
  /** A record's JSON value, expiring with it. */
  record(ns: string, key: string): string;
  /** A taken record's value, kept briefly for the call that took it (see redis-claims.ts). */
  taken(ns: string, key: string): string;
  /** Set of "NS2:KEY" records attached to an incident (short id), deleted when it resolves. */
  attached(incidentId: string): string;
  /** Stream: the change feed (fields i = incident id, k = kind, t = store time), trimmed to about CHANGE_FEED_KEEP. */
  readonly changes: string;
  /** Prefix of every key of this layout (NAMESPACE:v1:), for scripts that name records by it. */
  readonly prefix: string;
  /** A source's lease (scale-out): "WATCHER TOKEN", expiring with the lease. */
  lease(source: string): string;
  /** Hash source → the latest lease token (fencing): a commit under an older token is refused. */
  readonly fences: string;
  /** Sorted set of watcher ids scored by when their heartbeat expires (Redis server time, ms). */
  readonly watchers: string;
  /** A watcher's JSON description (host, pid, start), expiring with its heartbeat. */
  watcher(id: string): string;
  /** A partition's stream of records (scale.streams); hash-tagged by partition, so each may live on its own cluster slot. */
  stream(partition: string): string;
  /** The latest lease token of a partition, beside its stream (same slot): reads and claims under an older one are refused. */
  streamOwner(partition: string): string;
}

export function redisKeys(namespace: string): RedisKeys {
  if (!/^[A-Za-z0-9_.-]+$/.test(namespace)) {
    throw new StoreError("invalid", `invalid Redis namespace "${namespace}": use letters, digits, ".", "_" or "-"`);
  }
  const p = `${namespace}:v${STORE_VERSION}:`;
  return {
    namespace,
    version: `${namespace}:version`,
    incident: (fp) => `${p}incident:${fp}`,
    index: `${p}incidents`,
    ids: `${p}ids`,
    silence: (id) => `${p}silence:${id}`,
    silences: `${p}silences`,
    cursors: `${p}cursors`,
    audit: `${p}audit`,
    claim: (key) => `${p}claim:${key}`,
    record: (ns, key) => `${p}record:${ns}:${key}`,
    taken: (ns, key) => `${p}taken:${ns}:${key}`,
    attached: (id) => `${p}attached:${id}`,
    changes: `${p}changes`,
    prefix: p,
    lease: (source) => `${p}lease:${source}`,
    fences: `${p}fences`,
    watchers: `${p}watchers`,
    watcher: (id) => `${p}watcher:${id}`,
    stream: (partition) => `${p}records:{${namespace}/${partition}}`,
    streamOwner: (partition) => `${p}records-owner:{${namespace}/${partition}}`,
  };
}
