// Renders a JobsReport like seed 003's check_jobs output (text) or as JSON; every string from Redis is escaped.
import { escapeTerminal } from "../report/index.js";
import { formatIso } from "../time.js";
import type { JobState } from "../sources/bullmq.js";
import type { JobsReport } from "./inspect.js";

/** Seed 003's order and marks; `waiting` is the seed's "pending". Zero counts show only for the first four. */
const STATES: readonly { state: JobState; mark: string; always: boolean }[] = [
  { state: "completed", mark: "✅", always: true },
  { state: "failed", mark: "❌", always: true },
  { state: "waiting", mark: "⏳", always: true },
  { state: "active", mark: "🔄", always: true },
  { state: "delayed", mark: "⏰", always: false },
  { state: "prioritized", mark: "⏳", always: false },
  { state: "waiting-children", mark: "⏳", always: false },
];

const esc = (s: string) => escapeTerminal(s);
const t = (ms: number | undefined) => (ms === undefined ? "-" : formatIso(ms));

export function renderJobsText(r: JobsReport, opts: { verbose: boolean }): string {
  const out: string[] = [];
  const names = r.queues.map((q) => q.name);
  out.push(`Queues: ${names.length === 0 ? "(none found)" : names.map(esc).join(", ")} on ${esc(r.redis)} (prefix ${esc(r.prefix)})`);
  if (r.refusedQueues.length > 0) out.push(`  skipped ${r.refusedQueues.length} key(s) whose queue name is not a plain name: ${r.refusedQueues.map((n) => JSON.stringify(n)).join(", ")}`);
  out.push("", "[SUMMARY] Status Breakdown:");
  // Padding after the colon, as in the seed ("❌ failed:    49"), so emoji widths never skew the column.
  const width = Math.max(...STATES.map((s) => s.state.length)) + 1;
  for (const { state, mark, always } of STATES) {
    const count = r.totals[state];
    if (!always && count === 0) continue;
    out.push(`  ${mark} ${`${state}:`.padEnd(width)} ${count}`);
  }
  out.push("", "[ERROR CATEGORIES]");
  if (r.categories.length === 0) out.push("  (no failed jobs)");
  for (const c of r.categories) out.push(`  ${c.category.label.toLowerCase()}: ${c.count}`);
  if (r.categories.length > 0) {
    out.push("", "[DETAILED ERROR BREAKDOWN]");
    for (const c of r.categories) {
      out.push(`  ${c.category.label} (${c.count} job${c.count === 1 ? "" : "s"}):`);
      out.push(`    → SOLUTION: ${c.category.solution ?? "-"}`);
      if (c.firstFailed !== undefined) out.push(`    → Failed: ${t(c.firstFailed)} .. ${t(c.lastFailed)}`);
    }
  }
  if (r.stale.length > 0) {
    const stale = r.stale.reduce((n, s) => n + s.failedJobs, 0);
    out.push("", `[STALE JOBS] ${stale} failed job${stale === 1 ? "" : "s"} for ${r.stale.length} input file${r.stale.length === 1 ? "" : "s"} (Input file not accessible):`);
    out.push("  | File Name | Failed Jobs | Status |", "  |-----------|-------------|--------|");
    for (const s of r.stale) {
      const status = s.completedPath !== undefined ? "✅ Already completed" : s.stillAtPath ? "⚠️ File is back at its path" : "❌ Not completed";
      out.push(`  | \`${esc(s.file)}\` | ${s.failedJobs} | ${status} |`);
    }
  }
  if (r.dataIssues > 0) out.push("", `[DATA] ${r.dataIssues} failed job(s) whose data is missing or not JSON (shown with -v)`);
  for (const q of r.queues) {
    if (q.error !== undefined) out.push(`[ERROR] ${esc(q.name)}: not readable as a BullMQ queue (${esc(q.error)}); keys of another version or another tool?`);
    if (q.unreadable.length > 0) out.push(`[DATA] ${esc(q.name)}: ${q.unreadable.length} failed id(s) without a readable job hash: ${q.unreadable.slice(0, 10).map(esc).join(", ")}`);
    if (q.truncated) out.push(`[DATA] ${esc(q.name)}: more failed jobs than read (raise --max-failed)`);
  }
  if (opts.verbose) {
    out.push("", "[JOBS]");
    for (const q of r.queues)
      for (const j of q.jobs) {
        const issue = j.job.dataIssue ? ` [${j.job.dataIssue}]` : "";
        out.push(`  ${esc(q.name)}/${esc(j.job.id)}  ${j.category.label}  attempts=${j.job.attemptsMade}  failed=${t(j.job.finishedOn)}${issue}`);
        out.push(`    reason: ${esc(j.job.failedReason)}`);
        if (j.job.dataIssue === undefined) out.push(`    data: ${esc(truncate(JSON.stringify(j.job.data) ?? "null", 300))}`);
      }
  }
  return out.join("\n") + "\n";
}

function truncate(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n)}… (${s.length} chars)`;
}

/** The JSON shape (documented in docs/jobs.md); `jobs` lists each failed job only with verbose. */
export function jobsJson(r: JobsReport, opts: { verbose: boolean }): unknown {
  return {
    redis: r.redis,
    prefix: r.prefix,
    queues: r.queues.map((q) => ({
      name: q.name,
      counts: q.counts,
      failedRead: q.jobs.length,
      unreadable: q.unreadable,
      truncated: q.truncated,
      error: q.error ?? null,
      ...(opts.verbose
        ? {
            jobs: q.jobs.map((j) => ({
              id: j.job.id,
              name: j.job.name,
              category: j.category.label,
              rule: j.category.ruleId || null,
              alsoMatched: j.alsoMatched,
              failedReason: j.job.failedReason,
              attemptsMade: j.job.attemptsMade,
              createdAt: j.job.createdAt ?? null,
              finishedOn: j.job.finishedOn ?? null,
              data: j.job.dataIssue === undefined ? j.job.data : null,
              dataIssue: j.job.dataIssue ?? null,
              fields: j.fields,
            })),
          }
        : {}),
    })),
    refusedQueues: r.refusedQueues,
    totals: r.totals,
    categories: r.categories.map((c) => ({
      category: c.category.label,
      rule: c.category.ruleId || null,
      count: c.count,
      solution: c.category.solution ?? null,
      firstFailed: c.firstFailed ?? null,
      lastFailed: c.lastFailed ?? null,
    })),
    stale: r.stale.map((s) => ({ file: s.file, path: s.path, failedJobs: s.failedJobs, jobIds: s.jobIds, completed: s.completedPath !== undefined, completedPath: s.completedPath ?? null, stillAtPath: s.stillAtPath })),
    dataIssues: r.dataIssues,
  };
}
