// A separate firewatch process for the race test: connects, waits for "go", upserts growing snapshots, prints its outcomes.
import { once } from "node:events";
import { RedisStore } from "../../../src/store/index.js";
import { systemClock } from "../../../src/time.js";
import { snapshot } from "../../unit/store/support.js";

const [url = "", namespace = "", fingerprints = "10", rounds = "20"] = process.argv.slice(2);
const store = await RedisStore.connect(url, { clock: systemClock }, { namespace });
process.stdout.write("ready\n");
await once(process.stdin, "data");
// Otherwise the open stdin pipe keeps this process alive after its work is done.
process.stdin.destroy();
const outcomes: Record<string, number> = {};
const base = Date.UTC(2025, 11, 26, 22, 0, 0);
for (let round = 0; round < Number(rounds); round++) {
  // Both processes send the same snapshots at the same moment: every round is a race on every fingerprint.
  const results = await Promise.all(
    Array.from({ length: Number(fingerprints) }, (_, i) => store.upsert(snapshot({ fingerprint: `race-${i}`, count: round + 1, lastSeen: base + round * 1000 }))),
  );
  for (const r of results) outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
}
process.stdout.write(JSON.stringify(outcomes) + "\n");
await store.close();
