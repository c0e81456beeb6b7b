// A separate firewatch process for the claim/record race tests (Redis or the embedded database): on each "claim|take PREFIX COUNT", races and prints what it got.
import { createInterface } from "node:readline";
import { openStore, parseStoreSpec } from "../../../src/store/index.js";
import { systemClock } from "../../../src/time.js";

// SPEC: redis://… or sqlite:FILE (any --store value).
const [spec = "", namespace = ""] = process.argv.slice(2);
const store = await openStore(parseStoreSpec(spec, process.env), { clock: systemClock }, { namespace });
const owner = `proc-${process.pid}`;
process.stdout.write("ready\n");
for await (const line of createInterface({ input: process.stdin })) {
  const [op = "", prefix = "", count = "0"] = line.split(" ");
  if (op === "exit") break;
  // Each process in its own random order, all at once: whichever reaches a key first must be the only winner.
  const keys = Array.from({ length: Number(count) }, (_, i) => `${prefix}-${i}`).sort(() => Math.random() - 0.5);
  const won = await Promise.all(
    keys.map(async (k) => (op === "claim" ? (await store.claim(k, owner, 60_000)).claimed : (await store.takeRecord("approval", k)) !== undefined)),
  );
  process.stdout.write(JSON.stringify(keys.filter((_, i) => won[i])) + "\n");
}
await store.close();
process.stdin.destroy();
