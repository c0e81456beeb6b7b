// The second thread of a split `scan`: counts the byte ranges it is sent with its own automaton and regexes.
import { open } from "node:fs/promises";
import { parentPort } from "node:worker_threads";
import { compileRules } from "../rules/compile.js";
import { createLineCounter, type LineCounter } from "../rules/count-lines.js";
import type { Rule } from "../rules/schema.js";
import { countRange } from "./scan-parts.js";

/** What the scan sends: the rules first (WorkerInit), then ranges to count, then "done" for the totals. */
export type WorkerJob = { readonly path: string; readonly start: number; readonly end: number } | "done";
/** What the worker answers: a range counted, a failure, or the totals over every range. */
export type WorkerReply =
  | { readonly kind: "counted" }
  | { readonly kind: "failed"; readonly message: string }
  | { readonly kind: "totals"; readonly counts: Int32Array; readonly bytes: number; readonly candidates: number };

export interface WorkerInit {
  readonly rules: readonly Rule[];
  readonly maxLineBytes?: number;
}

// The worker is started before the rules are read (its module loading overlaps the scan's own start-up): the first
// message is the rules, the next ones are jobs, handled one at a time in order (a chain of promises).
const port = parentPort;
if (port) {
  let counter: LineCounter | undefined;
  let queue = Promise.resolve();
  port.on("message", (message: WorkerInit | WorkerJob) => {
    if (counter === undefined) {
      const init = message as WorkerInit;
      counter = createLineCounter(compileRules(init.rules), init.maxLineBytes ? { maxLineBytes: init.maxLineBytes } : {});
      return;
    }
    const c = counter;
    const job = message as WorkerJob;
    queue = queue.then(async () => {
      if (job === "done") {
        port.postMessage({ kind: "totals", counts: c.counts, bytes: c.stats.bytes, candidates: c.stats.candidates } satisfies WorkerReply);
        port.close();
        return;
      }
      try {
        const fh = await open(job.path, "r");
        try {
          await countRange(fh, c, job.start, job.end);
        } finally {
          await fh.close();
        }
        port.postMessage({ kind: "counted" } satisfies WorkerReply);
      } catch (e) {
        port.postMessage({ kind: "failed", message: e instanceof Error ? e.message : String(e) } satisfies WorkerReply);
      }
    });
  });
}
