// Scale-out by source lease over the three kinds of source a host has: two log files, a journal and a Docker daemon,
// divided by two `watch` processes on one redis-server. One watcher is killed with -9 while all four are written; the
// other takes its sources over from their stored cursors, and every numbered line of every source is counted once.
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { RedisStore, type LeaseSurvey } from "../../../src/store/index.js";
import { systemClock } from "../../../src/time.js";
import { dockerdAvailability, startDockerd, type DockerdInstance } from "../../harness/dockerd.js";
import { journalAvailability, journalEntry, writeJournal } from "../../harness/journal.js";
import { makeTempDir } from "../../harness/program.js";
import { redisAvailability, startRedis, type RedisInstance } from "../../harness/redis.js";
import { spread, surveyUntil } from "./leases.js";
import { BLOCK, BLOCK_RULE, blockErrors, blockLine, startWatch, startWriter, writeConfig, type WatchProcess } from "../daemon/watch-process.js";

const missing = [redisAvailability(), dockerdAvailability(), journalAvailability()].find((a) => a.missing !== undefined)?.missing;
const SOURCES = ["fa", "fb", "jr", "dk"];
/** Lines the container prints, about 1,000 a second. */
const DOCKER_LINES = 8_000;


describe.skipIf(missing !== undefined)(`watchers sharing files, a journal and a Docker daemon by lease ${missing ?? ""}`, () => {
  let tmp: { path: string; remove(): Promise<void> };
  let redis: RedisInstance;
  let dockerd: DockerdInstance;
  let store: RedisStore;
  const running: WatchProcess[] = [];
  beforeAll(async () => {
    tmp = await makeTempDir("scale-mixed");
    [redis, dockerd] = await Promise.all([startRedis(), startDockerd()]);
    store = await RedisStore.connect(redis.url, { clock: systemClock });
  }, 120_000);
  afterAll(async () => {
    for (const w of running) await w.kill9();
    await store?.close();
    await Promise.all([redis?.cleanup(), dockerd?.stop()]);
    await tmp?.remove();
  });

  test("4 sources of 3 kinds spread 2/2; kill -9 of one watcher hands its 2 over; every line of each counted once", { timeout: 150_000 }, async () => {
    const rules = path.join(tmp.path, "rules");
    await mkdir(rules);
    await writeFile(path.join(rules, "block.yaml"), BLOCK_RULE);
    const files = { fa: path.join(tmp.path, "a.log"), fb: path.join(tmp.path, "b.log") };
    for (const f of Object.values(files)) await writeFile(f, "");
    const journal = path.join(tmp.path, "host.journal");
    let journalWritten = 0;
    const writeEntries = async (n: number) => {
      const now = Date.now() * 1000;
      const from = journalWritten;
      await writeJournal(journal, Array.from({ length: n }, (_, i) => journalEntry(now + i, { MESSAGE: blockLine(from + i + 1, "j"), _SYSTEMD_UNIT: "writer.service", _PID: "4242", SYSLOG_IDENTIFIER: "writer" })));
      journalWritten += n;
    };
    await writeEntries(500);
    const config = await writeConfig(path.join(tmp.path, "fw.yaml"), {
      sources: [
        { kind: "file", name: "fa", paths: [files.fa], startAt: "beginning", poll: "50ms", flushAfter: "200ms" },
        { kind: "file", name: "fb", paths: [files.fb], startAt: "beginning", poll: "50ms", flushAfter: "200ms" },
        { kind: "journald", name: "jr", files: [journal], startAt: "beginning" },
        { kind: "docker", name: "dk", socketPath: dockerd.socketPath, containers: ["numbered"], events: false },
      ],
      rules: { dirs: [rules] },
      store: { url: redis.url },
      scale: { leaseTime: "3s", renewEvery: "1s" },
    });
    const board = store.leaseBoard(2_000);
    const until = (what: string, pred: (s: LeaseSurvey) => boolean, ms: number) => surveyUntil(() => board.survey(SOURCES), what, pred, ms);

    for (let i = 0; i < 2; i++) running.push(startWatch(config));
    const even = await until("2/2", (s) => s.watchers.length === 2 && [...spread(s).values()].map((v) => v.length).join() === "2,2", 60_000);

    // All four written at once: two files at 400 lines/s, the journal in batches, the container printing its own.
    const writers = [startWriter(files.fa, 400, "a"), startWriter(files.fb, 400, "b")];
    const script = `i=0; while [ $i -lt ${DOCKER_LINES} ]; do i=$((i+1)); echo "seq=$i blk=d$(( (i-1) / ${BLOCK} ))"; [ $((i % 50)) -eq 0 ] && sleep 0.05; done; exec sleep 600`;
    await dockerd.docker(["run", "-d", "--name", "numbered", dockerd.image, "sh", "-c", script]);
    const journalling = (async () => {
      for (let round = 0; round < 12; round++) {
        await writeEntries(250);
        await new Promise((r) => setTimeout(r, 250));
      }
    })();
    await new Promise((r) => setTimeout(r, 2_000));

    // kill -9 of the watcher that holds the Docker source, mid-stream.
    const victimId = [...spread(even)].find(([, sources]) => sources.includes("dk"))?.[0];
    const scaleOf = async (w: WatchProcess) => {
      const port = Number(/"healthPort":(\d+)/.exec(w.proc.stderr())?.[1]);
      return ((await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as { scale: { watcher: string } }).scale.watcher;
    };
    const ids = await Promise.all(running.map(scaleOf));
    const victim = running[ids.indexOf(victimId ?? "")];
    if (victim === undefined || victimId === undefined) throw new Error(`no watcher holds dk: ${JSON.stringify([...spread(even)])}`);
    await victim.kill9();
    const after = await until("handover", (s) => {
      const sp = spread(s);
      return !sp.has(victimId) && [...sp.values()].reduce((n, v) => n + v.length, 0) === SOURCES.length;
    }, 20_000);
    expect([...spread(after).values()].map((v) => v.length)).toEqual([4]);

    await journalling;
    await new Promise((r) => setTimeout(r, 2_000));
    for (const w of writers) w.stop();
    const expected = {
      a: writers[0]?.written ?? 0,
      b: writers[1]?.written ?? 0,
      j: journalWritten,
      d: (await dockerd.docker(["logs", "numbered"])).split("\n").filter((l) => l.startsWith("seq=")).length,
    };
    // The container may still be printing: wait until it has printed them all.
    for (const deadline = Date.now() + 30_000; expected.d < DOCKER_LINES && Date.now() < deadline; await new Promise((r) => setTimeout(r, 500))) {
      expected.d = (await dockerd.docker(["logs", "numbered"])).split("\n").filter((l) => l.startsWith("seq=")).length;
    }
    expect(expected.d).toBe(DOCKER_LINES);

    // Every line of every source counted exactly once, per block (a loss and a repeat cannot cancel out).
    let errors: [string, number, number][] = [];
    for (const deadline = Date.now() + 40_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 500))) {
      const counts = new Map<string, number>();
      for (const s of await store.list()) {
        for (const f of s.incident.findings) if (f.rule === "seq_block") counts.set(f.fields.blk ?? "", (counts.get(f.fields.blk ?? "") ?? 0) + f.count);
      }
      errors = Object.entries(expected).flatMap(([prefix, n]) => blockErrors(counts, n, prefix));
      if (errors.length === 0) break;
    }
    expect(errors).toEqual([]);
    console.log(`lines counted once after the handover: ${JSON.stringify(expected)}`);
  });
});
