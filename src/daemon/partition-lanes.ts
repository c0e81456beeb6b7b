// The analyzer role (scale.streams): a lane per partition held, reading its stream through the consumer group.
//
// A lane first takes the partition over under its lease token (claiming every entry delivered and not acknowledged,
// whoever read it), then reads new entries. Its cursor is stored like a source's (CursorTracker parts): part "" is the
// id of the last entry whose records went through the engine, and part "seq:SOURCE" the number of the last record of
// SOURCE counted. An entry at or before the stored id was counted by an earlier run: it is only acknowledged. A
// record whose number was counted already (a collector published it twice) is skipped. Entries are acknowledged
// once a commit covers them (`acker.committed`), so an analyzer killed in between leaves them pending for the next.
import type { Logger } from "pino";
import { decodeEntry } from "../scale/index.js";
import { StoreError, type RecordStreams } from "../store/index.js";
import type { Clock } from "../time.js";
import { decodeSourceCursor } from "./cursors.js";
import type { Lane } from "./merge.js";
import type { SourceBatch, SourceItem } from "./source-runner.js";

const SEQ_PART = "seq:";

/** Entries read per round trip; the pause after a read that found nothing doubles from the first to the last. */
const READ_COUNT = 8;
const IDLE_POLL_MS = 25;
const IDLE_POLL_MAX_MS = 200;

/** Compares two stream ids ("ms-seq"). */
export function compareIds(a: string, b: string): number {
  const [am = "0", as = "0"] = a.split("-");
  const [bm = "0", bs = "0"] = b.split("-");
  if (am.length !== bm.length) return am.length - bm.length;
  if (am !== bm) return am < bm ? -1 : 1;
  return Number(as) - Number(bs);
}

/** The entries each partition handed out and not yet acknowledged; acknowledges those a commit covers. */
export function createAcker(streams: Pick<RecordStreams, "ack">, log: Logger) {
  const delivered = new Map<string, string[]>();
  return {
    delivered(partition: string, id: string) {
      let d = delivered.get(partition);
      if (d === undefined) delivered.set(partition, (d = []));
      d.push(id);
    },
    /** After a commit landed: acknowledges every entry up to the committed id of each partition in `cursors`. */
    async committed(cursors: Readonly<Record<string, string>>): Promise<void> {
      for (const [partition, text] of Object.entries(cursors)) {
        const d = delivered.get(partition);
        const upTo = decodeSourceCursor(text).get("");
        if (d === undefined || upTo === undefined) continue;
        let n = 0;
        while (n < d.length && compareIds(d[n] ?? "", upTo) <= 0) n += 1;
        if (n === 0) continue;
        const ids = d.splice(0, n);
        // Not fatal: an entry left pending is claimed by the next holder and skipped there (its id is covered).
        await streams.ack(partition, ids).catch((e: unknown) => log.warn({ partition, err: e }, "Could not acknowledge committed entries; the next holder will."));
      }
    },
    /** Acknowledges entries an earlier run's commit covers already. */
    async covered(partition: string, ids: readonly string[]): Promise<void> {
      await streams.ack(partition, ids).catch(() => undefined);
    },
  };
}
export type Acker = ReturnType<typeof createAcker>;

export interface PartitionLaneDeps {
  readonly streams: Pick<RecordStreams, "take" | "read">;
  readonly acker: Acker;
  /** This analyzer's consumer name in the group (its watcher id). */
  readonly consumer: string;
  readonly clock: Clock;
  readonly log: Logger;
  /** Counts entries that are not firewatch records (skipped, their position still moves). */
  readonly onBadEntry?: (partition: string) => void;
}

/** The lane of `partition`, read under lease `token` from its stored cursor. */
export function partitionLane(partition: string, token: number, stored: string | undefined, deps: PartitionLaneDeps, signal: AbortSignal): Lane<SourceBatch> {
  return { name: partition, items: read(partition, token, stored, deps, signal) };
}

async function* read(partition: string, token: number, stored: string | undefined, deps: PartitionLaneDeps, signal: AbortSignal): AsyncGenerator<SourceBatch> {
  const parts = decodeSourceCursor(stored);
  let last = parts.get("") ?? "0-0";
  const seen = new Map<string, number>();
  for (const [k, v] of parts) if (k.startsWith(SEQ_PART)) seen.set(k.slice(SEQ_PART.length), Number(v));
  const fenced = () => new StoreError("fenced", `partition ${partition} was taken over by another analyzer`);

  const batchOf = function* (entries: readonly { id: string; payload: string | undefined }[]): Generator<SourceBatch> {
    const old: string[] = [];
    for (const e of entries) {
      if (compareIds(e.id, last) <= 0) {
        old.push(e.id);
        continue;
      }
      last = e.id;
      const records = e.payload === undefined ? undefined : decodeEntry(e.payload);
      if (records === undefined) {
        deps.onBadEntry?.(partition);
        deps.log.warn({ partition, entry: e.id, errorType: "bad_entry" }, "Skipped a stream entry that holds no firewatch records.");
      }
      const batch: SourceItem[] = [];
      for (const r of records ?? []) {
        if (r.seq <= (seen.get(r.source) ?? 0)) continue;
        seen.set(r.source, r.seq);
        batch.push({ source: partition, host: r.host, record: r.record, part: SEQ_PART + r.source, cursor: String(r.seq) });
      }
      batch.push({ source: partition, host: "", record: undefined, part: "", cursor: e.id });
      deps.acker.delivered(partition, e.id);
      yield batch;
    }
    if (old.length > 0) void deps.acker.covered(partition, old);
  };

  const claimed = await deps.streams.take(partition, deps.consumer, token);
  if (claimed === "fenced") throw fenced();
  if (claimed.length > 0) deps.log.info({ partition, entries: claimed.length, from: claimed[0]?.id, after: last }, "Claimed a partition's pending entries.");
  yield* batchOf(claimed);
  // Reads are scripts (they check the token), which cannot block: a quiet partition is polled, less often the longer
  // it stays quiet (25 ms up to 200 ms), so an idle fleet costs Redis ~5 reads/s per partition, a busy one no wait.
  let idle = IDLE_POLL_MS;
  while (!signal.aborted) {
    const got = (await deps.streams.read(new Map([[partition, token]]), deps.consumer, READ_COUNT)).get(partition) ?? [];
    if (got === "fenced") throw fenced();
    if (got.length === 0) {
      await deps.clock.sleep(idle, signal).catch(() => undefined);
      idle = Math.min(IDLE_POLL_MAX_MS, idle * 2);
      continue;
    }
    idle = IDLE_POLL_MS;
    yield* batchOf(got);
  }
}
