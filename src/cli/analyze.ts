// `firewatch analyze`: log files (or stdin) in, incidents out as a text summary, JSON or the markdown report.
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import type { Command } from "commander";
import { z } from "zod";
import { FirewatchError } from "../errors.js";
import { parseTimeBound } from "../time.js";
import { createReadStats, expandInputs, readLogRecords, type ReadStats } from "../sources/index.js";
import { compileRules, createMatcher, loadRules, type Rule } from "../rules/index.js";
import { createCorrelator } from "../correlate/index.js";
import { groupIntoIncidents, type Incident } from "../incidents/index.js";
import { renderJson, renderMarkdown, renderText } from "../report/index.js";
import { EXIT } from "./exit-codes.js";

const Format = z.enum(["text", "json", "markdown"], { error: () => 'expected --format text, json or markdown' });

export interface AnalyzeOptions {
  readonly rules: readonly string[];
  readonly since?: string;
  readonly until?: string;
  readonly timeZone?: string;
}

export interface AnalyzeResult {
  readonly incidents: Incident[];
  readonly rules: ReadonlyMap<string, Rule>;
  readonly stats: ReadStats;
}

/** Reads the inputs through rules → correlator → incidents. `now` is the wall clock for --since/--until and stdin years. */
export async function runAnalyze(
  paths: readonly string[],
  opts: AnalyzeOptions,
  io: { now: () => number; stdin?: Readable; signal?: AbortSignal },
): Promise<AnalyzeResult> {
  const now = io.now();
  const since = timeBound("--since", opts.since, now);
  const until = timeBound("--until", opts.until, now);
  if (opts.timeZone !== undefined) checkTimeZone(opts.timeZone);
  const rules = await loadRules({ dirs: [...opts.rules] });
  const match = createMatcher(compileRules(rules));
  const correlator = createCorrelator(rules);
  const inputs = await expandInputs([...paths]);
  const stats = createReadStats();
  let lastTime: number | undefined;
  const records = readLogRecords(inputs, {
    stats,
    now: io.now,
    ...(opts.timeZone === undefined ? {} : { timeZone: opts.timeZone }),
    ...(io.stdin === undefined ? {} : { stdin: io.stdin }),
    ...(io.signal === undefined ? {} : { signal: io.signal }),
  });
  for await (const record of records) {
    // Records without a time cannot be placed against --since/--until; they are kept (a plain log has none).
    if (record.time !== undefined) {
      if (since !== undefined && record.time < since) continue;
      if (until !== undefined && record.time > until) continue;
      if (lastTime === undefined || record.time > lastTime) lastTime = record.time;
    }
    for (const signal of match(record)) correlator.push(signal);
  }
  // Absence windows close at the end of the input's own time, not the wall clock: an old log is judged by its last line.
  const findings = correlator.findings(lastTime);
  const incidents = groupIntoIncidents(findings, rules);
  return { incidents, rules: new Map(rules.map((r) => [r.id, r])), stats };
}

function timeBound(flag: string, value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const t = parseTimeBound(value, now);
  if (t === undefined) {
    throw new FirewatchError("usage", `${flag} "${value}" is not a time`, { hint: 'use an ISO date or date-time ("2025-12-26T17:00:00-05:00") or a duration ago ("2h", "7d")' });
  }
  return t;
}

function checkTimeZone(zone: string): void {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
  } catch {
    throw new FirewatchError("usage", `--tz "${zone}" is not a time zone`, { hint: 'use an IANA name such as "UTC" or "America/New_York"' });
  }
}

/** True when at least one incident has a firing finding: the exit code says so. */
export function anyFiring(incidents: readonly Incident[]): boolean {
  return incidents.some((i) => i.status === "open");
}

/** Renders the result in the chosen format: one document for stdout, or one file per incident. */
export function renderAnalysis(
  result: AnalyzeResult,
  format: z.infer<typeof Format>,
  opts: { timeZone?: string; color: boolean; now: number },
): { stdout: string; files: { name: string; content: string }[] } {
  const tz = opts.timeZone === undefined ? {} : { timeZone: opts.timeZone };
  const files = result.incidents.map((incident) => ({
    name: `${incident.id}.${format === "json" ? "json" : format === "markdown" ? "md" : "txt"}`,
    content:
      format === "json"
        ? renderJson([incident])
        : format === "markdown"
          ? renderMarkdown(incident, result.rules, { ...tz, now: opts.now })
          : renderText([incident], { ...tz, rules: result.rules, color: false }),
  }));
  let stdout: string;
  if (format === "json") stdout = renderJson(result.incidents);
  else if (format === "markdown") stdout = files.map((f) => f.content).join("\n\n---\n\n");
  else stdout = renderText(result.incidents, { ...tz, rules: result.rules, color: opts.color });
  return { stdout, files };
}

function formatStats(stats: ReadStats): string {
  const issues = Object.entries(stats.issues)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${n}${stats.samples[k as keyof typeof stats.samples] ? ` (first at ${stats.samples[k as keyof typeof stats.samples]})` : ""}`);
  return `firewatch: read ${stats.files} file(s), ${stats.lines} lines, ${stats.bytes} bytes, ${stats.records} records` +
    (issues.length ? `; ${issues.join(", ")}` : "") + "\n";
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
    .option("--stats", "print what was read (lines, bytes, dropped by reason) to stderr")
    .addHelpText(
      "after",
      `
Examples:
  firewatch analyze /var/log/palantir/ --format markdown --out reports/
  journalctl --user -u transcription-palantir -o short-iso | firewatch analyze -

Exit codes: 0 nothing firing, 1 at least one incident firing, 2 usage or input error`,
    )
    .action(async (paths: string[], raw: { format: string; out?: string; rules: string[]; since?: string; until?: string; tz?: string; stats?: boolean }) => {
      const format = Format.safeParse(raw.format);
      if (!format.success) throw new FirewatchError("usage", `--format "${raw.format}": ${format.error.issues[0]?.message ?? "invalid"}`);
      if (paths.length === 0) {
        if (process.stdin.isTTY) throw new FirewatchError("usage", "no input: give log files or directories, or - to read stdin", { hint: "firewatch analyze /var/log/app.log" });
        paths = ["-"];
      }
      const now = Date.now();
      const result = await runAnalyze(
        paths,
        {
          rules: raw.rules,
          ...(raw.since === undefined ? {} : { since: raw.since }),
          ...(raw.until === undefined ? {} : { until: raw.until }),
          ...(raw.tz === undefined ? {} : { timeZone: raw.tz }),
        },
        { now: () => now },
      );
      if (raw.stats) process.stderr.write(formatStats(result.stats));
      const color = process.stdout.isTTY === true && process.env["NO_COLOR"] === undefined;
      const out = renderAnalysis(result, format.data, { ...(raw.tz === undefined ? {} : { timeZone: raw.tz }), color, now });
      if (raw.out !== undefined) {
        await mkdir(raw.out, { recursive: true });
        for (const f of out.files) await writeFile(path.join(raw.out, f.name), f.content);
      }
      process.stdout.write(out.stdout.endsWith("\n") ? out.stdout : `${out.stdout}\n`);
      setExitCode(anyFiring(result.incidents) ? EXIT.firing : EXIT.ok);
    });
}
