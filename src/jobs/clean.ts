// `firewatch jobs clean`: removes failed jobs of one category, re-checking each right before removing it, and audits.
import type { LogRecord } from "../parsers/record.js";
import type { Rule, Signal } from "../rules/index.js";
import type { QueueReader } from "../sources/bullmq.js";
import type { AuditEntry, AuditInput } from "../store/index.js";
import { createClassifier, type JobCategory } from "./categories.js";
import { failedJobToRecord, type JobOrigin } from "./job-record.js";
import { FirewatchError } from "../errors.js";
import { STALE_RULE_ID, type JobsReport } from "./inspect.js";
import { locateCompleted, type FileProbe, type StaleOptions } from "./stale.js";

export interface CleanCandidate {
  readonly queue: string;
  readonly id: string;
  readonly failedReason: string;
  /** The inaccessible input file (stale jobs only). */
  readonly path?: string;
}

/** What `--dry-run` prints, and what a real clean starts from: the failed jobs of that category right now. */
export interface CleanPlan {
  readonly category: JobCategory;
  readonly candidates: readonly CleanCandidate[];
  /** Stale jobs only: keep jobs whose file is not in the completed directory (it may be lost, not stale). */
  readonly onlyCompleted: boolean;
}

export type SkipReason = "no_longer_failed" | "category_changed" | "gone" | "locked" | "not_completed";

export interface CleanResult {
  readonly category: JobCategory;
  readonly removed: readonly CleanCandidate[];
  readonly skipped: readonly (CleanCandidate & { readonly reason: SkipReason; readonly state?: string })[];
  readonly audit: AuditEntry | undefined;
}

/**
 * Only failed jobs are candidates: the report lists nothing else, so waiting, active and completed jobs never are.
 * With onlyCompleted (stale jobs only), only jobs whose file the report found completed.
 */
export function planClean(report: JobsReport, category: JobCategory, opts: { onlyCompleted?: boolean } = {}): CleanPlan {
  const onlyCompleted = opts.onlyCompleted === true;
  if (onlyCompleted && category.ruleId !== STALE_RULE_ID)
    throw new FirewatchError("usage", `--only-completed applies to stale jobs (${STALE_RULE_ID}), not to ${category.label}`);
  const completed = new Set(report.stale.filter((r) => r.completedPath !== undefined).map((r) => r.path));
  const candidates = report.queues.flatMap((q) =>
    q.jobs
      .filter((j) => j.category.label === category.label)
      .filter((j) => !onlyCompleted || (j.fields.path !== undefined && completed.has(j.fields.path)))
      .map((j): CleanCandidate => ({ queue: q.name, id: j.job.id, failedReason: j.job.failedReason, ...(j.fields.path === undefined ? {} : { path: j.fields.path }) })),
  );
  return { category, candidates, onlyCompleted };
}

export interface CleanDeps {
  readonly reader: QueueReader;
  readonly rules: readonly Rule[];
  readonly match: (record: LogRecord) => Signal[];
  /** The store's appendAudit (one entry per run, written even when a removal failed half-way). */
  readonly appendAudit: (entry: AuditInput) => Promise<AuditEntry>;
  readonly actor: string;
  readonly origin?: JobOrigin;
  /** Re-checks, for onlyCompleted plans, that the file is still in the completed directory. */
  readonly probe?: FileProbe;
  readonly stale?: StaleOptions;
}

/**
 * For each candidate, right before removing it: it must still be in the failed state and its current reason must
 * still classify as the category; then BullMQ's Queue.remove (which refuses a job locked by a worker). Between that
 * check and the removal lies one Redis round trip: a job retried inside it would be removed (documented in docs/jobs.md).
 */
export async function executeClean(deps: CleanDeps, plan: CleanPlan): Promise<CleanResult> {
  const classify = createClassifier(deps.rules, deps.match);
  const removed: CleanCandidate[] = [];
  const skipped: (CleanCandidate & { reason: SkipReason; state?: string })[] = [];
  let failure: unknown;
  try {
    for (const c of plan.candidates) {
      const state = await deps.reader.state(c.queue, c.id);
      if (state !== "failed") {
        skipped.push({ ...c, reason: state === "unknown" ? "gone" : "no_longer_failed", state });
        continue;
      }
      const job = await deps.reader.failedJob(c.queue, c.id);
      if (!job) { skipped.push({ ...c, reason: "gone" }); continue; }
      if (classify(failedJobToRecord(job, deps.origin)).category.label !== plan.category.label) {
        skipped.push({ ...c, reason: "category_changed" });
        continue;
      }
      if (plan.onlyCompleted && (c.path === undefined || deps.probe === undefined || (await locateCompleted(c.path, deps.probe, deps.stale ?? {})) === undefined)) {
        skipped.push({ ...c, reason: "not_completed" });
        continue;
      }
      if (await deps.reader.remove(c.queue, c.id)) removed.push(c);
      else skipped.push({ ...c, reason: "locked" });
    }
  } catch (e) {
    failure = e;
  }
  const audit = await deps.appendAudit({
    actor: deps.actor,
    action: "jobs.clean",
    target: [...new Set(plan.candidates.map((c) => c.queue))].join(",") || undefined,
    details: {
      category: plan.category.label,
      rule: plan.category.ruleId || null,
      redis: deps.reader.where,
      onlyCompleted: plan.onlyCompleted,
      planned: plan.candidates.length,
      removed: removed.length,
      skipped: skipped.length,
      removedIds: removed.map((c) => `${c.queue}/${c.id}`).join(" "),
      skippedIds: skipped.map((c) => `${c.queue}/${c.id}:${c.reason}`).join(" "),
      result: failure === undefined ? "ok" : `error: ${failure instanceof Error ? failure.message : String(failure)}`,
    },
  });
  if (failure !== undefined) throw failure;
  return { category: plan.category, removed, skipped, audit };
}
