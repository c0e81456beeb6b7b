// Incident upserts per second on each store (FileStore, RedisStore on a local redis-server). Not a test: prints figures.
// Run: node --import tsx bench/store-bench.mjs [--n 2000]
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileStore, RedisStore } from "../src/store/index.ts";
import { systemClock } from "../src/time.ts";
import { snapshot } from "../test/unit/store/support.ts";
import { findProgram } from "../test/harness/program.ts";
import { startRedis } from "../test/harness/redis.ts";

const argN = process.argv.indexOf("--n");
const N = argN > 0 ? Number(process.argv[argN + 1]) : 2000;
const FINGERPRINTS = 100; // a busy fleet: 100 live incidents, each snapshot re-emitted as it grows
const base = Date.UTC(2025, 11, 26, 22, 0, 0);
const snap = (i) => snapshot({ fingerprint: `bench-${i % FINGERPRINTS}`, count: 3 + Math.floor(i / FINGERPRINTS), lastSeen: base + i * 1000 });

async function measure(label, store, concurrency) {
  const t0 = process.hrtime.bigint();
  let next = 0;
  const worker = async () => {
    while (next < N) await store.upsert(snap(next++));
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(`${label.padEnd(44)} ${String(Math.round(N / s)).padStart(7)} upserts/s  (${N} in ${s.toFixed(2)} s)`);
}

for (const c of [1, 32]) {
  const dir = await mkdtemp(join(tmpdir(), "fw-bench-"));
  const store = await FileStore.open(dir, { clock: systemClock });
  await measure(`FileStore, ${c} in flight (fsync per write)`, store, c);
  await store.close();
  await rm(dir, { recursive: true, force: true });
}

if (findProgram("redis-server")) {
  const server = await startRedis();
  try {
    for (const c of [1, 32]) {
      const store = await RedisStore.connect(server.url, { clock: systemClock }, { namespace: `bench${c}` });
      await measure(`RedisStore, ${c} in flight (appendfsync always)`, store, c);
      await store.close();
    }
  } finally {
    await server.cleanup();
  }
} else {
  console.log("RedisStore: skipped, redis-server not found (apt-get install redis-server)");
}
