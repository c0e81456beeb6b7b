// Records/s end to end with 1, 2 and 3 `watch` processes sharing 12 file sources by lease on one redis-server
// (docs/scaling.md). Not a test: prints a markdown table. Each run: the watchers start on empty files and settle their
// leases; then every file gets its lines at once, and the clock runs until the store counts every line.
// By default each source is on a host of its own (12 incidents, as a fleet's would be); --shared puts them all on one
// host, so every watcher commits into the same incident (the worst case: its record is rewritten by all of them).
// Run: node --import tsx bench/scale-watchers.mjs [--lines 20000] [--watchers 1,2,3] [--shared]
import { appendFile, mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout } from "node:timers";
import { Redis } from "ioredis";
import { secondsUntilCounted } from "./scale-count.mjs";
import { RedisStore } from "../src/store/index.ts";
import { systemClock } from "../src/time.ts";
import { makeTempDir } from "../test/harness/program.ts";
import { startRedis } from "../test/harness/redis.ts";
import { BLOCK_RULE, blockLines, startWatch, writeConfig } from "../test/integration/daemon/watch-process.ts";

const argOf = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const LINES = Number(argOf("--lines", "20000"));
const WATCHERS = argOf("--watchers", "1,2,3").split(",").map(Number);
const SOURCES = 12;
const SHARED = process.argv.includes("--shared");
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const redis = await startRedis();
const tmp = await makeTempDir("scale-bench");
const raw = new Redis(redis.url);
const rows = [];
try {
  const rules = path.join(tmp.path, "rules");
  await mkdir(rules);
  await writeFile(path.join(rules, "block.yaml"), BLOCK_RULE);
  for (const w of WATCHERS) {
    await raw.flushall();
    const dir = path.join(tmp.path, `w${w}`);
    await mkdir(dir);
    const files = Array.from({ length: SOURCES }, (_, i) => path.join(dir, `svc${i}.log`));
    for (const f of files) await writeFile(f, "");
    const config = await writeConfig(path.join(dir, "fw.yaml"), {
      ...(SHARED ? {} : { hosts: Object.fromEntries(files.map((_, i) => [`h${i}`, { kind: "local" }])) }),
      sources: files.map((f, i) => ({ kind: "file", name: `s${i}`, ...(SHARED ? {} : { host: `h${i}` }), paths: [f], startAt: "beginning", poll: "50ms" })),
      rules: { dirs: [rules] },
      store: { url: redis.url },
      scale: { leaseTime: "3s", renewEvery: "1s" },
      outputs: { jsonLines: false },
    });
    const procs = Array.from({ length: w }, () => startWatch(config));
    const store = await RedisStore.connect(redis.url, { clock: systemClock });
    const board = store.leaseBoard(2_000);
    try {
      const share = Math.ceil(SOURCES / w);
      for (;;) {
        const s = await board.survey(files.map((_, i) => `s${i}`));
        const per = new Map();
        for (const l of s.leases) if (l.owner) per.set(l.owner, (per.get(l.owner) ?? 0) + 1);
        if (s.watchers.length === w && [...per.values()].reduce((a, b) => a + b, 0) === SOURCES && [...per.values()].every((n) => n <= share)) break;
        await sleep(200);
      }
      await sleep(1_500); // the runs over the settled leases have started
      const t0 = performance.now();
      await Promise.all(files.map((f, i) => appendFile(f, blockLines(1, LINES, String.fromCharCode(97 + i)))));
      const total = SOURCES * LINES;
      rows.push((await secondsUntilCounted(store, total, t0)).row(String(w)));
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
console.log(`\n### Watchers sharing ${SOURCES} file sources by lease (${SHARED ? "one host: one incident for all" : "a host each: 12 incidents"}; every line matches a rule; store: Redis)\n`);
console.log("| watchers | lines | until all counted | lines/s |");
console.log("|---|---|---|---|");
for (const r of rows) console.log(r);
