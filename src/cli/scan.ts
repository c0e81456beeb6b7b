// `firewatch scan`: only the matching stage, as fast as the bytes can be read; prints id<TAB>count per rule.
import { open } from "node:fs/promises";
import type { Command } from "commander";
import { FirewatchError } from "../errors.js";
import { createProgress } from "./progress.js";
import { createUnreadableTally } from "./unreadable.js";
import type { InputFile } from "../sources/index.js";
import type { Rule } from "../rules/index.js";

// The engine and the sources are imported when a scan runs, not when the program is built: `firewatch --help` and
// every other command skip ~100 ms of module loading (zod, yaml, regjsparser), and scan's startup stays small.
// Only the modules a scan uses, not the folders' index.ts: those load the YAML parser, the rule linter, the JSON
// Schema writer, Docker's and journald's readers and node:http/zlib, ~0.1 s of CPU a scan never needs (issue 18).
const engine = async () => {
  const [compile, patterns, load, count] = await Promise.all([
    import("../rules/compile.js"),
    import("../rules/pattern-file.js"),
    import("../rules/load.js"),
    import("../rules/count-lines.js"),
  ]);
  return { ...compile, ...patterns, ...load, ...count };
};
const sources = () => import("../sources/paths.js");
/** Gzip and stdin only: loads node:zlib and node:stream. */
const opener = () => import("../sources/files.js");

export interface ScanOptions {
  /** Rule directories: the built-ins, then these (a later id replaces an earlier one). */
  readonly rules?: readonly string[];
  /** `id<TAB>regex` signatures; given alone, only these are counted (no built-ins). */
  readonly patterns?: string;
  readonly maxLineBytes?: number;
}

export interface ScanIo {
  readonly stdout: { write(s: string): unknown };
  readonly stderr: { write(s: string): unknown; readonly isTTY?: boolean; readonly columns?: number };
  readonly now: () => number;
  readonly signal?: AbortSignal;
}

export interface ScanResult {
  /** Matching physical lines per rule id, sorted by id. */
  readonly counts: readonly (readonly [string, number])[];
  readonly bytes: number;
  readonly lines: number;
  readonly candidates: number;
}

async function rulesFor(opts: ScanOptions): Promise<Rule[]> {
  const { loadPatternFile, loadRules } = await engine();
  const fromPatterns = opts.patterns !== undefined ? await loadPatternFile(opts.patterns) : [];
  if (opts.patterns !== undefined && (opts.rules ?? []).length === 0) return fromPatterns;
  const merged = new Map<string, Rule>();
  for (const r of await loadRules({ dirs: opts.rules ?? [] })) merged.set(r.id, r);
  for (const r of fromPatterns) merged.set(r.id, r);
  return [...merged.values()];
}

/** Counts lines per rule over every input; progress on stderr only when it is a TTY. */
export async function runScan(paths: readonly string[], opts: ScanOptions, io: ScanIo): Promise<ScanResult> {
  const [{ compileRules, createLineCounter }, { expandInputs }] = await Promise.all([engine(), sources()]);
  const rules = compileRules(await rulesFor(opts));
  if (rules.length === 0) throw new FirewatchError("usage", "No rules to scan with.", { hint: "give --patterns FILE or --rules DIR" });
  const unreadable = createUnreadableTally();
  const inputs = await expandInputs(paths, unreadable);
  if (unreadable.count() > 0) io.stderr.write(unreadable.notice());
  const progress = io.stderr.isTTY === true ? createProgress(inputs, io) : undefined;
  const counter = createLineCounter(rules, { ...(opts.maxLineBytes ? { maxLineBytes: opts.maxLineBytes } : {}), countLines: progress !== undefined });
  for (const input of inputs) {
    for await (const chunk of chunksOf(input, io.signal)) {
      counter.write(chunk);
      progress?.update(counter.stats.bytes, counter.stats.lines);
    }
    counter.endInput();
  }
  progress?.done(counter.stats.bytes, counter.stats.lines);
  const counts = rules.map((r, i) => [r.id, counter.counts[i] ?? 0] as const).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return { counts, bytes: counter.stats.bytes, lines: counter.stats.lines, candidates: counter.stats.candidates };
}

const READ_CHUNK = 1 << 20;

/**
 * The bytes of one input. A plain file is read here in 1 MiB chunks into two buffers taken in turn: the next read is
 * in flight while a chunk is counted (read one after the other, the waits were 180 ms of a 1 s scan of the 132 MB bench
 * corpus), and openInput's 64 KiB stream chunks cost a third of the scan time in round trips. Reuse is safe because the
 * line counter consumes each chunk synchronously and copies what it keeps. Gzip and stdin go through openInput.
 */
async function* chunksOf(input: InputFile, signal: AbortSignal | undefined): AsyncGenerator<Uint8Array> {
  if (input.kind !== "file" || input.path.endsWith(".gz")) {
    yield* (await opener()).openInput(input, signal);
    return;
  }
  const fh = await open(input.path, "r").catch((cause: unknown) => {
    throw new FirewatchError("input_missing", `Cannot read ${input.path}.`, { cause });
  });
  const buffers = [Buffer.allocUnsafe(READ_CHUNK), Buffer.allocUnsafe(READ_CHUNK)] as const;
  let turn = 0;
  let next: Promise<{ bytesRead: number }> | undefined = fh.read(buffers[0], 0, READ_CHUNK, null);
  try {
    const first = await next;
    next = undefined;
    if (first.bytesRead >= 2 && buffers[0][0] === 0x1f && buffers[0][1] === 0x8b) {
      yield* (await opener()).openInput(input, signal); // gzip without the .gz name: openInput detects it by magic bytes
      return;
    }
    for (let n = first.bytesRead; n > 0; ) {
      signal?.throwIfAborted();
      const [filled, free] = turn === 0 ? buffers : [buffers[1], buffers[0]];
      turn ^= 1;
      next = fh.read(free, 0, READ_CHUNK, null);
      const chunk = filled.subarray(0, n);
      yield chunk;
      n = (await next).bytesRead;
      next = undefined;
    }
  } finally {
    // A read still in flight (the consumer stopped early) must end before its file is closed.
    await next?.catch(() => undefined);
    await fh.close();
  }
}

/** A one-line progress bar: bytes, lines/s, ETA; redrawn at most 10 times a second. */

/** `id<TAB>count` lines (what the bench harness checks), or one JSON object. */
export function formatScan(result: ScanResult, format: "tsv" | "json"): string {
  if (format === "tsv") return result.counts.map(([id, n]) => `${id}\t${n}\n`).join("");
  return `${JSON.stringify({ counts: Object.fromEntries(result.counts), bytes: result.bytes, candidates: result.candidates }, null, 2)}\n`;
}

const collect = (v: string, prev: string[]) => [...prev, v];

/** Adds `scan` to the program. */
export function registerScan(program: Command): void {
  program
    .command("scan")
    .summary("Count the lines each rule matches (the matching stage only, like grep -c per rule)")
    .description(
      "Runs only the matching stage over the inputs and prints one `id<TAB>count` line per rule, sorted by id, zeros included. " +
        "A count is the number of physical lines that match, like `grep -c`; lines are split, capped and decoded exactly as in " +
        "`analyze`, with no multi-line joining and no format parsing (every rule reads the whole line). " +
        "Progress goes to stderr when it is a TTY.",
    )
    .argument("<paths...>", "log files, directories (walked) or - for stdin; .gz is read transparently")
    .option("--rules <dir>", "also load the rules in DIR (repeatable); built-ins are always loaded unless only --patterns is given", collect, [])
    .option("--patterns <file>", "ad-hoc signatures, one `id<TAB>regex` per line (JavaScript syntax); alone, only these are counted")
    .option("--count", "print counts per rule (the only output mode; accepted for grep-like scripts)")
    .option("--format <format>", "tsv (id<TAB>count lines) or json ({ counts, bytes, candidates })", "tsv")
    .addHelpText(
      "after",
      "\nExamples:\n  firewatch scan --count /var/log/syslog\n  firewatch scan --patterns sigs.tsv --count dump.log.gz\n\nExit codes: 0 scanned, 2 invalid rule, pattern or input",
    )
    .action(async (paths: string[], o: { rules: string[]; patterns?: string; format: string }) => {
      if (o.format !== "tsv" && o.format !== "json") throw new FirewatchError("usage", `--format must be tsv or json, got "${o.format}".`);
      const result = await runScan(paths, { rules: o.rules, ...(o.patterns !== undefined ? { patterns: o.patterns } : {}) }, {
        stdout: process.stdout,
        stderr: process.stderr,
        now: () => performance.now(),
      });
      process.stdout.write(formatScan(result, o.format));
    });
}
