// The store floor's public surface: the Store interface, its two implementations, and how to open one.
export type {
  AuditFilter,
  ChangeBatch,
  ChangeKind,
  ClaimResult,
  CommitBatch,
  FlapPolicy,
  IncidentFilter,
  NewSilence,
  RecordOptions,
  ResolveAfter,
  Store,
  StoreChange,
  StoreDeps,
  UpsertOutcome,
  UpsertResult,
} from "./store.js";
/** Defaults: reopen damping (more than 3 reopens in 1 h holds auto-resolve); resolved incidents kept 30 days. */
export { DEFAULT_FLAP_POLICY, DEFAULT_RETENTION_MS } from "./store.js";
/** How many entries the change feed keeps; a reader further behind is told `lost`. */
export { CHANGE_FEED_KEEP } from "./store.js";
export type { AuditEntry, AuditInput, HistoryEntry, Silence, SilenceMatch, SilenceMatchInput, SlackRef, StoredIncident, StoredProbe } from "./records.js";
/** Version of the stored layout (state file and Redis keys). */
export { STORE_VERSION } from "./records.js";
/** Every refusal of a store, with a precise `reason`. */
export { StoreError, isStoreError, type StoreErrorReason } from "./errors.js";
/** The embedded default: one SQLite file (WAL) shared by the daemon and the CLI; a writer lease for `watch`. */
export { SQLITE_FILE, SqliteStore, type SqliteStoreOptions } from "./sqlite-store.js";
/** The older embedded store: memory + an atomically replaced file, one process per directory. */
export { FileStore, type FileStoreOptions } from "./file-store.js";
/** The shared store: Redis through ioredis, safe for several processes. */
export { RedisStore, type RedisStoreOptions } from "./redis-store.js";
/** Source leases (scale-out): heartbeats, a lease per source with a fencing token; RedisStore.leaseBoard() opens one. */
export { WatcherInfoSchema, type LeaseBoard, type LeaseState, type LeaseSurvey, type LiveWatcher, type WatcherInfo } from "./redis-leases.js";
/** Records through Redis Streams (scale.streams): RedisStore.recordStreams() opens them. */
export { ANALYZER_GROUP, type PartitionRead, type PartitionRoom, type PartitionStats, type RecordStreams, type StreamEntry } from "./redis-streams.js";
/** Rule resolve_after durations as a ResolveAfter; whether a silence matches an incident. */
export { resolveAfterByRule, silenceMatches } from "./lifecycle.js";
/** Keeps snapshots while the store is unreachable (bounded) and stores them when it is back. */
export { UpsertBuffer, type DeferredUpsert, type UpsertBufferOptions } from "./upsert-buffer.js";
/** --store parsing and opening; the default data directory. */
export { defaultDataDir, openStore, parseStoreSpec, type OpenOptions, type StoreSpec } from "./open.js";
/** ensureSafeDir(dir): creates or checks a directory for firewatch's files (ours, not group/world-writable, no symlink); writeFileAtomic(path, data, mode): temp (O_EXCL|O_NOFOLLOW, random name), fsync, rename. */
export { ensureSafeDir } from "./safe-fs.js";
export { writeFileAtomic } from "./atomic-write.js";
