// Records through Redis Streams: 1 collector reads one file written at 50k lines/s and publishes its records to 12
// partitions; 3 analyzers read them through one consumer group. One analyzer is killed with -9 while it holds
// entries read and not acknowledged: the others take its partitions over and claim those entries. Then the collector
// is killed with -9 and a standby collector takes the source over. Every numbered record is counted exactly once (per
// block of 500, so a loss and a repeat cannot cancel out).
import { openSync, writeSync, closeSync } from "node:fs";
import { writeFile, mkdir } from "node:fs/promises";
import path from "node:path";
import { Command } from "commander";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { registerStatus } from "../../../src/cli/status.js";
import { partitionNames } from "../../../src/scale/index.js";
import { ANALYZER_GROUP, RedisStore, type LeaseSurvey } from "../../../src/store/index.js";
import { systemClock } from "../../../src/time.js";
import { makeTempDir } from "../../harness/program.js";
import { redisAvailability, startRedis, type RedisInstance } from "../../harness/redis.js";
import { spread, surveyUntil } from "./leases.js";
import { BLOCK_RULE, blockErrors, startWatch, writeConfig, type WatchProcess } from "../daemon/watch-process.js";
import { programLetter, programLines } from "./program-lines.js";

const avail = redisAvailability();
const PARTITIONS = 12;
const SERVICES = 12;
const RATE = 50_000;
const WRITE_MS = 2_500;

/** SERVICES programs' lines written to `file` at RATE lines/s for `ms`. */
function startSyslogWriter(file: string, ms: number) {
  const fd = openSync(file, "a");
  const written = new Array<number>(SERVICES).fill(0);
  const tick = 20;
  const started = Date.now();
  let stop: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (stop = resolve));
  let total = 0;
  const timer = setInterval(() => {
    // Catch up with the clock: a late tick (a busy machine) writes more, so the rate holds on average.
    const elapsed = Math.min(ms, Date.now() - started);
    const k = Math.round((RATE * elapsed) / 1000) - total;
    writeSync(fd, programLines(written, k));
    total += k;
    if (elapsed < ms) return;
    clearInterval(timer);
    closeSync(fd);
    stop();
  }, tick);
  return { written, done };
}

describe.skipIf(avail.missing !== undefined)(`records through Redis Streams ${avail.missing ?? ""}`, () => {
  let tmp: { path: string; remove(): Promise<void> };
  let redis: RedisInstance;
  let store: RedisStore;
  let r: Redis;
  const running: WatchProcess[] = [];
  beforeAll(async () => {
    tmp = await makeTempDir("streams");
    redis = await startRedis();
    store = await RedisStore.connect(redis.url, { clock: systemClock });
    r = new Redis(redis.url);
  });
  afterAll(async () => {
    for (const w of running) await w.kill9();
    r?.disconnect();
    await store?.close();
    await redis?.cleanup();
    await tmp?.remove();
  });

  test("1 collector, 3 analyzers at 50k lines/s; kill -9 of an analyzer (its pending entries claimed) and of the collector: every record counted once", { timeout: 90_000 }, async () => {
    const rules = path.join(tmp.path, "rules");
    await mkdir(rules);
    await writeFile(path.join(rules, "block.yaml"), BLOCK_RULE);
    const file = path.join(tmp.path, "syslog");
    await writeFile(file, "");
    const base = { rules: { dirs: [rules] }, store: { url: redis.url }, sources: [{ kind: "file", name: "syslog", host: "local", paths: [file], startAt: "beginning", poll: "50ms", flushAfter: "200ms" }] };
    const streams = { partitions: PARTITIONS, maxLen: 200 };
    const collectorCfg = await writeConfig(path.join(tmp.path, "collector.yaml"), { ...base, scale: { leaseTime: "3s", renewEvery: "1s", streams: { role: "collector", ...streams } } });
    const analyzerCfg = await writeConfig(path.join(tmp.path, "analyzer.yaml"), { ...base, scale: { leaseTime: "3s", renewEvery: "1s", streams: { role: "analyzer", ...streams } } });
    const names = partitionNames(PARTITIONS);
    const board = store.leaseBoard(2_000);
    // The partitions' leases only (the collector's source lease is in the same survey).
    const survey = async () => {
      const all = await board.survey(names);
      return { ...all, leases: all.leases.filter((l) => names.includes(l.source)) };
    };
    const until = (what: string, pred: (s: LeaseSurvey) => boolean, ms: number) => surveyUntil(survey, what, pred, ms);
    const counts = async (key: string) => {
      const out = new Map<string, number>();
      for (const p of names) {
        for (const c of (await r.xinfo("CONSUMERS", `firewatch:v1:records:{firewatch/${p}}`, ANALYZER_GROUP).catch(() => [])) as unknown[][]) {
          out.set(String(c[1]), (out.get(String(c[1])) ?? 0) + Number(key === "pending" ? c[3] : 1));
        }
      }
      return out;
    };
    const t0 = Date.now();
    const phases: string[] = [];
    const phase = (what: string) => phases.push(`${what} ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    try {
      running.push(startWatch(collectorCfg));
      for (let i = 0; i < 3; i++) running.push(startWatch(analyzerCfg));
      // A second collector waits for the source's lease: it takes over when the first is killed.
      running.push(startWatch(collectorCfg));
      const even = await until("4/4/4", (s) => [...spread(s).values()].map((v) => v.length).join() === "4,4,4", 60_000);
      const analyzerIds = [...spread(even).keys()];
      phase("4/4/4");
      const writer = startSyslogWriter(file, WRITE_MS);
      await new Promise((res) => setTimeout(res, 1_500));
      // kill -9 of an analyzer while it holds entries read and not acknowledged (stopped first, so the figure is exact).
      for (const w of running) await w.ready();
      const ports = running.map((w) => Number(/"healthPort":(\d+)/.exec(w.proc.stderr())?.[1]));
      let victimAt = -1;
      let victimId = "";
      let pendingAtKill = 0;
      for (let attempt = 0; attempt < 40 && victimAt < 0; attempt++) {
        for (let i = 1; i <= 3 && victimAt < 0; i++) {
          const w = running[i];
          if (w === undefined) continue;
          const id = ((await (await fetch(`http://127.0.0.1:${ports[i]}/healthz`)).json()) as { scale: { watcher: string } }).scale.watcher;
          w.proc.child.kill("SIGSTOP");
          const pending = (await counts("pending")).get(id) ?? 0;
          if (pending > 0) {
            await w.kill9();
            victimAt = i;
            victimId = id;
            pendingAtKill = pending;
          } else w.proc.child.kill("SIGCONT");
        }
        if (victimAt < 0) await new Promise((res) => setTimeout(res, 50));
      }
      expect(pendingAtKill).toBeGreaterThan(0);
      expect(analyzerIds).toContain(victimId);
      phase("kill -9");
      await until("handover", (s) => !spread(s).has(victimId) && [...spread(s).values()].map((v) => v.length).join() === "6,6", 20_000);
      phase("6/6");
      // kill -9 of the collector reading the source: records it published after its last cursor commit are published
      // again by the standby, under the same numbers, and skipped by the analyzers.
      const scaleOf = async (i: number) => ((await (await fetch(`http://127.0.0.1:${ports[i]}/healthz`)).json()) as { scale: { watcher: string; held: Record<string, number> } }).scale;
      const collectorAt = "syslog" in (await scaleOf(0)).held ? 0 : 4;
      const standbyId = (await scaleOf(collectorAt === 0 ? 4 : 0)).watcher;
      await running[collectorAt]?.kill9();
      phase("collector kill -9");
      await surveyUntil(() => board.survey(["syslog"]), "collector takeover", (s) => s.leases.some((l) => l.source === "syslog" && l.owner === standbyId), 20_000);
      phase("standby collecting");
      await writer.done;
      const written = [...writer.written];
      const total = written.reduce((a, b) => a + b, 0);

      let errors: [string, number, number][] = [];
      for (const deadline = Date.now() + 45_000; Date.now() < deadline; await new Promise((res) => setTimeout(res, 500))) {
        const got = new Map<string, number>();
        for (const s of await store.list()) {
          for (const f of s.incident.findings) if (f.rule === "seq_block") got.set(f.fields.blk ?? "", (got.get(f.fields.blk ?? "") ?? 0) + f.count);
        }
        errors = written.flatMap((n, k) => blockErrors(got, n, programLetter(k)));
        if (errors.length === 0) break;
      }
      phase("all counted");
      console.log(phases.join(", "));
      expect(errors).toEqual([]);
      // The dead analyzer's entries were claimed (it is no consumer of any partition now) and all are acknowledged.
      const claimedLog = running.filter((_, i) => i !== victimAt && i !== 0 && i !== 4).map((w) => w.proc.stderr()).join("").match(/Claimed a partition's pending entries/g) ?? [];
      expect(claimedLog.length).toBeGreaterThan(0);
      expect((await counts("consumers")).has(victimId)).toBe(false);
      let pendingLeft = -1;
      for (const deadline = Date.now() + 5_000; Date.now() < deadline && pendingLeft !== 0; await new Promise((res) => setTimeout(res, 200))) {
        pendingLeft = [...(await counts("pending")).values()].reduce((a, b) => a + b, 0);
      }
      expect(pendingLeft).toBe(0);
      console.log(`${total} records over ${SERVICES} services and ${PARTITIONS} partitions, each counted once; ${pendingAtKill} entries pending at the kill`);
      expect(total).toBeGreaterThan(100_000);
      // Lag per partition in /metrics.
      const survivor = running.findIndex((_, i) => i > 0 && i < 4 && i !== victimAt);
      expect(await (await fetch(`http://127.0.0.1:${ports[survivor]}/metrics`)).text()).toMatch(/^firewatch_stream_lag_entries\{group="analyzers",partition="stream:p00"\} \d+$/m);
      // ...and in `firewatch status`, with each process's role.
      let out = "";
      const program = new Command().exitOverride();
      registerStatus(program, { stdout: { write: (t: string) => (out += t) }, env: {}, clock: systemClock });
      await program.parseAsync(["node", "firewatch", "status", "--config", analyzerCfg, "--format", "json"]);
      const status = JSON.parse(out) as { watchers: { role: string }[]; streams: { partition: string; lag: number; pending: number; group: string }[] };
      expect(status.watchers.map((w) => w.role).sort()).toEqual(["analyzer", "analyzer", "collector"]);
      expect(status.streams.map((p) => p.partition)).toEqual(names);
      expect(status.streams.every((p) => p.group === "analyzers" && p.lag === 0 && p.pending === 0)).toBe(true);
      for (const [i, w] of running.entries()) if (i !== victimAt && i !== collectorAt) expect(await w.term()).toBe(0);
    } finally {
      await board.close();
    }
  });
});
