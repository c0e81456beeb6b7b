// The collector and analyzer loops on a real redis-server: takeover with claims and fenced reads, trimming that never
// drops unread entries, a collector's republished records skipped, and backpressure on a full partition.
import { randomUUID } from "node:crypto";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createCollector } from "../../../src/daemon/collector.js";
import { createAcker, partitionLane } from "../../../src/daemon/partition-lanes.js";
import type { SourceBatch } from "../../../src/daemon/source-runner.js";
import type { LogRecord } from "../../../src/parsers/index.js";
import { encodeEntry, partitionName, partitionOf } from "../../../src/scale/index.js";
import { RedisStore, type RecordStreams } from "../../../src/store/index.js";
import { systemClock } from "../../../src/time.js";
import { redisAvailability, startRedis, type RedisInstance } from "../../harness/redis.js";

const avail = redisAvailability();
const log = pino({ level: "silent" });
const P = partitionName(0);

const rec = (n: number, service = "api"): LogRecord => ({
  text: `seq=${n}`, message: `seq=${n}`, time: 1_000 + n, host: undefined, service, pid: undefined, level: undefined, fields: {}, format: "plain",
  ref: { file: "app.log", line: n, endLine: n }, truncatedBytes: 0,
});
const payload = (n: number) => encodeEntry([{ host: "web1", source: "app", seq: n, record: rec(n) }]);
/** Batches of one record each, record n at cursor "n". */
async function* items(from: number, to: number, service = "api"): AsyncGenerator<SourceBatch> {
  for (let n = from; n <= to; n++) yield [{ source: "app", host: "web1", record: rec(n, service), part: "", cursor: String(n) }];
}

describe.skipIf(avail.missing !== undefined)(`record streams on Redis ${avail.missing ?? ""}`, () => {
  let server: RedisInstance;
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    await server?.cleanup();
  });
  const open = async () => {
    const store = await RedisStore.connect(server.url, { clock: systemClock }, { namespace: `s${randomUUID().slice(0, 8)}` });
    const streams = store.recordStreams(5_000);
    return { store, streams, close: async () => Promise.all([streams.close(), store.close()]) };
  };
  /** Reads a lane until `n` records came (or it ended), stopping it afterwards. */
  const readLane = async (streams: RecordStreams, token: number, stored: string | undefined, n: number, opts: { ackEach?: boolean } = {}) => {
    const stop = new AbortController();
    const acker = createAcker(streams, log);
    const got: { seq: string; text: string }[] = [];
    let lastId = "";
    for await (const batch of partitionLane(P, token, stored, { streams, acker, consumer: "a1", clock: systemClock, log }, stop.signal).items) {
      for (const i of batch) {
        if (i.record) got.push({ seq: i.cursor ?? "", text: i.record.text });
        else lastId = i.cursor ?? lastId;
      }
      // As if every entry were committed at once: acknowledged, so the collector finds room.
      if (opts.ackEach) await acker.committed({ [P]: `multi1:${JSON.stringify({ "": lastId })}` });
      if (got.length >= n) stop.abort();
    }
    return { got, lastId, acker };
  };

  test("a takeover claims what the old holder read and did not acknowledge, in order; the old holder can read no more", async () => {
    const { streams, close } = await open();
    try {
      await streams.publish(new Map([[P, [1, 2, 3, 4, 5].map(payload)]]));
      expect(await streams.take(P, "old", 1)).toEqual([]);
      const read = await streams.read(new Map([[P, 1]]), "old", 3);
      expect(read.get(P)).toHaveLength(3);
      const claimed = await streams.take(P, "new", 2);
      if (claimed === "fenced") throw new Error("fenced");
      expect(claimed.map((e) => e.payload)).toEqual([1, 2, 3].map(payload));
      // The old holder, only paused, wakes up: it may neither read on nor claim back.
      expect((await streams.read(new Map([[P, 1]]), "old", 10)).get(P)).toBe("fenced");
      expect(await streams.take(P, "old", 1)).toBe("fenced");
      expect((await streams.read(new Map([[P, 2]]), "new", 10)).get(P)).toHaveLength(2);
      const [s] = await streams.stats([P]);
      expect(s).toMatchObject({ length: 5, lag: 0, pending: 5, consumers: 1 });
    } finally {
      await close();
    }
  });

  test("trimming keeps every entry the group has not acknowledged", async () => {
    const { streams, close } = await open();
    try {
      await streams.publish(new Map([[P, Array.from({ length: 10 }, (_, i) => payload(i + 1))]]));
      expect(await streams.room(P)).toEqual({ length: 10, lag: 10, pending: 0 });
      await streams.take(P, "a", 1);
      const got = (await streams.read(new Map([[P, 1]]), "a", 4)).get(P);
      if (got === undefined || got === "fenced") throw new Error("no read");
      await streams.ack(P, [got[1]?.id ?? ""]);
      // The first entry is still pending: nothing may go.
      expect(await streams.room(P)).toEqual({ length: 10, lag: 6, pending: 3 });
      await streams.ack(P, got.map((e) => e.id));
      // All four read are acknowledged: they go (the last delivered one stays as the trim's mark), the six unread stay.
      expect(await streams.room(P)).toEqual({ length: 7, lag: 6, pending: 0 });
    } finally {
      await close();
    }
  });

  test("collector to lane: each record once with the entry id as cursor; a collector's republished records are skipped", async () => {
    const { store, streams, close } = await open();
    try {
      const commitCursors = async (cursors: Readonly<Record<string, string>>) => void (await store.commit({ snapshots: [], cursors }));
      const collect = (from: number, to: number, resumed: string | undefined) =>
        createCollector({ streams, commitCursors, clock: systemClock, log }, { partitions: 1, maxLen: 1_000, batch: 7, resumedFrom: new Map([["app", resumed]]), flushRecords: 20 })
          .run(items(from, to), new AbortController().signal);
      await collect(1, 50, undefined);
      const stored = await store.getCursor("app");
      expect(stored).toBe("seq1:50:50");
      // A collector that died after publishing 51..60 and before committing their cursor: its successor publishes them again.
      await collect(51, 60, stored);
      await collect(51, 70, stored);
      const { got, lastId, acker } = await readLane(streams, 1, undefined, 70);
      expect(got.map((g) => g.text)).toEqual(Array.from({ length: 70 }, (_, i) => `seq=${i + 1}`));
      // The lane's cursor: the last entry's id; acknowledged once a commit covers it.
      await acker.committed({ [P]: `multi1:${JSON.stringify({ "": lastId, "seq:app": "70" })}` });
      expect((await streams.stats([P]))[0]?.pending).toBe(0);
      // A later holder resuming from that cursor reads nothing again.
      await collect(71, 71, await store.getCursor("app"));
      // A plain watcher read the source meanwhile (its cursor has no number): the next collector's numbers start
      // above every earlier one, so its records are not taken for repeats.
      await collect(72, 72, "71");
      const again = await readLane(streams, 2, `multi1:${JSON.stringify({ "": lastId, "seq:app": "70" })}`, 2);
      expect(again.got.map((g) => g.text)).toEqual(["seq=71", "seq=72"]);
    } finally {
      await close();
    }
  });

  test("a full partition holds the collector until the analyzers acknowledge; nothing is dropped", async () => {
    const { store, streams, close } = await open();
    try {
      const commitCursors = async (cursors: Readonly<Record<string, string>>) => void (await store.commit({ snapshots: [], cursors }));
      const c = createCollector({ streams, commitCursors, clock: systemClock, log }, { partitions: 1, maxLen: 16, batch: 1, resumedFrom: new Map(), flushRecords: 8, waitMs: 10 });
      let done = false;
      const running = c.run(items(1, 40), new AbortController().signal).then(() => (done = true));
      for (let i = 0; i < 100 && (await store.getCursor("app")) !== "seq1:16:16"; i++) await new Promise((r) => setTimeout(r, 20));
      // 16 published (two flushes of 8): the third waits for room.
      expect(await store.getCursor("app")).toBe("seq1:16:16");
      expect(done).toBe(false);
      expect((await streams.stats([P]))[0]?.length).toBe(16);
      const { got } = await readLane(streams, 1, undefined, 40, { ackEach: true });
      await running;
      expect(got.map((g) => g.text)).toEqual(Array.from({ length: 40 }, (_, i) => `seq=${i + 1}`));
      expect(partitionOf("web1", "api", 1)).toBe(0);
    } finally {
      await close();
    }
  });
});
