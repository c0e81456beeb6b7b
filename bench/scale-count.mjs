// What the scale benches share: waiting until the store counts every numbered record, and the table row it makes.
import { performance } from "node:perf_hooks";
import { setTimeout } from "node:timers";

/** Polls the store every 100 ms until the block rule's findings count `total`; the seconds since `t0` (performance.now()). */
export async function secondsUntilCounted(store, total, t0) {
  let counted = 0;
  while (counted < total) {
    await new Promise((r) => setTimeout(r, 100));
    counted = 0;
    for (const inc of await store.list()) for (const f of inc.incident.findings) if (f.rule === "seq_block") counted += f.count;
  }
  const seconds = (performance.now() - t0) / 1000;
  return { seconds, row: (what) => `| ${what} | ${total.toLocaleString("en")} | ${seconds.toFixed(1)} s | ${Math.round(total / seconds).toLocaleString("en")} |${counted === total ? "" : ` counted ${counted}`}` };
}
