// FileStore: the embedded default. State in memory, made durable in an atomically replaced state.json plus an append-only audit.jsonl.
import type { FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "./atomic-write.js";
import { StoreError } from "./errors.js";
import { AUDIT_FILE, LOCK_FILE, loadAudit, loadState, removeLeftoverTemps, STATE_FILE, type FileStoreOptions } from "./file-load.js";
import { acquireDirLock, type DirLock } from "./file-lock.js";
import { ensureSafeDir, openAppendSafe } from "./safe-fs.js";
import { encodeJson, STORE_VERSION, type AuditEntry, type Silence, type StoredIncident } from "./records.js";
import { resolvesNow } from "./lifecycle.js";
import { StoreCore, type BatchMutation, type Mutation } from "./store-core.js";
import { CHANGE_FEED_KEEP, type ChangeBatch, type ChangeKind, type ClaimResult, type StoreChange } from "./store.js";

export type { FileStoreOptions };
import { DEFAULT_RETENTION_MS, type StoreDeps } from "./store.js";

export class FileStore extends StoreCore {
  private readonly incidents = new Map<string, StoredIncident>();
  private readonly ids = new Map<string, string>();
  private readonly silences = new Map<string, Silence>();
  private readonly cursors = new Map<string, string>();
  private readonly claims = new Map<string, { owner: string; expiresAt: number }>();
  private readonly records = new Map<string, { json: string; expiresAt: number; incident?: string | undefined }>();
  // The change feed lives in memory: one process writes a file store, so its own poster reads it here.
  private readonly feed: { seq: number; change: StoreChange }[] = [];
  private feedSeq = 0;
  private readonly audit: AuditEntry[] = [];
  private pendingAudit: AuditEntry[] = [];
  private changeCount = 0;
  private written = 0;
  private flushing: Promise<void> | undefined;
  private closed = false;
  /**
   * Each stored incident's JSON, by object: a write replaces the object and nothing changes one in place, so a flush
   * encodes only the incidents written since the last one (a catch-up rewrote ~190 unchanged incidents, 700 KB, at
   * every commit).
   */
  private readonly encoded = new WeakMap<StoredIncident, string>();

  private constructor(
    readonly dir: string,
    deps: StoreDeps,
    private readonly lock: DirLock | undefined,
    private readonly auditFile: FileHandle | undefined,
    private readonly retentionMs: number,
  ) {
    super(deps);
  }

  /** Opens (creating the directory if needed) and loads the store; refuses a directory another live process holds. */
  static async open(dir: string, deps: StoreDeps, opts: FileStoreOptions = {}): Promise<FileStore> {
    const readOnly = opts.readOnly === true;
    // Refused when another local user owns it, can write it, or made it a symlink (README's /tmp/firewatch-demo).
    if (!readOnly) await ensureSafeDir(dir, { mode: 0o700, what: "the store" });
    const lock = readOnly ? undefined : await acquireDirLock(join(dir, LOCK_FILE), new Date(deps.clock.now()));
    try {
      const state = await loadState(dir, deps, opts);
      const audit = await loadAudit(dir, deps, opts, readOnly);
      if (!readOnly) await removeLeftoverTemps(dir);
      const fh = readOnly ? undefined : await openAppendSafe(join(dir, AUDIT_FILE));
      const store = new FileStore(dir, deps, lock, fh, opts.retentionMs ?? DEFAULT_RETENTION_MS);
      for (const s of state?.incidents ?? []) {
        store.incidents.set(s.incident.fingerprint, s);
        store.ids.set(s.incident.id, s.incident.fingerprint);
      }
      for (const s of state?.silences ?? []) store.silences.set(s.id, s);
      for (const [k, v] of Object.entries(state?.cursors ?? {})) store.cursors.set(k, v);
      for (const [k, v] of Object.entries(state?.claims ?? {})) store.claims.set(k, v);
      for (const [k, v] of Object.entries(state?.records ?? {})) store.records.set(k, v);
      store.audit.push(...audit);
      return store;
    } catch (e) {
      await lock?.release();
      throw e;
    }
  }

  protected async update<T>(fingerprint: string, fn: (prev: StoredIncident | undefined) => Mutation<T>, kind: ChangeKind): Promise<T> {
    this.assertWritable();
    // Read, decide and apply happen in one synchronous turn: nothing else in this process interleaves.
    const prev = this.incidents.get(fingerprint);
    const m = fn(prev);
    if (m.write) {
      this.incidents.set(fingerprint, m.write);
      this.ids.set(m.write.incident.id, fingerprint);
    }
    if (m.write || m.audit.length > 0) {
      this.queueAudit(m.audit);
      if (m.write) this.afterWrite(prev, m.write, kind);
      await this.persist();
    }
    return m.value;
  }

  protected async updateBatch<T>(
    _fingerprints: readonly string[],
    cursors: Readonly<Record<string, string>>,
    fn: (read: (fingerprint: string) => StoredIncident | undefined) => BatchMutation<T>,
  ): Promise<T> {
    this.assertWritable();
    // Everything is applied in one synchronous turn, so one flush (one atomic state write) carries all of it.
    const m = fn((fp) => this.incidents.get(fp));
    // The batch's own audit lines first: a resolve in it (a merge) audits the records it closes after them.
    this.queueAudit(m.audit);
    for (const [fp, s] of m.writes) {
      const prev = this.incidents.get(fp);
      this.incidents.set(fp, s);
      this.ids.set(s.incident.id, fp);
      this.afterWrite(prev, s, "activity");
    }
    let moved = false;
    for (const [source, cursor] of Object.entries(cursors)) {
      if (this.cursors.get(source) === cursor) continue;
      this.cursors.set(source, cursor);
      moved = true;
    }
    if (m.writes.size > 0 || m.audit.length > 0 || moved) await this.persist();
    return m.value;
  }

  protected async lookup(idOrFingerprint: string): Promise<StoredIncident | undefined> {
    const fp = this.ids.get(idOrFingerprint) ?? idOrFingerprint;
    return this.incidents.get(fp);
  }

  protected async allIncidents(): Promise<StoredIncident[]> {
    return [...this.incidents.values()];
  }

  protected async activeSilences(now: number): Promise<Silence[]> {
    return [...this.silences.values()].filter((s) => s.expiresAt > now);
  }

  protected async putSilence(silence: Silence, audit: AuditEntry): Promise<void> {
    this.assertWritable();
    this.silences.set(silence.id, silence);
    this.queueAudit([audit]);
    await this.persist();
  }

  protected async deleteSilence(id: string, now: number, audit: AuditEntry): Promise<boolean> {
    this.assertWritable();
    const s = this.silences.get(id);
    if (!s || s.expiresAt <= now) return false;
    this.silences.delete(id);
    this.queueAudit([audit]);
    await this.persist();
    return true;
  }

  protected async writeAudit(entry: AuditEntry, change: StoreChange | undefined): Promise<void> {
    this.assertWritable();
    this.queueAudit([entry]);
    this.pushChange(change);
    await this.persist();
  }

  async changes(after: string | undefined, limit = 500): Promise<ChangeBatch> {
    const head = this.feedSeq;
    const from = after === undefined ? head : /^\d+$/.test(after) ? Number(after) : -1;
    if (from < 0 || from > head) return { next: String(head), changes: [], lost: true };
    const first = this.feed[0]?.seq ?? head + 1;
    const rows = this.feed.slice(Math.max(0, from + 1 - first), Math.max(0, from + 1 - first) + Math.max(1, limit));
    return { next: String(rows.at(-1)?.seq ?? from), changes: rows.map((r) => r.change), lost: from < head && first > from + 1 };
  }

  private pushChange(change: StoreChange | undefined): void {
    if (!change) return;
    this.feed.push({ seq: ++this.feedSeq, change });
    if (this.feed.length > CHANGE_FEED_KEEP) this.feed.splice(0, this.feed.length - CHANGE_FEED_KEEP);
  }

  /** An incident write's feed entry; when it resolves the incident, its attached records are dropped in the same turn. */
  private afterWrite(prev: StoredIncident | undefined, write: StoredIncident, kind: ChangeKind): void {
    const now = this.clock.now();
    this.pushChange(this.feedEntry(prev, write, kind, now));
    const resolved = resolvesNow(prev, write);
    if (!resolved) return;
    const closed: string[] = [];
    for (const [id, r] of this.records) {
      if (r.incident !== resolved.incident.id) continue;
      this.records.delete(id);
      closed.push(id.replace(":", "/"));
    }
    const audit = this.closedAudit(resolved, closed, now);
    if (audit) this.queueAudit([audit]);
  }

  protected async readAudit(): Promise<AuditEntry[]> {
    return [...this.audit];
  }

  async getCursor(source: string): Promise<string | undefined> {
    return this.cursors.get(source);
  }

  async setCursor(source: string, cursor: string): Promise<void> {
    this.assertWritable();
    if (this.cursors.get(source) === cursor) return;
    this.cursors.set(source, cursor);
    await this.persist();
  }

  // One writer per directory (the lock): deciding and setting in one synchronous turn is atomic for every caller.
  protected async claimKey(key: string, owner: string, ttlMs: number): Promise<ClaimResult> {
    this.assertWritable();
    const now = this.clock.now();
    const held = this.claims.get(key);
    if (held && held.expiresAt > now) return { claimed: false, owner: held.owner };
    this.claims.set(key, { owner, expiresAt: now + ttlMs });
    await this.persist();
    return { claimed: true, owner };
  }

  protected async releaseKey(key: string, owner: string): Promise<boolean> {
    this.assertWritable();
    const held = this.claims.get(key);
    if (!held || held.owner !== owner || held.expiresAt <= this.clock.now()) return false;
    this.claims.delete(key);
    await this.persist();
    return true;
  }

  protected async putRecordJson(ns: string, key: string, json: string, ttlMs: number, incident: string | undefined): Promise<void> {
    this.assertWritable();
    this.records.set(`${ns}:${key}`, { json, expiresAt: this.clock.now() + ttlMs, incident });
    await this.persist();
  }

  // Read and delete in one synchronous turn: of two callers in this process, one gets it.
  protected async getRecordJson(ns: string, key: string, take: boolean): Promise<string | undefined> {
    if (take) this.assertWritable();
    const id = `${ns}:${key}`;
    const r = this.records.get(id);
    if (!r || r.expiresAt <= this.clock.now()) return undefined;
    if (take) {
      this.records.delete(id);
      await this.persist();
    }
    return r.json;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    try {
      if (this.lock && this.written < this.changeCount) await this.persist();
    } finally {
      this.closed = true;
      await this.auditFile?.close();
      await this.lock?.release();
    }
  }

  private assertWritable(): void {
    if (this.closed) throw new StoreError("invalid", `the store ${this.dir} is closed`);
    if (!this.lock) throw new StoreError("invalid", `the store ${this.dir} was opened read-only`);
  }

  private queueAudit(entries: readonly AuditEntry[]): void {
    this.audit.push(...entries);
    this.pendingAudit.push(...entries);
  }

  // Group commit: every change bumps `changes`; a caller returns once a flush that started after its change has
  // finished, so concurrent callers share one fsync'd write instead of queueing one each.
  private async persist(): Promise<void> {
    const target = ++this.changeCount;
    while (this.written < target) {
      this.flushing ??= this.flush().finally(() => {
        this.flushing = undefined;
      });
      await this.flushing;
    }
  }

  private encodedIncident(s: StoredIncident): string {
    let json = this.encoded.get(s);
    if (json === undefined) this.encoded.set(s, (json = encodeJson(s)));
    return json;
  }

  private async flush(): Promise<void> {
    // State and audit are taken in the same synchronous turn, so this flush writes exactly the changes whose audit
    // lines it appends; what changes during its awaits waits for the next flush.
    const upTo = this.changeCount;
    const audit = this.pendingAudit;
    this.pendingAudit = [];
    const now = this.clock.now();
    for (const [fp, s] of this.incidents) {
      if (s.status === "resolved" && s.resolved && s.resolved.at <= now - this.retentionMs) {
        this.incidents.delete(fp);
        if (this.ids.get(s.incident.id) === fp) this.ids.delete(s.incident.id);
      }
    }
    for (const expiring of [this.claims, this.records]) for (const [k, c] of expiring) if (c.expiresAt <= now) expiring.delete(k);
    // The same bytes as encodeJson({ v, incidents, silences, cursors, claims, records }), the incidents taken from `encoded`.
    const rest = encodeJson({
      silences: [...this.silences.values()].filter((s) => s.expiresAt > now),
      cursors: Object.fromEntries(this.cursors),
      claims: Object.fromEntries(this.claims),
      records: Object.fromEntries(this.records),
    });
    const state = `{"v":${encodeJson(STORE_VERSION)},"incidents":[${[...this.incidents.values()].map((s) => this.encodedIncident(s)).join(",")}],${rest.slice(1)}`;
    try {
      // Audit first: after a crash the log may name a change the state lacks, never the reverse.
      if (audit.length > 0 && this.auditFile) {
        await this.auditFile.appendFile(audit.map((a) => encodeJson(a) + "\n").join(""), "utf8");
        await this.auditFile.sync();
      }
    } catch (e) {
      this.pendingAudit = [...audit, ...this.pendingAudit];
      throw e;
    }
    await writeFileAtomic(join(this.dir, STATE_FILE), state);
    this.written = upTo;
  }
}
