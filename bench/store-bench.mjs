// Upserts and commits per second on each store: SqliteStore (the embedded default), FileStore, RedisStore on a local
// redis-server. Not a test: prints figures (markdown tables).
// Run: node --import tsx bench/store-bench.mjs [--n 2000] [--commits 4000]   (npm run bench runs it too)
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileStore, RedisStore, SqliteStore } from "../src/store/index.ts";
import { systemClock } from "../src/time.ts";
import { snapshot } from "../test/unit/store/support.ts";
import { findProgram } from "../test/harness/program.ts";
import { startRedis } from "../test/harness/redis.ts";

const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const N = arg("--n", 2000);
const COMMITS = arg("--commits", 4000);
const FINGERPRINTS = 100; // a busy fleet: 100 live incidents, each snapshot re-emitted as it grows
const base = Date.UTC(2025, 11, 26, 22, 0, 0);
const snap = (i) => snapshot({ fingerprint: `bench-${i % FINGERPRINTS}`, count: 3 + Math.floor(i / FINGERPRINTS), lastSeen: base + i * 1000 });

async function upserts(store, concurrency) {
  const t0 = process.hrtime.bigint();
  let next = 0;
  const worker = async () => {
    while (next < N) await store.upsert(snap(next++));
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  return `${Math.round(N / s)}/s`;
}

/** `watch`'s pattern: one commit at a time, `batch` snapshots and 2 cursors each; commits/s, snapshots/s, p50 and p99. */
async function commits(store, batch) {
  const times = [];
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < COMMITS; i += batch) {
    const snapshots = Array.from({ length: batch }, (_, j) => snap(i + j));
    const c0 = process.hrtime.bigint();
    await store.commit({ snapshots, cursors: { "journald:local": `s=${i}`, "file:/var/log/app.log": String(i) }, run: "bench" });
    times.push(Number(process.hrtime.bigint() - c0) / 1e6);
  }
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  times.sort((a, b) => a - b);
  const pct = (p) => times[Math.min(times.length - 1, Math.floor(p * times.length))].toFixed(1);
  return `${Math.round(times.length / s)} commits/s = ${Math.round(COMMITS / s)} snapshots/s, p50 ${pct(0.5)} ms, p99 ${pct(0.99)} ms`;
}

async function row(label, open, cleanup) {
  const cells = [];
  for (const c of [1, 32]) {
    const store = await open(`u${c}`);
    cells.push(await upserts(store, c));
    await store.close();
  }
  for (const b of [1, 50]) {
    const store = await open(`c${b}`);
    cells.push(await commits(store, b));
    await store.close();
  }
  await cleanup();
  console.log(`| ${label} | ${cells.join(" | ")} |`);
}

console.log(`Stores: ${N} upserts over ${FINGERPRINTS} live incidents; ${COMMITS} snapshots committed with 2 cursors each (one run).\n`);
console.log("| store | upserts, 1 in flight | upserts, 32 in flight | commit, batch of 1 | commit, batch of 50 |\n|---|---|---|---|---|");

const sqliteDir = await mkdtemp(join(tmpdir(), "fw-bench-sqlite-"));
await row("SqliteStore (WAL, synchronous=FULL)", (k) => SqliteStore.open(join(sqliteDir, `${k}.db`), { clock: systemClock }), () => rm(sqliteDir, { recursive: true, force: true }));

const fileDir = await mkdtemp(join(tmpdir(), "fw-bench-file-"));
await row("FileStore (fsync per write)", (k) => FileStore.open(join(fileDir, k), { clock: systemClock }), () => rm(fileDir, { recursive: true, force: true }));

if (findProgram("redis-server")) {
  const server = await startRedis();
  try {
    await row("RedisStore (appendfsync always)", (k) => RedisStore.connect(server.url, { clock: systemClock }, { namespace: `bench-${k}` }), async () => undefined);
  } finally {
    await server.cleanup();
  }
} else {
  console.log("| RedisStore | skipped: redis-server not found (apt-get install redis-server) | | | |");
}
