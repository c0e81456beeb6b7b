// The Store operations written once over a few storage primitives; SqliteStore, FileStore and RedisStore supply them.
import { randomUUID } from "node:crypto";
import type { Incident, IncidentStatus } from "../incidents/index.js";
import type { Clock } from "../time.js";
import { StoreError } from "./errors.js";
import { KeyedCore } from "./keyed.js";
import { applyAcknowledge, applyAutoResolve, applyMerge, applyResolve, applySilenced, applySnapshot, applyUnsilenced, isLive, silenceMatches, type Step, type UpsertContext } from "./lifecycle.js";
import {
  SilenceMatchSchema,
  STORE_VERSION,
  StoredProbeSchema,
  type AuditEntry,
  type AuditInput,
  type Silence,
  type SlackRef,
  type StoredIncident,
  type StoredProbe,
} from "./records.js";
import {
  DEFAULT_FLAP_POLICY,
  type AuditFilter,
  type ChangeBatch,
  type ChangeKind,
  type CommitBatch,
  type FlapPolicy,
  type IncidentFilter,
  type NewSilence,
  type ResolveAfter,
  type Store,
  type StoreChange,
  type StoreDeps,
  type UpsertResult,
} from "./store.js";

/** A lifecycle step with its audit lines made into entries (ids and times assigned). */
export interface Mutation<T> {
  readonly write: StoredIncident | undefined;
  readonly audit: readonly AuditEntry[];
  readonly value: T;
}

/** What a batch decided: the records to write by fingerprint, the audit lines to append with them, and `value`. */
export interface BatchMutation<T> {
  readonly writes: ReadonlyMap<string, StoredIncident>;
  readonly audit: readonly AuditEntry[];
  readonly value: T;
}

export abstract class StoreCore extends KeyedCore implements Store {
  protected readonly clock: Clock;
  protected readonly flap: FlapPolicy;
  /** Whether commit takes fences (CommitBatch.fences): only a store shared by several watchers has leases. */
  protected readonly fencing: boolean = false;

  protected constructor(deps: StoreDeps) {
    super();
    this.clock = deps.clock;
    this.flap = deps.flap ?? DEFAULT_FLAP_POLICY;
  }

  /**
   * Atomic read-modify-write of one incident: `fn` sees the current record and decides. It may run more than once
   * (optimistic retries), so it must be pure. Writes `write` and appends `audit` together, with the change feed entry
   * (`feedEntry(prev, write, kind)`), and when the write resolves the incident, closes its attached records
   * (`closedAudit`); returns `value`.
   */
  protected abstract update<T>(fingerprint: string, fn: (prev: StoredIncident | undefined) => Mutation<T>, kind: ChangeKind): Promise<T>;
  /**
   * Atomic read-modify-write of several incidents plus cursors: `fn` reads the current records of `fingerprints`
   * (only those) and decides; the writes, audit lines, feed entries (kind "activity") and cursors land together or
   * not at all. `fn` may run more than once, so it must be pure.
   */
  protected abstract updateBatch<T>(
    fingerprints: readonly string[],
    cursors: Readonly<Record<string, string>>,
    fn: (read: (fingerprint: string) => StoredIncident | undefined) => BatchMutation<T>,
    fences?: Readonly<Record<string, number>>,
  ): Promise<T>;
  protected abstract lookup(idOrFingerprint: string): Promise<StoredIncident | undefined>;
  protected abstract allIncidents(): Promise<StoredIncident[]>;
  /** Silences whose expiry is after `now`. */
  protected abstract activeSilences(now: number): Promise<Silence[]>;
  protected abstract putSilence(silence: Silence, audit: AuditEntry): Promise<void>;
  /** Deletes and audits only if it exists and is active; false otherwise. */
  protected abstract deleteSilence(id: string, now: number, audit: AuditEntry): Promise<boolean>;
  /** Appends the entry, and `change` to the feed with it when given. */
  protected abstract writeAudit(entry: AuditEntry, change: StoreChange | undefined): Promise<void>;
  protected abstract readAudit(): Promise<AuditEntry[]>;
  abstract changes(after: string | undefined, limit?: number): Promise<ChangeBatch>;
  abstract getCursor(source: string): Promise<string | undefined>;
  abstract setCursor(source: string, cursor: string): Promise<void>;
  abstract close(): Promise<void>;

  protected auditEntry(input: AuditInput, now: number): AuditEntry {
    return { v: STORE_VERSION, id: randomUUID(), at: input.at ?? now, actor: input.actor, action: input.action, target: input.target, details: input.details };
  }

  /** The feed entry for a write: a status change is "status" whatever made it (a snapshot reopening it, a resolve). */
  protected feedEntry(prev: StoredIncident | undefined, write: StoredIncident | undefined, kind: ChangeKind, now: number): StoreChange | undefined {
    if (!write) return undefined;
    return { incident: write.incident.id, kind: prev !== undefined && prev.status !== write.status ? "status" : kind, at: now };
  }

  /** The audit line for the records (`NS/KEY`) closed because `resolved` was resolved; undefined when there were none. */
  protected closedAudit(resolved: StoredIncident, records: readonly string[], now: number): AuditEntry | undefined {
    if (records.length === 0) return undefined;
    const by = resolved.resolved?.by ?? "firewatch";
    return this.auditEntry({ actor: by, action: "incident.requests_closed", target: resolved.incident.id, details: { count: records.length, records: [...records].sort().join(",") } }, now);
  }

  private entries<T>(step: Step<T>, now: number): Mutation<T> {
    return { write: step.write, audit: step.audit.map((a) => this.auditEntry(a, now)), value: step.value };
  }

  private upsertStep(prev: StoredIncident | undefined, snapshot: Incident, ctx: UpsertContext): Mutation<UpsertResult> {
    const m = this.entries(applySnapshot(prev, snapshot, ctx), ctx.now);
    const incident = m.write ?? prev;
    if (!incident) throw new StoreError("invalid", `snapshot ${snapshot.id} produced no incident`);
    return { ...m, value: { outcome: m.value.outcome, silenceId: m.value.silenceId, incident } };
  }

  async upsert(snapshot: Incident): Promise<UpsertResult> {
    const now = this.clock.now();
    const ctx = { now, flap: this.flap, silences: await this.activeSilences(now) };
    return this.update(snapshot.fingerprint, (prev) => this.upsertStep(prev, snapshot, ctx), "activity");
  }

  async commit(batch: CommitBatch): Promise<UpsertResult[]> {
    for (const [source, cursor] of Object.entries(batch.cursors)) {
      if (source === "" || typeof cursor !== "string") throw new StoreError("invalid", `a commit needs string cursors by source name, got ${JSON.stringify(source)}: ${typeof cursor}`);
    }
    if (batch.fences !== undefined && Object.keys(batch.fences).length > 0 && !this.fencing) {
      throw new StoreError("invalid", "source leases (scale:) need the Redis store; this store has one writer and no leases", { hint: "use --store redis://HOST:PORT, or remove the scale: section" });
    }
    const now = this.clock.now();
    const silences = batch.snapshots.length > 0 ? await this.activeSilences(now) : [];
    const ctx: UpsertContext = { now, flap: this.flap, silences, run: batch.run };
    const merges = batch.merges ?? {};
    const fingerprints = [...new Set(batch.snapshots.flatMap((s) => [s.fingerprint, ...(merges[s.fingerprint] ?? [])]))];
    return this.updateBatch(fingerprints, batch.cursors, (read) => {
      // Snapshots of one fingerprint in one batch apply in order, each on what the one before decided.
      const current = new Map<string, StoredIncident>();
      const writes = new Map<string, StoredIncident>();
      const audit: AuditEntry[] = [];
      const now = (fp: string) => current.get(fp) ?? read(fp);
      const value = batch.snapshots.map((snap) => {
        let prev = now(snap.fingerprint);
        const merged: StoredIncident[] = [];
        for (const fp of prev === undefined ? [] : merges[snap.fingerprint] ?? []) {
          const from = now(fp);
          const step = prev !== undefined && from !== undefined ? applyMerge(prev, from, ctx.now) : undefined;
          if (step === undefined) continue;
          prev = step.into;
          writes.set(fp, step.from);
          current.set(fp, step.from);
          writes.set(snap.fingerprint, step.into);
          audit.push(...step.audit.map((a) => this.auditEntry(a, ctx.now)));
          merged.push(step.from);
        }
        const m = this.upsertStep(prev, snap, ctx);
        if (m.write) writes.set(snap.fingerprint, m.write);
        current.set(snap.fingerprint, m.value.incident);
        audit.push(...m.audit);
        // The fold alone changed what it holds: its post and report follow even when the snapshot adds nothing.
        return merged.length > 0 ? { ...m.value, outcome: m.value.outcome === "unchanged" ? "updated" : m.value.outcome, incident: m.value.incident, merged } : m.value;
      });
      return { writes, audit, value };
    }, batch.fences);
  }

  async get(idOrFingerprint: string): Promise<StoredIncident | undefined> {
    return this.lookup(idOrFingerprint);
  }

  /** Incidents whose status is one of `statuses` (all when undefined); a store with an index answers from it. */
  protected async incidentsIn(statuses: readonly IncidentStatus[] | undefined): Promise<StoredIncident[]> {
    const all = await this.allIncidents();
    return statuses ? all.filter((s) => statuses.includes(s.status)) : all;
  }

  async list(filter: IncidentFilter = {}): Promise<StoredIncident[]> {
    const all = await this.incidentsIn(filter.status);
    return all
      .filter(
        (s) =>
          (!filter.status || filter.status.includes(s.status)) &&
          (filter.host === undefined || s.incident.host === filter.host) &&
          (filter.service === undefined || s.incident.service === filter.service) &&
          (filter.rule === undefined || s.incident.findings.some((f) => f.rule === filter.rule)),
      )
      .sort((a, b) => b.lastActivityAt - a.lastActivityAt || a.incident.id.localeCompare(b.incident.id));
  }

  private async change(idOrFingerprint: string, kind: ChangeKind, fn: (prev: StoredIncident, now: number) => Step<StoredIncident>): Promise<StoredIncident> {
    const found = await this.lookup(idOrFingerprint);
    if (!found) throw notFound(idOrFingerprint);
    const now = this.clock.now();
    return this.update(
      found.incident.fingerprint,
      (prev) => {
        if (!prev) throw notFound(idOrFingerprint);
        return this.entries(fn(prev, now), now);
      },
      kind,
    );
  }

  acknowledge(idOrFingerprint: string, by: string, note?: string): Promise<StoredIncident> {
    return this.change(idOrFingerprint, "status", (prev, now) => applyAcknowledge(prev, by, note, now));
  }

  resolve(idOrFingerprint: string, by: string, note?: string): Promise<StoredIncident> {
    return this.change(idOrFingerprint, "status", (prev, now) => applyResolve(prev, by, note, now));
  }

  setSlackRef(idOrFingerprint: string, ref: SlackRef): Promise<StoredIncident> {
    return this.change(idOrFingerprint, "slack", (prev, now) => {
      const next = { ...prev, slack: ref, updatedAt: now };
      return { write: next, audit: [], value: next };
    });
  }

  async setProbes(idOrFingerprint: string, probes: readonly StoredProbe[]): Promise<StoredIncident> {
    // Through JSON and the schema: what is kept is exactly what a reader gets back, in either store.
    let json: unknown;
    try {
      json = JSON.parse(JSON.stringify(probes)) as unknown;
    } catch (e) {
      throw new StoreError("invalid", `probe results must be JSON-safe`, { cause: e });
    }
    const parsed = StoredProbeSchema.array().safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new StoreError("invalid", `invalid probe result${issue ? ` at ${issue.path.join(".")}: ${issue.message}` : ""}`, { cause: parsed.error });
    }
    const checked = parsed.data;
    return this.change(idOrFingerprint, "probes", (prev, now) => {
      const next = { ...prev, probes: checked, updatedAt: now };
      return { write: next, audit: [], value: next };
    });
  }

  async autoResolve(resolveAfter: ResolveAfter): Promise<StoredIncident[]> {
    const now = this.clock.now();
    const resolved: StoredIncident[] = [];
    // Quietest first, then by fingerprint: the same order (and audit order) on every implementation.
    const all = (await this.incidentsIn(LIVE_STATUSES)).sort((a, b) => a.lastActivityAt - b.lastActivityAt || a.incident.fingerprint.localeCompare(b.incident.fingerprint));
    for (const s of all) {
      if (!isLive(s.status)) continue;
      // Decided on the copy just read first: an incident not due needs no write transaction (issue 18: with a few
      // hundred live incidents, the embedded database ran one per incident every second). One that is due is decided
      // again inside the transaction, on what is stored then; one that became due since this read waits for the next pass.
      if (applyAutoResolve(s, resolveAfter, this.flap, now).write === undefined) continue;
      const done = await this.update(
        s.incident.fingerprint,
        (prev) => (prev ? this.entries(applyAutoResolve(prev, resolveAfter, this.flap, now), now) : { write: undefined, audit: [], value: undefined }),
        "status",
      );
      if (done) resolved.push(done);
    }
    return resolved;
  }

  async addSilence(input: NewSilence): Promise<Silence> {
    if (!(input.durationMs > 0)) throw new StoreError("invalid", `a silence needs a positive duration, got ${input.durationMs} ms`);
    const checked = SilenceMatchSchema.safeParse(input.match);
    if (!checked.success) throw new StoreError("invalid", `a silence needs at least one of rule, host, service, fingerprint`);
    const now = this.clock.now();
    const silence: Silence = {
      v: STORE_VERSION,
      id: `sil-${randomUUID().slice(0, 8)}`,
      match: checked.data,
      createdBy: input.by,
      createdAt: now,
      expiresAt: now + input.durationMs,
      reason: input.reason,
    };
    const m = input.match;
    const audit = this.auditEntry(
      {
        actor: input.by,
        action: "silence.added",
        target: silence.id,
        details: { rule: m.rule ?? null, host: m.host ?? null, service: m.service ?? null, fingerprint: m.fingerprint ?? null, expiresAt: silence.expiresAt, reason: input.reason ?? null },
      },
      now,
    );
    await this.putSilence(silence, audit);
    // The live incidents it covers say so now (their posts too), not only at their next snapshot. By fingerprint:
    // the same order (feed, audit) on every implementation.
    for (const s of await this.byFingerprint()) {
      if (!isLive(s.status) || !silenceMatches(silence.match, s.incident)) continue;
      await this.update(s.incident.fingerprint, (prev) => (prev ? this.entries(applySilenced(prev, silence, now), now) : { write: undefined, audit: [], value: undefined }), "silence");
    }
    return silence;
  }

  async listSilences(): Promise<Silence[]> {
    const now = this.clock.now();
    return (await this.activeSilences(now)).sort((a, b) => a.expiresAt - b.expiresAt || a.id.localeCompare(b.id));
  }

  async removeSilence(id: string, by: string): Promise<boolean> {
    const now = this.clock.now();
    const removed = await this.deleteSilence(id, now, this.auditEntry({ actor: by, action: "silence.removed", target: id, details: {} }, now));
    if (!removed) return false;
    for (const s of await this.byFingerprint()) {
      if (s.silencedBy !== id) continue;
      await this.update(s.incident.fingerprint, (prev) => (prev ? this.entries(applyUnsilenced(prev, id, now), now) : { write: undefined, audit: [], value: undefined }), "silence");
    }
    return true;
  }

  private async byFingerprint(): Promise<StoredIncident[]> {
    return (await this.allIncidents()).sort((a, b) => a.incident.fingerprint.localeCompare(b.incident.fingerprint));
  }

  async appendAudit(input: AuditInput): Promise<AuditEntry> {
    const now = this.clock.now();
    const entry = this.auditEntry(input, now);
    // A remediation step (requested, approved, ran) changes what the incident's post offers: it goes into the feed.
    const feed: StoreChange | undefined = entry.action.startsWith("action.") && entry.target !== undefined ? { incident: entry.target, kind: "action", at: now } : undefined;
    await this.writeAudit(entry, feed);
    return entry;
  }

  async listAudit(filter: AuditFilter = {}): Promise<AuditEntry[]> {
    const all = (await this.readAudit()).filter(
      (e) =>
        (filter.target === undefined || e.target === filter.target) &&
        (filter.actor === undefined || e.actor === filter.actor) &&
        (filter.action === undefined || e.action === filter.action) &&
        (filter.since === undefined || e.at >= filter.since),
    );
    return filter.limit === undefined ? all : all.slice(Math.max(0, all.length - filter.limit));
  }
}

const LIVE_STATUSES: readonly IncidentStatus[] = ["open", "observed", "acknowledged"];

function notFound(id: string): StoreError {
  return new StoreError("not_found", `no incident ${id} in the store`, { hint: "`firewatch incidents list` shows the ids" });
}
