// SqliteStore: the embedded default. One SQLite file in WAL mode that a daemon and any number of CLI processes share.
import { dirname } from "node:path";
import { z } from "zod";
import { StoreError } from "./errors.js";
import type { IncidentStatus } from "../incidents/index.js";
import { resolvesNow } from "./lifecycle.js";
import { encodeJson, SilenceSchema, StoredIncidentSchema, type AuditEntry, type Silence, type StoredIncident } from "./records.js";
import { decodeRow, openDb, retryBusy, type Db, type Statement } from "./sqlite-db.js";
import { importFileStore } from "./sqlite-import.js";
import { insertChange, queryAudit, readChanges } from "./sqlite-feed.js";
import { takeLease, type Lease } from "./sqlite-lease.js";
import { privateDir } from "./private-path.js";
import { StoreCore, type BatchMutation, type Mutation } from "./store-core.js";
import {
  DEFAULT_RETENTION_MS,
  type AuditFilter,
  type ChangeBatch,
  type ChangeKind,
  type ClaimResult,
  type StoreChange,
  type StoreDeps,
} from "./store.js";

export interface SqliteStoreOptions {
  /** A file that is not a database: "refuse" (default) or "move-aside" (renamed NAME.corrupt-TIME, started empty). */
  readonly onCorrupt?: "refuse" | "move-aside";
  /** Refuse every change (list, show, audit): what it reads is always the latest committed state. */
  readonly readOnly?: boolean;
  /** Take the writer lease (`firewatch watch`): refused while another live process holds it. */
  readonly writerLease?: boolean;
  /** How long a resolved incident is kept (default 30 days); pruned when the store opens and at each autoResolve. */
  readonly retentionMs?: number;
}

/** The database file of the embedded store in a data directory. */
export const SQLITE_FILE = "firewatch.db";

const Json = z.object({ json: z.string() });
const DEFAULT_CHANGES_LIMIT = 500;
const PRUNE_EVERY_MS = 10 * 60_000;

export class SqliteStore extends StoreCore {
  private closed = false;
  private readonly statements = new Map<string, Statement>();
  private prunedAt = Number.NEGATIVE_INFINITY;

  private constructor(
    readonly path: string,
    deps: StoreDeps,
    private readonly db: Db,
    private readonly readOnly: boolean,
    private readonly lease: Lease | undefined,
    private readonly retentionMs: number,
  ) {
    super(deps);
  }

  /**
   * Opens the database at `path` (creating its directory, mode 0700, and the file, mode 0600). A file store's
   * state.json in the same directory is imported into a new database once (see importFileStore).
   */
  static async open(path: string, deps: StoreDeps, opts: SqliteStoreOptions = {}): Promise<SqliteStore> {
    await privateDir(dirname(path));
    const { db } = await openDb(path, deps, opts.onCorrupt ?? "refuse");
    let lease: Lease | undefined;
    try {
      // Also on a read-only open: the first `incidents list` after an upgrade shows what the file store held.
      await importFileStore(db, path, deps);
      if (opts.writerLease) lease = await retryBusy(path, "writer lease", () => takeLease(db, path, "watch", new Date(deps.clock.now())));
      const store = new SqliteStore(path, deps, db, opts.readOnly === true, lease, opts.retentionMs ?? DEFAULT_RETENTION_MS);
      if (!opts.readOnly) await store.prune();
      return store;
    } catch (e) {
      lease?.release();
      db.close();
      throw e;
    }
  }

  // Statements are compiled once per store and reused (better-sqlite3 does not cache them itself).
  private stmt(sql: string): Statement {
    let st = this.statements.get(sql);
    if (!st) {
      st = this.db.prepare(sql);
      this.statements.set(sql, st);
    }
    return st;
  }

  /** Runs `fn` in one write transaction (BEGIN IMMEDIATE: across processes, nothing interleaves), retried while busy. */
  private write<T>(what: string, fn: () => T): Promise<T> {
    this.assertWritable();
    return retryBusy(this.path, what, () => this.db.transaction(fn).immediate());
  }

  private read<T>(what: string, fn: () => T): Promise<T> {
    if (this.closed) throw new StoreError("invalid", `the store ${this.path} is closed`);
    return retryBusy(this.path, what, fn);
  }

  private readIncident(fingerprint: string): StoredIncident | undefined {
    const row = this.stmt("SELECT json FROM incidents WHERE fingerprint = ?").get(fingerprint);
    return row === undefined ? undefined : decodeRow(this.path, Json.parse(row).json, StoredIncidentSchema, `incident ${fingerprint}`);
  }

  private putIncident(s: StoredIncident): void {
    this.db
      .prepare(
        `INSERT INTO incidents (fingerprint, id, status, last_activity, resolved_at, json) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (fingerprint) DO UPDATE SET id = excluded.id, status = excluded.status, last_activity = excluded.last_activity,
           resolved_at = excluded.resolved_at, json = excluded.json`,
      )
      .run(s.incident.fingerprint, s.incident.id, s.status, s.lastActivityAt, s.resolved?.at ?? null, encodeJson(s));
  }

  private insertAudit(a: AuditEntry): void {
    this.stmt("INSERT INTO audit (at, action, target, json) VALUES (?, ?, ?, ?)").run(a.at, a.action, a.target ?? null, encodeJson(a));
  }

  private insertChange(c: StoreChange | undefined): void {
    insertChange((sql) => this.stmt(sql), c);
  }

  /** What every incident write brings along: its feed entry, and when it resolves the incident, its records closed. */
  private afterWrite(prev: StoredIncident | undefined, write: StoredIncident | undefined, kind: ChangeKind, now: number): void {
    this.insertChange(this.feedEntry(prev, write, kind, now));
    const resolved = resolvesNow(prev, write);
    if (!resolved) return;
    const rows = this.stmt("DELETE FROM records WHERE incident = ? RETURNING ns, key").all(resolved.incident.id);
    const keys = z.array(z.object({ ns: z.string(), key: z.string() })).parse(rows).map((r) => `${r.ns}/${r.key}`);
    const audit = this.closedAudit(resolved, keys, now);
    if (audit) this.insertAudit(audit);
  }

  protected update<T>(fingerprint: string, fn: (prev: StoredIncident | undefined) => Mutation<T>, kind: ChangeKind): Promise<T> {
    return this.write("incident update", () => {
      const prev = this.readIncident(fingerprint);
      const m = fn(prev);
      if (m.write) this.putIncident(m.write);
      for (const a of m.audit) this.insertAudit(a);
      this.afterWrite(prev, m.write, kind, this.clock.now());
      return m.value;
    });
  }

  protected updateBatch<T>(
    fingerprints: readonly string[],
    cursors: Readonly<Record<string, string>>,
    fn: (read: (fingerprint: string) => StoredIncident | undefined) => BatchMutation<T>,
  ): Promise<T> {
    return this.write("commit", () => {
      const before = new Map(fingerprints.map((fp) => [fp, this.readIncident(fp)]));
      const m = fn((fp) => {
        if (!before.has(fp)) throw new StoreError("invalid", `a batch read incident ${fp} it did not name`);
        return before.get(fp);
      });
      const now = this.clock.now();
      // The batch's own audit lines first: a resolve in it (a merge) audits the records it closes after them.
      for (const a of m.audit) this.insertAudit(a);
      for (const [fp, s] of m.writes) {
        this.putIncident(s);
        this.afterWrite(before.get(fp), s, "activity", now);
      }
      const setCursor = this.stmt("INSERT INTO cursors (source, cursor) VALUES (?, ?) ON CONFLICT (source) DO UPDATE SET cursor = excluded.cursor");
      for (const [source, cursor] of Object.entries(cursors)) setCursor.run(source, cursor);
      return m.value;
    });
  }

  protected lookup(idOrFingerprint: string): Promise<StoredIncident | undefined> {
    return this.read("incident lookup", () => {
      const direct = this.readIncident(idOrFingerprint);
      if (direct) return direct;
      const row = this.stmt("SELECT json FROM incidents WHERE id = ? ORDER BY last_activity DESC LIMIT 1").get(idOrFingerprint);
      return row === undefined ? undefined : decodeRow(this.path, Json.parse(row).json, StoredIncidentSchema, `incident ${idOrFingerprint}`);
    });
  }

  private incidentRows(sql: string, ...args: string[]): Promise<StoredIncident[]> {
    return this.read("incident listing", () =>
      z
        .array(Json.extend({ fingerprint: z.string() }))
        .parse(this.stmt(sql).all(...args))
        .map((r) => decodeRow(this.path, r.json, StoredIncidentSchema, `incident ${r.fingerprint}`)),
    );
  }

  protected allIncidents(): Promise<StoredIncident[]> {
    return this.incidentRows("SELECT fingerprint, json FROM incidents");
  }

  /** By the status column: a daemon's auto-resolve every tick and the poster's resync never parse resolved incidents. */
  protected override incidentsIn(statuses: readonly IncidentStatus[] | undefined): Promise<StoredIncident[]> {
    if (statuses === undefined) return this.allIncidents();
    if (statuses.length === 0) return Promise.resolve([]);
    return this.incidentRows(`SELECT fingerprint, json FROM incidents WHERE status IN (${statuses.map(() => "?").join(", ")})`, ...statuses);
  }

  protected activeSilences(now: number): Promise<Silence[]> {
    return this.read("silence lookup", () =>
      z
        .array(Json.extend({ id: z.string() }))
        .parse(this.stmt("SELECT id, json FROM silences WHERE expires_at > ?").all(now))
        .map((r) => decodeRow(this.path, r.json, SilenceSchema, `silence ${r.id}`)),
    );
  }

  protected async putSilence(silence: Silence, audit: AuditEntry): Promise<void> {
    await this.write("silence", () => {
      this.stmt("INSERT OR REPLACE INTO silences (id, expires_at, json) VALUES (?, ?, ?)").run(silence.id, silence.expiresAt, encodeJson(silence));
      this.insertAudit(audit);
    });
  }

  protected deleteSilence(id: string, now: number, audit: AuditEntry): Promise<boolean> {
    return this.write("silence removal", () => {
      const gone = this.stmt("DELETE FROM silences WHERE id = ? AND expires_at > ?").run(id, now).changes > 0;
      if (gone) this.insertAudit(audit);
      return gone;
    });
  }

  protected async writeAudit(entry: AuditEntry, change: StoreChange | undefined): Promise<void> {
    await this.write("audit append", () => {
      this.insertAudit(entry);
      this.insertChange(change);
    });
  }

  protected readAudit(): Promise<AuditEntry[]> {
    return this.listAudit();
  }

  /** The filters run in SQL (indexed by action and time, and by target), so a long audit log is not read whole. */
  override listAudit(filter: AuditFilter = {}): Promise<AuditEntry[]> {
    return this.read("audit access", () => queryAudit((sql) => this.stmt(sql), this.path, filter));
  }

  getCursor(source: string): Promise<string | undefined> {
    return this.read("cursor access", () => {
      const row = this.stmt("SELECT cursor FROM cursors WHERE source = ?").get(source);
      return row === undefined ? undefined : z.object({ cursor: z.string() }).parse(row).cursor;
    });
  }

  async setCursor(source: string, cursor: string): Promise<void> {
    await this.write("cursor access", () => {
      this.stmt("INSERT INTO cursors (source, cursor) VALUES (?, ?) ON CONFLICT (source) DO UPDATE SET cursor = excluded.cursor").run(source, cursor);
    });
  }

  protected claimKey(key: string, owner: string, ttlMs: number): Promise<ClaimResult> {
    return this.write("claim", () => {
      const now = this.clock.now();
      const row = this.stmt("SELECT owner FROM claims WHERE key = ? AND expires_at > ?").get(key, now);
      if (row !== undefined) return { claimed: false, owner: z.object({ owner: z.string() }).parse(row).owner };
      this.stmt("INSERT OR REPLACE INTO claims (key, owner, expires_at) VALUES (?, ?, ?)").run(key, owner, now + ttlMs);
      return { claimed: true, owner };
    });
  }

  protected releaseKey(key: string, owner: string): Promise<boolean> {
    return this.write("claim release", () => this.stmt("DELETE FROM claims WHERE key = ? AND owner = ? AND expires_at > ?").run(key, owner, this.clock.now()).changes > 0);
  }

  protected async putRecordJson(ns: string, key: string, json: string, ttlMs: number, incident: string | undefined): Promise<void> {
    await this.write("record write", () => {
      this.stmt("INSERT OR REPLACE INTO records (ns, key, json, expires_at, incident) VALUES (?, ?, ?, ?, ?)").run(ns, key, json, this.clock.now() + ttlMs, incident ?? null);
    });
  }

  protected getRecordJson(ns: string, key: string, take: boolean): Promise<string | undefined> {
    const get = () => {
      const row = this.stmt("SELECT json FROM records WHERE ns = ? AND key = ? AND expires_at > ?").get(ns, key, this.clock.now());
      return row === undefined ? undefined : Json.parse(row).json;
    };
    if (!take) return this.read("record read", get);
    // Read and delete in one write transaction: of two processes taking the same record, one gets it.
    return this.write("record take", () => {
      const json = get();
      if (json !== undefined) this.stmt("DELETE FROM records WHERE ns = ? AND key = ?").run(ns, key);
      return json;
    });
  }

  changes(after: string | undefined, limit = DEFAULT_CHANGES_LIMIT): Promise<ChangeBatch> {
    return this.read("change feed", () => readChanges((sql) => this.stmt(sql), after, limit));
  }

  /** Drops resolved incidents past retention and expired silences, claims and records (at most every PRUNE_EVERY_MS). */
  private async prune(): Promise<void> {
    const now = this.clock.now();
    if (now - this.prunedAt < PRUNE_EVERY_MS) return;
    this.prunedAt = now;
    await this.write("pruning", () => {
      this.stmt("DELETE FROM incidents WHERE status = 'resolved' AND resolved_at <= ?").run(now - this.retentionMs);
      this.stmt("DELETE FROM silences WHERE expires_at <= ?").run(now);
      this.stmt("DELETE FROM claims WHERE expires_at <= ?").run(now);
      this.stmt("DELETE FROM records WHERE expires_at <= ?").run(now);
    });
  }

  override async autoResolve(...args: Parameters<StoreCore["autoResolve"]>): Promise<StoredIncident[]> {
    const resolved = await super.autoResolve(...args);
    await this.prune();
    return resolved;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      this.lease?.release();
    } finally {
      this.db.close();
    }
  }

  private assertWritable(): void {
    if (this.closed) throw new StoreError("invalid", `the store ${this.path} is closed`);
    if (this.readOnly) throw new StoreError("invalid", `the store ${this.path} was opened read-only`);
  }
}
