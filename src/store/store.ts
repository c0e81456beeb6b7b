// The Store interface: incidents with their lifecycle, silences, cursors, Slack references and the audit log.
import type { Logger } from "pino";
import type { Incident, IncidentStatus } from "../incidents/index.js";
import type { Clock } from "../time.js";
import type { AuditEntry, AuditInput, Silence, SilenceMatchInput, SlackRef, StoredIncident, StoredProbe } from "./records.js";

/**
 * What an upsert did. `suppressed`: it would have been created/updated/reopened, but an active silence matches
 * (the state is still kept, so counts and history stay right; outputs should stay quiet).
 */
export type UpsertOutcome = "created" | "updated" | "reopened" | "suppressed" | "unchanged";

export interface UpsertResult {
  readonly outcome: UpsertOutcome;
  readonly incident: StoredIncident;
  /** The silence that suppressed it (outcome "suppressed"). */
  readonly silenceId: string | undefined;
  /** The live incidents this snapshot took in (CommitBatch.merges), now resolved as merged into it. */
  readonly merged?: readonly StoredIncident[];
}

export interface IncidentFilter {
  readonly status?: readonly IncidentStatus[];
  readonly host?: string;
  readonly service?: string;
  /** Incidents with at least one finding of this rule. */
  readonly rule?: string;
}

export interface AuditFilter {
  readonly target?: string;
  readonly actor?: string;
  readonly action?: string;
  readonly since?: number;
  /** The newest N (after the other filters). */
  readonly limit?: number;
}

export interface NewSilence {
  readonly match: SilenceMatchInput;
  readonly by: string;
  readonly durationMs: number;
  readonly reason?: string;
}

/**
 * Flapping damping: an incident that reopens more than `maxReopens` times within `windowMs` is marked flapping, and
 * auto-resolve then waits for `windowMs` of quiet (instead of the rule's resolve_after) so it stays open.
 */
export interface FlapPolicy {
  readonly maxReopens: number;
  readonly windowMs: number;
}

/** How long a resolved incident is kept (Redis TTL; file store pruning) unless told otherwise: 30 days. */
export const DEFAULT_RETENTION_MS = 30 * 86_400_000;

export const DEFAULT_FLAP_POLICY: FlapPolicy = { maxReopens: 3, windowMs: 3_600_000 };

export interface StoreDeps {
  readonly clock: Clock;
  readonly flap?: FlapPolicy;
  /** Where recoveries are reported (a moved-aside state file, Redis reconnecting); silent when absent. */
  readonly log?: Logger;
}

/** Quiet time (ms) after which an incident auto-resolves; undefined: never. */
export type ResolveAfter = (incident: StoredIncident) => number | undefined;

/** A batch the daemon commits at once: incident snapshots and the source cursors they cover. */
export interface CommitBatch {
  readonly snapshots: readonly Incident[];
  /** Source name → cursor string; set in the same atomic step as the upserts. */
  readonly cursors: Readonly<Record<string, string>>;
  /**
   * Id of the correlator run (one per daemon process start) the snapshots come from. With it, a finding's count is
   * the stored count before this run plus the run's own count (see mergeSnapshots), instead of being inferred from times.
   */
  readonly run?: string;
  /**
   * Source → lease token (scale-out, docs/scaling.md): the commit lands only while every token is still the latest
   * issued for its source; otherwise it fails `fenced` having written nothing. Only the Redis store takes fences.
   */
  readonly fences?: Readonly<Record<string, number>>;
  /**
   * Snapshot fingerprint → live incidents found to be part of it (see applyMerge): before its snapshot applies, their
   * findings and carried counts move into it and they are resolved as merged, in the same atomic step. Ones no longer
   * live (or absent) are left as they are.
   */
  readonly merges?: Readonly<Record<string, readonly string[]>>;
}

/**
 * Why an incident changed, as the change feed tells it: new log activity (a pipeline snapshot), its status (ack,
 * resolve, auto-resolve, reopen), its probe results, a silence that now covers it or no longer does, its Slack post,
 * or a remediation step audited against it.
 */
export type ChangeKind = "activity" | "status" | "probes" | "silence" | "slack" | "action";

/** One entry of the change feed: the incident (short id) some process changed, why, and when (store clock). */
export interface StoreChange {
  readonly incident: string;
  readonly kind: ChangeKind;
  readonly at: number;
}

/** What `changes` answers. */
export interface ChangeBatch {
  /** Where this answer ends: pass it as `after` next time. */
  readonly next: string;
  /** Oldest first. */
  readonly changes: readonly StoreChange[];
  /** The feed no longer reaches back to `after` (trimmed past it, or `after` is from another store): resync. */
  readonly lost: boolean;
}

/** The change feed keeps about this many entries; a reader further behind is told `lost`. */
export const CHANGE_FEED_KEEP = 10_000;

/** What `claim` answers. */
export interface ClaimResult {
  readonly claimed: boolean;
  readonly owner: string;
}

export interface RecordOptions {
  /**
   * The incident (short id) the record belongs to, like a pending approval: when that incident is resolved, the
   * store deletes the record in the same step and audits `incident.requests_closed`.
   */
  readonly incident?: string;
}

export interface Store {
  /** Stores a pipeline snapshot, deduplicated by fingerprint (also across processes and restarts). */
  upsert(snapshot: Incident): Promise<UpsertResult>;
  /**
   * Upserts every snapshot (in order; same outcomes and audit as `upsert`) and sets every cursor, all together or
   * none: a crash (kill -9) at any point leaves the old state or the new, never incidents without their cursors.
   */
  commit(batch: CommitBatch): Promise<UpsertResult[]>;
  /** By short id ("fw-1a2b3c4d") or fingerprint. */
  get(idOrFingerprint: string): Promise<StoredIncident | undefined>;
  /** Most recently active first. */
  list(filter?: IncidentFilter): Promise<StoredIncident[]>;
  acknowledge(idOrFingerprint: string, by: string, note?: string): Promise<StoredIncident>;
  resolve(idOrFingerprint: string, by: string, note?: string): Promise<StoredIncident>;
  /** Resolves live incidents quiet (no new activity) for longer than `resolveAfter` says; returns those resolved. */
  autoResolve(resolveAfter: ResolveAfter): Promise<StoredIncident[]>;
  setSlackRef(idOrFingerprint: string, ref: SlackRef): Promise<StoredIncident>;
  /** Replaces the incident's probe results (shown in the report and the Slack thread); `invalid` if one is malformed. */
  setProbes(idOrFingerprint: string, probes: readonly StoredProbe[]): Promise<StoredIncident>;

  addSilence(silence: NewSilence): Promise<Silence>;
  /** Silences not yet expired, soonest expiry first. */
  listSilences(): Promise<Silence[]>;
  /** False when no such silence was active. */
  removeSilence(id: string, by: string): Promise<boolean>;

  /**
   * Set-if-absent with expiry, atomic across processes: `claimed` is true for the one caller that got it; otherwise
   * `owner` names the holder (claiming again with the same owner also answers false, with that owner). RedisStore: across
   * every process on the server, expiry by the server's clock. SqliteStore: across every process on the host (one write
   * transaction), expiry by the store's clock. FileStore: one writer process per directory (the lock), so atomic
   * within that process and kept across its restarts; expiry by the store's clock.
   */
  claim(key: string, owner: string, ttlMs: number): Promise<ClaimResult>;
  /** Drops a claim only if `owner` still holds it (true); false when it expired or someone else holds it. */
  release(key: string, owner: string): Promise<boolean>;

  /**
   * A small JSON record with expiry (pending approvals, grants), replacing any record of that key. `ns`: 1-32 of
   * [a-z0-9_-]; `key`: like a claim key; the value must be JSON-safe (at most 64 KiB encoded).
   */
  putRecord(ns: string, key: string, value: unknown, ttlMs: number, opts?: RecordOptions): Promise<void>;
  /** The record's value (parsed JSON), undefined when absent or expired. */
  getRecord(ns: string, key: string): Promise<unknown | undefined>;
  /** Atomic get-and-delete: of two processes taking the same record, exactly one gets it (FileStore: see `claim`). */
  takeRecord(ns: string, key: string): Promise<unknown | undefined>;

  getCursor(source: string): Promise<string | undefined>;
  setCursor(source: string, cursor: string): Promise<void>;

  /** Appends to the audit log; an `action.*` entry whose target is an incident also goes into the change feed. */
  appendAudit(entry: AuditInput): Promise<AuditEntry>;
  /** Oldest first. */
  listAudit(filter?: AuditFilter): Promise<AuditEntry[]>;

  /**
   * The change feed, shared by every process on the store: incidents changed after `after` (an earlier answer's
   * `next`), oldest first, at most `limit` (default 500). `after` undefined: no changes, only where the feed is now.
   */
  changes(after: string | undefined, limit?: number): Promise<ChangeBatch>;

  /** Releases the lock or connection; the store is unusable afterwards. */
  close(): Promise<void>;
}
