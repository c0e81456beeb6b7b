// `firewatch jobs` and `firewatch jobs clean`: BullMQ failed jobs by category (seed 003), stale files (seed 000), guarded clean.
import { Command, Option } from "commander";
import { FirewatchError } from "../errors.js";
import type { CleanPlan, FileProbe } from "../jobs/index.js";
import { compileRules, createMatcher, loadRules } from "../rules/index.js";
import { systemClock, type Clock } from "../time.js";
import { escapeTerminal } from "../report/index.js";
import { EXIT } from "./exit-codes.js";
import { confirm, say } from "./act-output.js";

/** Where the commands read and write; tests pass their own (and a probe standing in for a remote host). */
export interface JobsIo {
  readonly stdout: { write(s: string): unknown };
  readonly env: NodeJS.ProcessEnv;
  readonly clock: Clock;
  readonly setExitCode: (code: number) => void;
  readonly probe?: FileProbe;
  /** Where `jobs clean` asks for its confirmation (a terminal); default process.stdin. */
  readonly stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
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

function renderPlan(plan: CleanPlan, dryRun = true): string {
  const lines = [
    dryRun
      ? `Would remove ${plan.candidates.length} failed job(s) of category ${plan.category.label} (dry run: nothing removed):`
      : `Will remove ${plan.candidates.length} failed job(s) of category ${plan.category.label} (each re-checked right before removal):`,
  ];
  for (const c of plan.candidates) lines.push(`  ${escapeTerminal(c.queue)}/${escapeTerminal(c.id)}  ${escapeTerminal(c.failedReason)}`);
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
    .option("--store <spec>", "the store of the guard's audit and approvals: sqlite:FILE, file:DIR or redis://HOST:PORT (default: firewatch.yaml's store, else firewatch.db in $FIREWATCH_DATA_DIR or ~/.local/state/firewatch)")
    .option("--namespace <ns>", "Redis key namespace of the store", "firewatch")
    .option("--config <file>", "firewatch.yaml whose guard allows clean_failed_jobs (default: $FIREWATCH_CONFIG)")
    .option("-y, --yes", "remove without asking (the list is still printed); needed when stdin is not a terminal")
    .option("--no-wait", "when a second person must approve, do not wait for them (nothing is removed)")
    .addHelpText(
      "after",
      `
Only failed jobs are candidates; waiting, active and completed jobs are never touched. The jobs that would go are
listed and you are asked to confirm (--yes skips the question; without a terminal --yes is required). The removal
then goes through the guard as clean_failed_jobs, like a Slack button or \`firewatch act\`: firewatch.yaml's
guard.actions.clean_failed_jobs must list you (cli:NAME of your uid) in users, "cli" in channels, the host, the queue
in targets and, if it lists categories, this one; with destructive: true a second person approves
(\`firewatch act approve ID\`). Each job is re-checked right before removal (still failed, reason still of the
category) and removed through BullMQ (Queue.remove); the audit log records the real user.

Examples:
  firewatch jobs clean --category legacy_encryption --queue transcription --dry-run
  firewatch jobs clean --category stale_job_queue --queue transcription --only-completed --config /etc/firewatch/firewatch.yaml

Exit codes: 0 done (or dry run), 1 refused by the guard or some jobs skipped, 2 usage error or not confirmed, 3 waiting for a second person`,
    )
    .action(async (_local: unknown, cmd: Command) => {
      const flags = cmd.optsWithGlobals<CommonFlags & { category: string; dryRun?: boolean; onlyCompleted?: boolean; store?: string; namespace?: string; config?: string; yes?: boolean; wait?: boolean }>();
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
        if (plan.candidates.length === 0) {
          io.stdout.write(flags.format === "json" ? json({ dryRun: false, category: category.label, removed: 0 }) : `Nothing to remove: no failed job of category ${category.label}.\n`);
          io.setExitCode(EXIT.ok);
          return;
        }
        // The guard's clean_failed_jobs takes the stale category's completed jobs only: --only-completed says so.
        if (category.ruleId === ctx.jobs.STALE_RULE_ID && flags.onlyCompleted !== true) {
          throw new FirewatchError("usage", `${category.label}: only jobs whose file is already completed can be removed`, { hint: "add --only-completed (see the list with --dry-run)" });
        }
        const queues = [...new Set(plan.candidates.map((c) => c.queue))];
        const format = flags.format ?? "text";
        const actIo = { stdout: io.stdout, stdin: io.stdin ?? process.stdin, env: io.env, clock: io.clock, setExitCode: io.setExitCode };
        say(actIo, { format }, renderPlan(plan, false));
        await confirm(actIo, { format, namespace: "", ...(flags.yes === true ? { yes: true } : {}) }, `Remove ${plan.candidates.length === 1 ? "this job" : `these ${plan.candidates.length} jobs`}?`);
        const { guardedClean } = await import("./jobs-guard.js");
        const url = flags.redis ?? io.env.FIREWATCH_JOBS_REDIS ?? "redis://127.0.0.1:6379";
        for (const queue of queues) {
          await guardedClean(actIo, { config: flags.config ?? io.env.FIREWATCH_CONFIG, store: flags.store, namespace: flags.namespace ?? "firewatch", redis: url, prefix: flags.prefix, completedDir: flags.completedDir, host: flags.host, format, wait: flags.wait !== false }, category, queue);
        }
      });
    });
}
