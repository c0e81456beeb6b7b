// A daemon-like process for the kill -9 test: commits batches (five incidents at count N + cursor N) until killed.
import { openStore, parseStoreSpec } from "../../../src/store/index.js";
import { systemClock } from "../../../src/time.js";
import { snapshot } from "../../unit/store/support.js";

const [spec = "", namespace = "firewatch", from = "1"] = process.argv.slice(2);
const store = await openStore(parseStoreSpec(spec, process.env), { clock: systemClock }, { namespace });
process.stdout.write("ready\n");
const base = Date.UTC(2025, 11, 26, 22, 0, 0);
for (let n = Number(from); ; n++) {
  // Every incident of batch N has count N and the cursor says N: a torn batch would break that equality.
  const snapshots = Array.from({ length: 5 }, (_, i) => snapshot({ fingerprint: `inv-${i}`, count: n, lastSeen: base + n * 1000 }));
  await store.commit({ snapshots, cursors: { "journald:mithrandir": String(n) } });
  process.stdout.write(`ok ${n}\n`);
}
