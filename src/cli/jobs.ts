// `firewatch jobs` and `firewatch jobs clean`: BullMQ failed jobs by category (seed 003), stale files (seed 000), guarded clean.
import { Command, Option } from "commander";
import { FirewatchError } from "../errors.js";
import type { CleanPlan, CleanResult, FileProbe } from "../jobs/index.js";
import { compileRules, createMatcher, loadRules } from "../rules/index.js";
import { openStore, parseStoreSpec } from "../store/index.js";
import { systemClock, type Clock } from "../time.js";
import { escapeTerminal } from "../report/index.js";
import { EXIT } from "./exit-codes.js";
import { localActor } from "./actor.js";

/** Where the commands read and write; tests pass their own (and a probe standing in for a remote host). */
export interface JobsIo {
  readonly stdout: { write(s: string): unknown };
  readonly env: NodeJS.ProcessEnv;
  readonly clock: Clock;
  readonly setExitCode: (code: number) => void;
  readonly probe?: FileProbe;
}

const defaultIo: JobsIo = {
  stdout: process.stdout,
  env: process.env,
  clock: systemClock,
  setExitCode: (c) => { process.exitCode = c; },
};

interface CommonFlags {
  queue?: string;
  redis?: string;
  prefix?: string;
  rules?: string[];
  format?: "text" | "json";
  completedDir?: string;
  maxFailed?: string;
  host?: string;
  service?: string;
}

function common(cmd: Command): Command {
  return cmd
    .option("--queue <name>", "one queue (default: every queue found under the prefix)")
    .option("--redis <url>", "Redis holding the queues (default: $FIREWATCH_JOBS_REDIS or redis://127.0.0.1:6379)")
    .option("--prefix <prefix>", "BullMQ key prefix", "bull")
    .option("--rules <dir>", "extra rule directory (repeatable); its rules replace built-ins with the same id", (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option("--completed-dir <dir>", "where completed input files live (default: each path with /inbox/ replaced by /completed/)")
    .option("--max-failed <n>", "read at most N failed jobs per queue, newest first", "10000")
    .addOption(new Option("--format <format>", "output format").choices(["text", "json"]).default("text"));
}

function positiveInt(flag: string, text: string | undefined): number {
  if (text === undefined || !/^\d{1,9}$/.test(text) || Number(text) === 0) throw new FirewatchError("usage", `${flag} ${JSON.stringify(text)}: expected a positive whole number`);
  return Number(text);
}

/** Loads rules, connects, runs `fn`, and always disconnects. */
async function withJobs<T>(io: JobsIo, f: CommonFlags, fn: (ctx: Awaited<ReturnType<typeof context>>) => Promise<T>): Promise<T> {
  const ctx = await context(io, f);
  try {
    return await fn(ctx);
  } finally {
    await ctx.reader.close();
  }
}

// Loaded when a jobs command runs, not when the program is built: bullmq costs ~0.3 s to import, which every
// other firewatch command would pay otherwise.
const loadJobs = () => import("../jobs/index.js");

async function context(io: JobsIo, f: CommonFlags) {
  const jobs = await loadJobs();
  const maxFailed = positiveInt("--max-failed", f.maxFailed ?? "10000");
  if (f.queue !== undefined) jobs.checkQueueName(f.queue); // refused before any connection is made
  const rules = await loadRules({ dirs: f.rules ?? [] });
  const match = createMatcher(compileRules(rules));
  const url = f.redis ?? io.env.FIREWATCH_JOBS_REDIS ?? "redis://127.0.0.1:6379";
  const reader = await jobs.QueueReader.connect(url, { ...(f.prefix === undefined ? {} : { prefix: f.prefix }), maxFailed });
  const origin = { ...(f.host === undefined ? {} : { host: f.host }), ...(f.service === undefined ? {} : { service: f.service }) };
  return { jobs, rules, match, reader, origin, probe: io.probe ?? jobs.localFileProbe() };
}

const json = (v: unknown) => JSON.stringify(v, null, 2) + "\n";

function renderPlan(plan: CleanPlan): string {
  const lines = [`Would remove ${plan.candidates.length} failed job(s) of category ${plan.category.label} (dry run: nothing removed):`];
  for (const c of plan.candidates) lines.push(`  ${escapeTerminal(c.queue)}/${escapeTerminal(c.id)}  ${escapeTerminal(c.failedReason)}`);
  return lines.join("\n") + "\n";
}

function renderResult(r: CleanResult): string {
  const lines = [`Removed ${r.removed.length} failed job(s) of category ${r.category.label}; skipped ${r.skipped.length}.`];
  for (const c of r.removed) lines.push(`  removed  ${escapeTerminal(c.queue)}/${escapeTerminal(c.id)}`);
  for (const c of r.skipped) lines.push(`  skipped  ${escapeTerminal(c.queue)}/${escapeTerminal(c.id)}  ${c.reason}${c.state ? ` (now ${c.state})` : ""}`);
  if (r.audit) lines.push(`Audit entry ${r.audit.id} recorded.`);
  return lines.join("\n") + "\n";
}

/** Registers `jobs` (summary) and `jobs clean` on the program. */
export function registerJobs(program: Command, io: JobsIo = defaultIo): void {
  const jobs = common(
    program
      .command("jobs")
      .summary("Failed BullMQ jobs by category, with the documented solution, and stale jobs whose file is already completed"),
  )
    .option("-v, --verbose", "list the failed jobs themselves")
    .option("--host <name>", "host the job records belong to (joins log findings of that host)")
    .option("--service <name>", "service the job records belong to (default: the queue name)")
    .addHelpText(
      "after",
      `
Reads only (BullMQ getters, SCAN, HGETALL; stat/readdir for --completed-dir). Job data that is not JSON is shown, never fatal.

Examples:
  firewatch jobs --redis redis://127.0.0.1:6379 --queue transcription
  firewatch jobs -v --format json --completed-dir /mnt/data/whisper-batch/completed

Exit codes: 0 no failed jobs, 1 failed jobs present, 2 usage error, Redis unreachable or a queue not readable`,
    )
    .action(async (flags: CommonFlags & { verbose?: boolean }) => {
      const verbose = flags.verbose === true;
      await withJobs(io, flags, async (ctx) => {
        const report = await ctx.jobs.inspectJobs(ctx, {
          ...(flags.queue === undefined ? {} : { queue: flags.queue }),
          ...(flags.completedDir === undefined ? {} : { completedDir: flags.completedDir }),
          origin: ctx.origin,
        });
        io.stdout.write(flags.format === "json" ? json(ctx.jobs.jobsJson(report, { verbose })) : ctx.jobs.renderJobsText(report, { verbose }));
        io.setExitCode(report.queues.some((q) => q.error !== undefined) ? EXIT.usage : report.totals.failed > 0 ? EXIT.firing : EXIT.ok);
      });
    });

  // The shared flags (--redis, --queue, --format...) belong to `jobs`; commander parses them after `clean` too,
  // and clean reads them with optsWithGlobals.
  jobs
    .command("clean")
    .summary("Remove the failed jobs of one category (re-checked one by one, audited)")
    .requiredOption("--category <name>", "category label (LEGACY_ENCRYPTION) or rule id (legacy_encryption)")
    .option("--dry-run", "list exactly what would be removed, remove nothing")
    .option("--only-completed", "stale jobs only: remove just those whose input file is already in the completed directory")
    .option("--store <spec>", "where the audit entry goes: sqlite:FILE, file:DIR or redis://HOST:PORT (default: firewatch.db in $FIREWATCH_DATA_DIR or ~/.local/state/firewatch)")
    .option("--namespace <ns>", "Redis key namespace of the store", "firewatch")
    .addHelpText(
      "after",
      `
Only failed jobs are candidates; waiting, active and completed jobs are never touched. Each job is re-checked right
before removal (still failed, reason still of the category) and removed through BullMQ (Queue.remove).

Examples:
  firewatch jobs clean --category legacy_encryption --queue transcription --dry-run
  firewatch jobs clean --category stale_job_queue --only-completed --store file:/var/lib/firewatch

Exit codes: 0 done (or dry run), 1 some jobs were skipped (no longer failed, changed, locked), 2 usage error`,
    )
    .action(async (_local: unknown, cmd: Command) => {
      const flags = cmd.optsWithGlobals<CommonFlags & { category: string; dryRun?: boolean; onlyCompleted?: boolean; store?: string; namespace?: string }>();
      await withJobs(io, flags, async (ctx) => {
        const category = ctx.jobs.findCategory(ctx.rules, flags.category);
        if (!category) throw new FirewatchError("usage", `--category ${JSON.stringify(flags.category)}: no such job category`, { hint: "use a label from `firewatch jobs` (e.g. LEGACY_ENCRYPTION) or a rule id" });
        const stale = flags.completedDir === undefined ? {} : { completedDir: flags.completedDir };
        const report = await ctx.jobs.inspectJobs(ctx, { ...(flags.queue === undefined ? {} : { queue: flags.queue }), ...stale, origin: ctx.origin });
        const plan = ctx.jobs.planClean(report, category, { onlyCompleted: flags.onlyCompleted === true });
        if (flags.dryRun === true) {
          io.stdout.write(flags.format === "json" ? json({ dryRun: true, category: category.label, candidates: plan.candidates }) : renderPlan(plan));
          io.setExitCode(EXIT.ok);
          return;
        }
        const store = await openStore(parseStoreSpec(flags.store ?? io.env.FIREWATCH_STORE, io.env), { clock: io.clock }, {
          namespace: flags.namespace ?? "firewatch",
          unavailableAfterMs: 5_000,
        });
        let result: CleanResult;
        try {
          result = await ctx.jobs.executeClean({ ...ctx, stale, appendAudit: (e) => store.appendAudit(e), actor: localActor() }, plan);
        } finally {
          await store.close();
        }
        io.stdout.write(flags.format === "json" ? json({ dryRun: false, category: category.label, removed: result.removed, skipped: result.skipped, audit: result.audit?.id ?? null }) : renderResult(result));
        io.setExitCode(result.skipped.length > 0 ? EXIT.firing : EXIT.ok);
      });
    });
}
