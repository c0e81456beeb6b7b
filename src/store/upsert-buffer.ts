// Keeps incident snapshots that could not be stored (Redis down past the bound) and stores them when it is back.
import type { Logger } from "pino";
import type { Incident } from "../incidents/index.js";
import { isStoreError } from "./errors.js";
import type { Store, UpsertResult } from "./store.js";

/** The snapshot is kept for later: the store was unreachable. `pending` counts the fingerprints waiting. */
export interface DeferredUpsert {
  readonly outcome: "deferred";
  readonly fingerprint: string;
  readonly pending: number;
}

export interface UpsertBufferOptions {
  /** Fingerprints kept at most while the store is unreachable (default 10 000); beyond, the oldest is dropped. */
  readonly maxPending?: number;
  readonly log?: Logger;
}

/**
 * Put between the pipeline and a store that can be unreachable. Snapshots of one fingerprint only grow and the store
 * merges them idempotently, so keeping the latest snapshot per fingerprint loses nothing: when the store is back,
 * replaying it gives the same incident as if every snapshot had landed. Bounded: past maxPending fingerprints the
 * oldest is dropped, counted and logged as an error (data lost).
 */
export class UpsertBuffer {
  private readonly waiting = new Map<string, Incident>();
  private readonly maxPending: number;
  private droppedCount = 0;
  /** Results of the last flush by fingerprint, so `upsert` can answer for a snapshot that flush stored. */
  private lastResults = new Map<string, UpsertResult>();

  constructor(
    private readonly store: Store,
    private readonly opts: UpsertBufferOptions = {},
  ) {
    this.maxPending = opts.maxPending ?? 10_000;
  }

  get pending(): number {
    return this.waiting.size;
  }

  /** Fingerprints dropped because the buffer was full. */
  get dropped(): number {
    return this.droppedCount;
  }

  /** Stores the waiting snapshots (oldest first), then this one; defers whatever the store cannot take now. */
  async upsert(snapshot: Incident): Promise<UpsertResult | DeferredUpsert> {
    if (this.waiting.size > 0) {
      // Ours goes to the back of the queue, replacing an older snapshot of the same fingerprint.
      this.defer(snapshot);
      await this.flush();
      if (!this.waiting.has(snapshot.fingerprint)) return this.lastResults.get(snapshot.fingerprint) ?? this.deferred(snapshot);
      return this.deferred(snapshot);
    }
    try {
      return await this.store.upsert(snapshot);
    } catch (e) {
      if (!isStoreError(e, "unavailable")) throw e;
      this.defer(snapshot);
      this.opts.log?.warn({ errorType: "store_unavailable", incidentId: snapshot.id, pending: this.waiting.size }, "Kept an incident snapshot until the store is reachable.");
      return this.deferred(snapshot);
    }
  }

  /** Stores the waiting snapshots, oldest first; stops at the first one the store cannot take (it stays waiting). */
  async flush(): Promise<UpsertResult[]> {
    const done: UpsertResult[] = [];
    this.lastResults = new Map();
    for (const [fp, snap] of [...this.waiting]) {
      try {
        const r = await this.store.upsert(snap);
        // Only remove it if no newer snapshot of the same fingerprint arrived meanwhile.
        if (this.waiting.get(fp) === snap) this.waiting.delete(fp);
        this.lastResults.set(fp, r);
        done.push(r);
      } catch (e) {
        if (!isStoreError(e, "unavailable")) throw e;
        break;
      }
    }
    if (done.length > 0) this.opts.log?.warn({ stored: done.length, pending: this.waiting.size }, "Stored incident snapshots kept while the store was unreachable.");
    return done;
  }

  private defer(snapshot: Incident): void {
    this.waiting.delete(snapshot.fingerprint);
    this.waiting.set(snapshot.fingerprint, snapshot);
    while (this.waiting.size > this.maxPending) {
      const oldest = this.waiting.keys().next().value;
      if (oldest === undefined) break;
      this.waiting.delete(oldest);
      this.droppedCount++;
      this.opts.log?.error({ errorType: "store_buffer_full", fingerprint: oldest, dropped: this.droppedCount }, "Dropped an incident snapshot: the store has been unreachable too long.");
    }
  }

  private deferred(snapshot: Incident): DeferredUpsert {
    return { outcome: "deferred", fingerprint: snapshot.fingerprint, pending: this.waiting.size };
  }
}
