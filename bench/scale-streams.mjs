// Records/s end to end through Redis Streams (scale.streams, docs/scaling.md): 1 collector and 1, 2, 3 analyzers on
// one redis-server, beside one plain `watch` on the same input. Not a test: prints a markdown table. Each run: the
// processes start on an empty file and settle their leases; then the file gets all its lines at once (syslog lines of
// 12 programs, spread over the partitions by service; every line matches a rule), and the clock runs until the store
// counts every record.
// Run: node --import tsx bench/scale-streams.mjs [--lines 120000] [--analyzers 1,2,3] [--partitions 12] [--no-plain]
import { appendFile, mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout } from "node:timers";
import { Redis } from "ioredis";
import { secondsUntilCounted } from "./scale-count.mjs";
import { partitionNames } from "../src/scale/index.ts";
import { RedisStore } from "../src/store/index.ts";
import { systemClock } from "../src/time.ts";
import { makeTempDir } from "../test/harness/program.ts";
import { startRedis } from "../test/harness/redis.ts";
import { BLOCK_RULE, startWatch, writeConfig } from "../test/integration/daemon/watch-process.ts";
import { programLines } from "../test/integration/scale/program-lines.ts";

const argOf = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const LINES = Number(argOf("--lines", "120000"));
const ANALYZERS = argOf("--analyzers", "1,2,3").split(",").map(Number);
const PARTITIONS = Number(argOf("--partitions", "12"));
const PROGRAMS = 12;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const redis = await startRedis();
const tmp = await makeTempDir("streams-bench");
const raw = new Redis(redis.url);
const rows = [];
try {
  const rules = path.join(tmp.path, "rules");
  await mkdir(rules);
  await writeFile(path.join(rules, "block.yaml"), BLOCK_RULE);
  const runs = [...(process.argv.includes("--no-plain") ? [] : [0]), ...ANALYZERS];
  for (const a of runs) {
    await raw.flushall();
    const dir = path.join(tmp.path, `a${a}`);
    await mkdir(dir);
    const file = path.join(dir, "syslog");
    await writeFile(file, "");
    const base = {
      sources: [{ kind: "file", name: "syslog", paths: [file], startAt: "beginning", poll: "50ms" }],
      rules: { dirs: [rules] },
      store: { url: redis.url },
      outputs: { jsonLines: false },
    };
    const scale = (role) => ({ scale: { leaseTime: "3s", renewEvery: "1s", streams: { role, partitions: PARTITIONS } } });
    const procs =
      a === 0
        ? [startWatch(await writeConfig(path.join(dir, "plain.yaml"), base))]
        : [
            startWatch(await writeConfig(path.join(dir, "collector.yaml"), { ...base, ...scale("collector") })),
            ...(await Promise.all(Array.from({ length: a }, async (_, i) => startWatch(await writeConfig(path.join(dir, `analyzer${i}.yaml`), { ...base, ...scale("analyzer") }))))),
          ];
    const store = await RedisStore.connect(redis.url, { clock: systemClock });
    const board = store.leaseBoard(2_000);
    try {
      if (a === 0) await procs[0].ready();
      else {
        const names = partitionNames(PARTITIONS);
        const share = Math.ceil(PARTITIONS / a);
        for (;;) {
          const s = await board.survey([...names, "syslog"]);
          const per = new Map();
          for (const l of s.leases) if (l.owner && names.includes(l.source)) per.set(l.owner, (per.get(l.owner) ?? 0) + 1);
          const collecting = s.leases.some((l) => l.source === "syslog" && l.owner);
          if (collecting && per.size === a && [...per.values()].reduce((x, y) => x + y, 0) === PARTITIONS && [...per.values()].every((n) => n <= share)) break;
          await sleep(200);
        }
      }
      await sleep(1_500); // the runs over the settled leases have started
      const t0 = performance.now();
      await appendFile(file, programLines(new Array(PROGRAMS).fill(0), LINES));
      const what = a === 0 ? "plain `watch` (no streams)" : `1 collector + ${a} analyzer${a > 1 ? "s" : ""}`;
      rows.push((await secondsUntilCounted(store, LINES, t0)).row(what));
    } finally {
      await board.close();
      await store.close();
      for (const p of procs) await p.term();
    }
  }
} finally {
  raw.disconnect();
  await redis.cleanup();
  await tmp.remove();
}
console.log(`\n### Records through Redis Streams (${PROGRAMS} programs in one file, ${PARTITIONS} partitions; every line matches a rule; store: Redis)\n`);
console.log("| processes | records | until all counted | records/s |");
console.log("|---|---|---|---|");
for (const r of rows) console.log(r);
