// A firewatch process that writes to a FileStore as fast as it can and reports each acknowledged write, until killed.
import { FileStore } from "../../../src/store/index.js";
import { systemClock } from "../../../src/time.js";
import { snapshot } from "../../unit/store/support.js";

const [dir = "", from = "0"] = process.argv.slice(2);
const store = await FileStore.open(dir, { clock: systemClock });
process.stdout.write("ready\n");
for (let i = Number(from); ; i += 10) {
  // Ten at a time: the group commit then has writes in flight when the kill lands.
  const batch = Array.from({ length: 10 }, (_, j) => i + j);
  await Promise.all(batch.map((k) => store.upsert(snapshot({ fingerprint: `k-${k}`, count: 3 + (k % 7) }))));
  await store.setCursor("journald:mithrandir", String(i + 9));
  process.stdout.write(`ok ${i + 9}\n`);
}
