// clean_failed_jobs behind the guard: the failed jobs of one queue whose category is one of the given rules, removed.
import type { LogRecord } from "../parsers/record.js";
import type { Rule, Signal } from "../rules/index.js";
import type { QueueReader } from "../sources/bullmq.js";
import type { AuditEntry, AuditInput } from "../store/index.js";
import { executeClean, planClean } from "./clean.js";
import { inspectJobs, STALE_RULE_ID } from "./inspect.js";
import type { FileProbe, StaleOptions } from "./stale.js";

export interface QueueCleanDeps {
  readonly reader: QueueReader;
  readonly rules: readonly Rule[];
  readonly match: (record: LogRecord) => Signal[];
  readonly probe: FileProbe;
  readonly appendAudit: (entry: AuditInput) => Promise<AuditEntry>;
  readonly actor: string;
  readonly stale?: StaleOptions;
}

/**
 * Every category of `queue` whose rule is in `ruleIds` is planned and executed (planClean/executeClean: each job
 * re-checked right before removal, one audit entry per category); stale jobs only when their file is found
 * completed. A queue with no failed job of those rules is an error naming them: nothing else is ever removed.
 */
export async function cleanQueueCategories(deps: QueueCleanDeps, queue: string, ruleIds: ReadonlySet<string>): Promise<{ removed: number; detail: string }> {
  const stale = deps.stale ?? {};
  const report = await inspectJobs({ reader: deps.reader, rules: deps.rules, match: deps.match, probe: deps.probe }, { queue, ...stale });
  const categories = [...new Map(report.queues.flatMap((q) => q.jobs).filter((j) => ruleIds.has(j.category.ruleId)).map((j) => [j.category.label, j.category])).values()];
  if (categories.length === 0) throw new Error(`no failed job of ${queue} is in a category of these rules (${[...ruleIds].join(", ")}); nothing removed`);
  let removed = 0;
  let skipped = 0;
  for (const category of categories) {
    const plan = planClean(report, category, { onlyCompleted: category.ruleId === STALE_RULE_ID });
    const r = await executeClean({ reader: deps.reader, rules: deps.rules, match: deps.match, probe: deps.probe, actor: deps.actor, appendAudit: deps.appendAudit, stale }, plan);
    removed += r.removed.length;
    skipped += r.skipped.length;
  }
  return { removed, detail: `${skipped} skipped; categories ${categories.map((c) => c.label).join(", ")}` };
}
