// Seed 000 through the real pipeline into a store, as another firewatch process would have left it.
import path from "node:path";
import { runAnalyze } from "../../../src/cli/analyze.js";
import { FileStore } from "../../../src/store/index.js";
import { systemClock } from "../../../src/time.js";

export const SEED_000 = path.resolve("fixtures/seed-000-port-conflict");

/** Reads seed 000's journal (and app.log when asked) and upserts its incidents into a file store in `dir`, then closes it. */
export async function storeSeed000(dir: string, opts: { withAppLog?: boolean } = {}): Promise<void> {
  const inputs = [path.join(SEED_000, "journal.log"), ...(opts.withAppLog ? [path.join(SEED_000, "app.log")] : [])];
  const store = await FileStore.open(dir, { clock: systemClock });
  try {
    for (const i of (await runAnalyze(inputs, { rules: [] }, { now: () => Date.now() })).incidents) await store.upsert(i);
  } finally {
    await store.close();
  }
}
