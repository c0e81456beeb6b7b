// `firewatch analyze`: log files (or stdin) in, incidents out as a text summary, JSON or the markdown report.
import { setTimeout as sleepFor } from "node:timers/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import type { Command } from "commander";
import { z } from "zod";
import { FirewatchError } from "../errors.js";
import { formatIso, parseTimeBound } from "../time.js";
import { createReadStats, expandInputs, findYearHint, latestLineTime, readLogRecords, type ReadOptions, type ReadStats, type UnreadableEntry } from "../sources/index.js";
import { compileRules, createMatchGate, createMatcher, loadRules, type CompiledRule, type Rule, type Signal } from "../rules/index.js";
import { createZone, defaultTimeZone, type LogRecord } from "../parsers/index.js";
import { createCorrelator } from "../correlate/index.js";
import { groupIntoIncidents, type Incident } from "../incidents/index.js";
import { draftReports, escapeTerminalDocument, renderJson, renderMarkdown, renderText, type IncidentProse } from "../report/index.js";
import { EXIT } from "./exit-codes.js";
import { createProgress, type ProgressIo } from "./progress.js";
import { ensureOutDir } from "./out-dir.js";
import { createUnreadableTally } from "./unreadable.js";
import { createFollower, untilAborted } from "./analyze-follow.js";
import { createGate } from "./gating.js";
import { createRunTally, formatStats, unplacedNotice, type RunSummary } from "./analyze-stats.js";

/** Inputs smaller than this are read before a progress bar would be worth drawing. */
const PROGRESS_MIN_BYTES = 32 * 1024 * 1024;

const Format = z.enum(["text", "json", "markdown"], { error: () => 'expected --format text, json or markdown' });

export interface AnalyzeOptions {
  readonly rules: readonly string[];
  readonly since?: string;
  readonly until?: string;
  /** IANA zone of stamps without an offset (and, in the CLI, of the report); default the system's. */
  readonly timeZone?: string;
  /** Rules already loaded and compiled (from `rules`), for a caller that analyzes many inputs with the same rules. */
  readonly ruleSet?: { readonly rules: readonly Rule[]; readonly compiled: readonly CompiledRule[] };
  /** When the logs are from (`--reference-time`): no stamp without a year is placed after it. ISO or a duration ago. */
  readonly referenceTime?: string;
  /** The year the logs are from (`--year`): stamps without a year take it (rolling into the next at Dec → Jan). */
  readonly year?: number;
  /**
   * "records" builds a record of every line and matches each; "skim" (the default) builds records only for the lines the
   * rules may match, and parses the others for their time unless the run needs none (`perFile`). Same incidents, counts
   * and evidence (test/unit/cli/skim.test.ts).
   */
  readonly path?: "skim" | "records";
  /**
   * Per-file tallies (`--stats`): each file's format and its records without a time; default true. Without them (and
   * without --since/--until, --jobs-redis, a live pipe or stdin), the skimming path judges most lines no rule can match
   * on their bytes alone and never parses them; `run.files` is then empty.
   */
  readonly perFile?: boolean;
  /** Failed BullMQ jobs to read as well (seed 000: the stale queue joins the port conflict's incident). */
  readonly jobs?: {
    readonly redis: string;
    readonly queue?: string;
    /** Host and service the queue belongs to; by default the one host the logs name, and the queue name. */
    readonly host?: string;
    readonly service?: string;
    readonly completedDir?: string;
  };
}

export interface AnalyzeResult {
  readonly incidents: Incident[];
  readonly rules: ReadonlyMap<string, Rule>;
  readonly stats: ReadStats;
  /** Per file: format read, records without a time; the records --since/--until could not place; lines never parsed. */
  readonly run: RunSummary & { readonly unparsed: number };
}

/** Reads the inputs through rules → correlator → incidents. `now` is the wall clock for --since/--until and stdin years. */
export async function runAnalyze(
  paths: readonly string[],
  opts: AnalyzeOptions,
  io: {
    now: () => number;
    stdin?: Readable;
    /** Aborting stops reading at once (an interrupt); what was read so far is still correlated and returned. */
    signal?: AbortSignal;
    progress?: ProgressIo;
    onUnreadable?: (entry: UnreadableEntry) => void;
    /** After a record that matched: `peek` gives the incidents as they stand now (`--follow`). */
    onSignals?: (peek: () => Incident[]) => void;
  },
): Promise<AnalyzeResult> {
  const now = io.now();
  const since = timeBound("--since", opts.since, now);
  const until = timeBound("--until", opts.until, now);
  checkWindow(since, until, opts);
  if (opts.timeZone !== undefined) checkTimeZone(opts.timeZone);
  const rules = opts.ruleSet?.rules ?? (await loadRules({ dirs: [...opts.rules] }));
  const compiled = opts.ruleSet?.compiled ?? compileRules(rules);
  const match = createMatcher(compiled);
  const wanted = opts.path === "records" ? undefined : createMatchGate(compiled);
  const correlator = createCorrelator(rules);
  const inputs = await expandInputs([...paths], io.onUnreadable === undefined ? {} : { onUnreadable: io.onUnreadable });
  // A line skipped by the gate still gives its time (placed against --since/--until), its host (the queues' host of
  // --jobs-redis), its format and whether it has a time (per-file tallies), all from its parse. A run that needs none
  // of them parses only the lines that could move a yearless stamp's year or join an event, and the run's end (the
  // time absences are judged at) is settled below. Stdin and a live pipe cannot be read a second time for it.
  const unparsed = wanted?.bytes !== undefined && opts.perFile === false && since === undefined && until === undefined && opts.jobs === undefined &&
    io.onSignals === undefined && inputs.every((i) => i.kind === "file");
  const stats = createReadStats();
  const tally = createRunTally();
  let unparsedLines = 0;
  let lastTime: number | undefined;
  const hosts = new Set<string>();
  /** Whether --since/--until keep an event of this time (counting the untimed they must leave out); tracks the run's end. */
  const place = (time: number | undefined): boolean => {
    // A record without a time cannot be placed against --since/--until: it is left out, and counted.
    if (time === undefined) {
      if (since === undefined && until === undefined) return true;
      tally.unplaced();
      return false;
    }
    if (since !== undefined && time < since) return false;
    if (until !== undefined && time > until) return false;
    if (lastTime === undefined || time > lastTime) lastTime = time;
    return true;
  };
  // Stamps without a year: never after the reference (the user's word, else each file's mtime), and in the year of
  // the run's dated stamps when there are any, so the files of one run agree on it whatever their mtimes.
  const referenceMs = yearReference(opts, now);
  const yearHintMs = referenceMs === undefined ? await findYearHint(inputs, opts.timeZone === undefined ? {} : { timeZone: opts.timeZone }) : undefined;
  const readOpts: ReadOptions = {
    now: io.now,
    ...(referenceMs === undefined ? {} : { referenceMs }),
    ...(yearHintMs === undefined ? {} : { yearHintMs }),
    ...(opts.timeZone === undefined ? {} : { timeZone: opts.timeZone }),
    ...(io.stdin === undefined ? {} : { stdin: io.stdin }),
    ...(io.signal === undefined ? {} : { signal: io.signal }),
  };
  const records = readLogRecords(inputs, {
    ...readOpts,
    stats,
    // Following a live pipe: a quiet half second hands out what the parser holds, so an incident shows now.
    ...(io.onSignals === undefined ? {} : { idleFlushMs: 500 }),
    ...(wanted === undefined
      ? {}
      : {
          skim: {
            wanted,
            ...(unparsed && wanted.bytes !== undefined ? { wantedBytes: wanted.bytes, ...(wanted.literals === undefined ? {} : { wantedLiterals: wanted.literals }) } : {}),
            // A line no rule can match still counts, places the run's end and may name the run's host.
            skipped: (file, line) => {
              if (line.unparsed === true) unparsedLines += 1;
              else if (!unparsed) tally.addLine(file, line.format, line.time);
              if (place(line.time) && line.host !== undefined && hosts.size < 2) hosts.add(line.host);
            },
          },
        }),
  });
  // Progress only for large inputs: a small file is done before a bar could say anything.
  const totalBytes = inputs.reduce((n, f) => n + (f.size ?? 0), 0);
  const progress = io.progress !== undefined && totalBytes > PROGRESS_MIN_BYTES ? createProgress(inputs, io.progress) : undefined;
  let sinceDraw = 0;
  const peek = () => groupIntoIncidents(correlator.findings(lastTime), rules);
  for await (const record of untilAborted(records, io.signal)) {
    if (progress !== undefined && ++sinceDraw >= 4096) {
      sinceDraw = 0;
      progress.update(stats.bytes, stats.lines);
    }
    if (!unparsed) tally.add(record);
    if (!place(record.time)) continue;
    if (record.host !== undefined && hosts.size < 2) hosts.add(record.host);
    const signals = match(record);
    for (const signal of signals) correlator.push(signal);
    if (signals.length > 0) io.onSignals?.(peek);
  }
  progress?.done(stats.bytes, stats.lines);
  if (opts.jobs !== undefined) {
    for (const signal of await jobQueueSignals(opts.jobs, rules, match, hosts)) {
      const t = signal.record.time;
      if (t !== undefined && (since !== undefined && t < since || until !== undefined && t > until)) continue;
      if (t !== undefined && (lastTime === undefined || t > lastTime)) lastTime = t;
      correlator.push(signal);
    }
  }
  // Absence windows close at the end of the input's own time, not the wall clock: an old log is judged by its last line.
  // Lines read unparsed have no time: only when an absence still waits past every parsed time can one of them decide
  // it, and then a second read parses every line's time (not after an interrupt: that read would go further).
  const deadline = unparsed ? correlator.lastDeadline() : undefined;
  if (deadline !== undefined && unparsedLines > 0 && !(lastTime !== undefined && lastTime > deadline) && io.signal?.aborted !== true) {
    const latest = await latestLineTime(inputs, readOpts);
    if (latest !== undefined && (lastTime === undefined || latest > lastTime)) lastTime = latest;
  }
  const findings = correlator.findings(lastTime);
  const incidents = groupIntoIncidents(findings, rules);
  const run = unparsed ? { files: [], unplaced: 0, unparsed: unparsedLines } : { ...tally.result(), unparsed: unparsedLines };
  return { incidents, rules: new Map(rules.map((r) => [r.id, r])), stats, run };
}

/** --reference-time as epoch ms, or the middle of --year's last day in the zone; undefined when neither is given. */
function yearReference(opts: AnalyzeOptions, now: number): number | undefined {
  if (opts.referenceTime !== undefined && opts.year !== undefined) throw new FirewatchError("usage", "--reference-time and --year say the same thing: give one");
  if (opts.referenceTime !== undefined) return timeBound("--reference-time", opts.referenceTime, now);
  if (opts.year === undefined) return undefined;
  if (!Number.isInteger(opts.year) || opts.year < 1970 || opts.year > 9999) throw new FirewatchError("usage", `--year "${opts.year}" is not a year`, { hint: "--year 2025" });
  return createZone(opts.timeZone ?? defaultTimeZone()).toEpoch(opts.year, 12, 31, 12, 0, 0, 0);
}

/** Failed jobs of the queues as signals; jobs carry no host, so they take the one host the logs name (if exactly one). */
async function jobQueueSignals(
  jobs: NonNullable<AnalyzeOptions["jobs"]>,
  rules: readonly Rule[],
  match: (record: LogRecord) => Signal[],
  hosts: ReadonlySet<string>,
): Promise<Signal[]> {
  // bullmq costs a third of a second to import: only a run that reads queues pays it.
  const { inspectJobs, jobSignals, localFileProbe, QueueReader } = await import("../jobs/index.js");
  const host = jobs.host ?? (hosts.size === 1 ? [...hosts][0] : undefined);
  const reader = await QueueReader.connect(jobs.redis);
  try {
    const report = await inspectJobs(
      { reader, rules, match, probe: localFileProbe() },
      {
        ...(jobs.queue === undefined ? {} : { queue: jobs.queue }),
        ...(jobs.completedDir === undefined ? {} : { completedDir: jobs.completedDir }),
        origin: { ...(host === undefined ? {} : { host }), ...(jobs.service === undefined ? {} : { service: jobs.service }) },
      },
    );
    return jobSignals(report, match);
  } finally {
    await reader.close();
  }
}

function timeBound(flag: string, value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const t = parseTimeBound(value, now);
  if (t === undefined) {
    throw new FirewatchError("usage", `${flag} "${value}" is not a time`, { hint: 'use an ISO date or date-time ("2025-12-26T17:00:00-05:00") or a duration ago ("2h", "7d")' });
  }
  return t;
}

/** --since after --until leaves nothing to read: say so rather than report "nothing firing". */
function checkWindow(since: number | undefined, until: number | undefined, opts: AnalyzeOptions): void {
  if (since === undefined || until === undefined || since < until) return;
  throw new FirewatchError("usage", `--since ${opts.since ?? ""} (${formatIso(since)}) is not before --until ${opts.until ?? ""} (${formatIso(until)}): the window is empty`, {
    hint: "--since is the older end: a duration ago counts back from now, so --since 2h --until 1h is the hour before last",
  });
}

function checkTimeZone(zone: string): void {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
  } catch {
    throw new FirewatchError("usage", `--tz "${zone}" is not a time zone`, { hint: 'use an IANA name such as "UTC" or "America/New_York"' });
  }
}

/** Renders the result in the chosen format: one document for stdout, or one file per incident. */
export function renderAnalysis(
  result: AnalyzeResult,
  format: z.infer<typeof Format>,
  opts: { timeZone?: string; color: boolean; now: number; prose?: ReadonlyMap<string, IncidentProse>; allActions?: boolean },
): { stdout: string; files: { name: string; content: string }[] } {
  const tz = opts.timeZone === undefined ? {} : { timeZone: opts.timeZone };
  const drafted = (id: string) => {
    const p = opts.prose?.get(id);
    return { ...(p?.prose === undefined ? {} : { prose: p.prose }), ...(p?.note === undefined ? {} : { proseNote: p.note }) };
  };
  const files = result.incidents.map((incident) => ({
    name: `${incident.id}.${format === "json" ? "json" : format === "markdown" ? "md" : "txt"}`,
    content:
      format === "json"
        ? renderJson([incident])
        : format === "markdown"
          ? renderMarkdown(incident, result.rules, { ...tz, now: opts.now, ...drafted(incident.id), allActions: opts.allActions === true })
          : renderText([incident], { ...tz, rules: result.rules, color: false }),
  }));
  let stdout: string;
  if (format === "json") stdout = renderJson(result.incidents);
  else if (format === "markdown") stdout = files.map((f) => f.content).join("\n\n---\n\n");
  else stdout = renderText(result.incidents, { ...tz, rules: result.rules, color: opts.color });
  return { stdout, files };
}

const collect = (v: string, prev: string[]) => [...prev, v];

export function registerAnalyze(program: Command, setExitCode: (code: number) => void): void {
  program
    .command("analyze")
    .summary("Read log files (or stdin) and report the incidents in them")
    .argument("[paths...]", "files, directories (recursive), .gz files, or - for stdin", [])
    .option("-f, --format <format>", "text | json | markdown", "text")
    .option("-o, --out <dir>", "write one file per incident into DIR (as well as the summary on stdout)")
    .option("-r, --rules <dir>", "add rules from DIR, overriding built-in rules by id (repeatable)", collect, [])
    .option("--since <time>", "skip events before TIME (ISO date/time, or a duration ago: 2h, 7d)")
    .option("--until <time>", "skip events after TIME")
    .option("--tz <zone>", "IANA time zone of log stamps without an offset, and of the report (default: the system's)")
    .option("--reference-time <time>", "when the logs are from: no stamp without a year (syslog) is placed after TIME (default: each file's mtime, and the year of the run's dated lines)")
    .option("--year <yyyy>", "the year the logs are from, for stamps without one (same as --reference-time YYYY-12-31)")
    .option("--jobs-redis <url>", "also read the failed jobs of the BullMQ queues in this Redis (they join the incidents of their host)")
    .option("--jobs-queue <name>", "only this queue (with --jobs-redis)")
    .option("--jobs-host <host>", "the host the queues belong to (default: the one host the logs name)")
    .option("--jobs-service <name>", "the service the queues belong to (default: the queue name)")
    .option("--completed-dir <dir>", "where processed input files are moved (stale-job check; default: /inbox/ → /completed/)")
    .option("--min-severity <level>", "only incidents of this severity or worse: critical, high, medium, low, info")
    .option("--fail-on <level>", "exit 1 only for an open incident of this severity or worse (default: any shown open incident); never: always 0")
    .option("-q, --quiet", "print nothing on stdout: the exit code says whether something fires (--out files are still written)")
    .option("--all-actions", "markdown: also the Immediate Actions of observed findings (below their rule's condition), left out by default")
    .option("--follow", "while reading (a pipe, journalctl -f), print each incident as it appears or changes: a line of text, or one JSON object per line with --format json; the summary comes at the end (or on Ctrl-C)")
    .option("--stats", "print what was read to stderr: lines, bytes, dropped by reason; per file the format and the records without a time (every line is then parsed: slower on large inputs)")
    .option("--llm", "let the configured model draft the summary, analysis and next steps of the markdown report (FIREWATCH_LLM__*, see docs/llm.md)")
    .option("--show-prompt", "print to stderr exactly what would be sent to the model (redacted); sent only with --llm")
    .addHelpText(
      "after",
      `
Examples:
  firewatch analyze /var/log/palantir/ --format markdown --out reports/
  FIREWATCH_LLM__MODEL=gpt-4o-mini firewatch analyze /var/log/palantir/ --format markdown --llm --show-prompt
  journalctl --user -u transcription-palantir -o short-iso | firewatch analyze -
  journalctl -f -o short-iso | firewatch analyze --follow -
  firewatch analyze --quiet --fail-on high /var/log/app/   # CI: exit 1 only for a high or critical incident

Ctrl-C stops reading and reports what was found so far (a second Ctrl-C quits at once).

Exit codes: 0 nothing firing, 1 at least one incident firing (at --fail-on's level), 2 usage or input error`,
    )
    .action(async (paths: string[], raw: { format: string; out?: string; rules: string[]; since?: string; until?: string; tz?: string; referenceTime?: string; year?: string; stats?: boolean; llm?: boolean; showPrompt?: boolean; minSeverity?: string; failOn?: string; quiet?: boolean; follow?: boolean; allActions?: boolean; jobsRedis?: string; jobsQueue?: string; jobsHost?: string; jobsService?: string; completedDir?: string }, cmd: Command) => {
      const format = Format.safeParse(raw.format);
      if (!format.success) throw new FirewatchError("usage", `--format "${raw.format}": ${format.error.issues[0]?.message ?? "invalid"}`);
      const gate = createGate(raw);
      const followFormat = format.data === "markdown" ? undefined : format.data;
      if (raw.follow === true && followFormat === undefined) throw new FirewatchError("usage", "--follow prints text or JSON lines, not markdown", { hint: "add --out DIR to write the markdown reports at the end" });
      if (paths.length === 0) {
        if (process.stdin.isTTY) throw new FirewatchError("usage", "no input: give log files or directories, or - to read stdin", { hint: "firewatch analyze /var/log/app.log" });
        paths = ["-"];
      }
      // Before reading anything (an --out that cannot exist should not cost the whole run first): made one level at a
      // time with a plain reason when it cannot be (a recursive mkdir under /proc never returned), then checked, not
      // followed (ours, not group/world-writable, no symlink).
      // The store's file helpers only for --out: its modules (Redis, SQLite, leases) cost a run without it ~50 ms to load.
      const store = raw.out === undefined ? undefined : await import("../store/index.js");
      if (raw.out !== undefined && store !== undefined) {
        await ensureOutDir(raw.out, "--out", 0o755);
        await store.ensureSafeDir(raw.out, { mode: 0o755, what: "--out" });
      }
      const now = Date.now();
      // One zone for reading stamps without an offset and for writing the report: --tz, else the system's.
      const timeZone = raw.tz ?? defaultTimeZone();
      if (raw.year !== undefined && !/^\d{4}$/.test(raw.year)) throw new FirewatchError("usage", `--year "${raw.year}" is not a year`, { hint: "--year 2025" });
      const year = raw.year === undefined ? undefined : Number(raw.year);
      const unreadable = createUnreadableTally();
      const follower = raw.follow === true && raw.quiet !== true && followFormat !== undefined ? createFollower({ format: followFormat, write: (t) => process.stdout.write(t), now: () => performance.now() }) : undefined;
      // The first Ctrl-C ends the reading, not the run: what was found is still reported. A second one quits.
      const interrupt = new AbortController();
      const onInterrupt = () => {
        if (interrupt.signal.aborted) process.exit(130);
        process.stderr.write("firewatch: interrupted: reporting what was read so far (Ctrl-C again to quit)\n");
        interrupt.abort();
      };
      process.on("SIGINT", onInterrupt);
      const read = await runAnalyze(
        paths,
        {
          rules: raw.rules,
          perFile: raw.stats === true,
          ...(raw.since === undefined ? {} : { since: raw.since }),
          ...(raw.until === undefined ? {} : { until: raw.until }),
          timeZone,
          ...(raw.referenceTime === undefined ? {} : { referenceTime: raw.referenceTime }),
          ...(year === undefined ? {} : { year }),
          ...(raw.jobsRedis === undefined
            ? {}
            : {
                jobs: {
                  redis: raw.jobsRedis,
                  ...(raw.jobsQueue === undefined ? {} : { queue: raw.jobsQueue }),
                  ...(raw.jobsHost === undefined ? {} : { host: raw.jobsHost }),
                  ...(raw.jobsService === undefined ? {} : { service: raw.jobsService }),
                  ...(raw.completedDir === undefined ? {} : { completedDir: raw.completedDir }),
                },
              }),
        },
        { now: () => now, signal: interrupt.signal, onUnreadable: unreadable.onUnreadable, ...(follower === undefined ? {} : { onSignals: follower.onSignals }), ...(process.stderr.isTTY ? { progress: { stderr: process.stderr, now: () => performance.now() } } : {}) },
      ).finally(() => process.off("SIGINT", onInterrupt));
      // A pipe still open after an interrupt would keep the process alive.
      if (interrupt.signal.aborted) process.stdin.destroy();
      follower?.flush();
      const result = { ...read, incidents: gate.shown(read.incidents) };
      if (unreadable.count() > 0) process.stderr.write(unreadable.notice());
      if (raw.stats) process.stderr.write(formatStats(result.stats, result.run));
      process.stderr.write(unplacedNotice(result.run));
      const color = process.stdout.isTTY === true && process.env["NO_COLOR"] === undefined;
      let prose: Map<string, IncidentProse> | undefined;
      if (raw.llm === true || raw.showPrompt === true) {
        if (format.data !== "markdown") process.stderr.write(`firewatch: --llm and --show-prompt apply to the markdown report; add --format markdown\n`);
        else {
          const debug = cmd.optsWithGlobals<{ debug?: boolean }>().debug === true;
          prose = await draftReports(
            result.incidents,
            result.rules,
            { llm: raw.llm === true, showPrompt: raw.showPrompt === true, debug, env: process.env, timeZone },
            { err: (line) => process.stderr.write(line), now: Date.now, sleep: (ms, signal) => sleepFor(ms, undefined, signal === undefined ? {} : { signal }) },
          );
        }
      }
      const out = renderAnalysis(result, format.data, { timeZone, color, now, ...(prose === undefined ? {} : { prose }), allActions: raw.allActions === true });
      if (raw.out !== undefined && store !== undefined) {
        for (const f of out.files) await store.writeFileAtomic(path.join(raw.out, f.name), f.content, 0o644);
      }
      // On a terminal, escape sequences from log lines are shown as \xNN (text output escapes its own; JSON has none
      // raw); piped or in --out files the report stays verbatim.
      const shown = process.stdout.isTTY === true ? escapeTerminalDocument(out.stdout) : out.stdout;
      // --follow with JSON has printed each incident as a line already: a document after them would break the stream.
      if (raw.quiet !== true && !(follower !== undefined && format.data === "json")) process.stdout.write(shown.endsWith("\n") ? shown : `${shown}\n`);
      setExitCode(gate.fails(result.incidents) ? EXIT.firing : EXIT.ok);
    });
}
