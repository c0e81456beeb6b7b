// `firewatch scan`: only the matching stage, as fast as the bytes can be read; prints id<TAB>count per rule.
import { open, stat } from "node:fs/promises";
import type { Command } from "commander";
import { FirewatchError } from "../errors.js";
import { createProgress } from "./progress.js";
import { createUnreadableTally } from "./unreadable.js";
import type { InputFile } from "../sources/index.js";
import type { Rule } from "../rules/index.js";
import type { LineCounter } from "../rules/count-lines.js";
import { countRange, READ_CHUNK, SPLIT_MIN_BYTES, splitPoint } from "./scan-parts.js";
import type { WorkerInit, WorkerJob, WorkerReply } from "./scan-worker.js";

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
  /** A plain file at least this large is counted in two halves, the second in a worker thread (default 32 MiB). */
  readonly splitMinBytes?: number;
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

/**
 * Counts lines per rule over every input; progress on stderr only when it is a TTY. A plain file of splitMinBytes or
 * more is cut in two at a line start and its second half counted by a worker thread at the same time (both cores);
 * small files, gzip, stdin and a scan that draws progress stay on one thread.
 */
export async function runScan(paths: readonly string[], opts: ScanOptions, io: ScanIo): Promise<ScanResult> {
  const splitMin = opts.splitMinBytes ?? SPLIT_MIN_BYTES;
  const maxLineBytes = opts.maxLineBytes ? { maxLineBytes: opts.maxLineBytes } : {};
  // A file named on the command line that will be split starts the worker now, so that its start-up (~0.1 s of
  // module loading) overlaps the scan's own; one found in a walked directory starts it at its first split.
  const second = io.stderr.isTTY === true ? undefined : secondThread();
  if (second && (await anyFileOfAtLeast(paths, splitMin))) second.start();
  try {
    const [{ compileRules, createLineCounter }, { expandInputs }] = await Promise.all([engine(), sources()]);
    const ruleList = await rulesFor(opts);
    second?.init({ rules: ruleList, ...maxLineBytes });
    const rules = compileRules(ruleList);
    if (rules.length === 0) throw new FirewatchError("usage", "No rules to scan with.", { hint: "give --patterns FILE or --rules DIR" });
    const unreadable = createUnreadableTally();
    const inputs = await expandInputs(paths, unreadable);
    if (unreadable.count() > 0) io.stderr.write(unreadable.notice());
    const progress = io.stderr.isTTY === true ? createProgress(inputs, io) : undefined;
    const counter = createLineCounter(rules, { ...maxLineBytes, countLines: progress !== undefined });
    for (const input of inputs) {
      if (second && (await countSplit(input, splitMin, counter, second, io.signal))) continue;
      for await (const chunk of chunksOf(input, io.signal)) {
        counter.write(chunk);
        progress?.update(counter.stats.bytes, counter.stats.lines);
      }
      counter.endInput();
    }
    progress?.done(counter.stats.bytes, counter.stats.lines);
    const counts = Array.from(counter.counts);
    let { bytes, candidates } = counter.stats;
    const theirs = second?.used() === true ? await second.totals() : undefined;
    if (theirs) {
      theirs.counts.forEach((n, i) => (counts[i] = (counts[i] ?? 0) + n));
      bytes += theirs.bytes;
      candidates += theirs.candidates;
    }
    const sorted = rules.map((r, i) => [r.id, counts[i] ?? 0] as const).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return { counts: sorted, bytes, lines: counter.stats.lines, candidates };
  } finally {
    await second?.close();
  }
}

/** True when a path given is a regular file of at least `min` bytes (directories are not walked for this). */
async function anyFileOfAtLeast(paths: readonly string[], min: number): Promise<boolean> {
  const sizes = await Promise.all(paths.filter((p) => p !== "-" && !p.endsWith(".gz")).map((p) => stat(p).then((s) => (s.isFile() ? s.size : 0), () => 0)));
  return sizes.some((n) => n >= min);
}

/** The worker thread that counts second halves. Nothing is started unless start() or a count asks for it. */
interface SecondThread {
  /** Starts the worker (idempotent); it loads its modules while the rules are read. */
  start(): void;
  /** The rules it counts with; call once, before any count. */
  init(init: WorkerInit): void;
  /** True once a range was sent. */
  used(): boolean;
  /** Counts bytes [start, end) of the file; resolves when they are counted. */
  count(path: string, start: number, end: number): Promise<void>;
  /** The worker's counts over every range it was sent. */
  totals(): Promise<{ counts: Int32Array; bytes: number; candidates: number }>;
  close(): Promise<void>;
}

function secondThread(): SecondThread {
  let worker: Promise<import("node:worker_threads").Worker> | undefined;
  let rules: WorkerInit | undefined;
  let sent = false;
  let failure: Error | undefined;
  // Replies come in the order of the jobs: each settles the oldest waiting one.
  const waiting: { resolve: (r: WorkerReply) => void; reject: (e: Error) => void }[] = [];
  const fail = (e: Error): void => {
    failure ??= e;
    for (const w of waiting.splice(0)) w.reject(e);
  };
  const spawn = async () => {
    const { Worker } = await import("node:worker_threads");
    const w = new Worker(new URL("./scan-worker.js", import.meta.url));
    w.on("message", (r: WorkerReply) => waiting.shift()?.resolve(r));
    w.on("error", (e) => fail(new FirewatchError("internal", `scan's worker thread failed: ${e.message}`, { cause: e })));
    w.on("exit", () => fail(new FirewatchError("internal", "scan's worker thread exited before its counts were read.")));
    return w;
  };
  const start = (): Promise<import("node:worker_threads").Worker> => (worker ??= spawn());
  // The rules go first, once: as soon as they are known when the worker was started early, else with the first job.
  let ready: Promise<import("node:worker_threads").Worker> | undefined;
  const withRules = (init: WorkerInit) => (ready ??= start().then((w) => (w.postMessage(init), w)));
  const send = async (job: WorkerJob): Promise<WorkerReply> => {
    if (rules === undefined) throw new FirewatchError("internal", "scan's worker thread was sent a job before its rules.");
    const w = await withRules(rules);
    sent = true;
    if (failure) throw failure;
    const reply = new Promise<WorkerReply>((resolve, reject) => waiting.push({ resolve, reject }));
    w.postMessage(job);
    return reply;
  };
  return {
    start: () => void start(),
    init(init) {
      rules = init;
      if (worker) void withRules(init);
    },
    used: () => sent,
    async count(path, start, end) {
      const r = await send({ path, start, end });
      if (r.kind === "failed") throw new FirewatchError("input_missing", `Cannot read ${path}: ${r.message}`);
    },
    async totals() {
      const r = await send("done");
      if (r.kind !== "totals") throw new FirewatchError("internal", "scan's worker thread answered out of order.");
      return r;
    },
    async close() {
      if (worker) await (await worker).terminate();
    },
  };
}

/** Counts a plain file of splitMin bytes or more in two halves, the second in the worker; false when it is not split. */
async function countSplit(input: InputFile, splitMin: number, counter: LineCounter, second: SecondThread, signal?: AbortSignal): Promise<boolean> {
  if (input.kind !== "file" || input.path.endsWith(".gz")) return false;
  const fh = await open(input.path, "r").catch((cause: unknown) => {
    throw new FirewatchError("input_missing", `Cannot read ${input.path}.`, { cause });
  });
  try {
    const { size } = await fh.stat();
    if (size < splitMin) return false;
    const magic = Buffer.alloc(2);
    await fh.read(magic, 0, 2, 0);
    if (magic[0] === 0x1f && magic[1] === 0x8b) return false; // gzip without the .gz name
    const cut = await splitPoint(fh, size);
    if (cut === undefined) return false;
    await Promise.all([countRange(fh, counter, 0, cut, signal), second.count(input.path, cut, size)]);
    return true;
  } finally {
    await fh.close();
  }
}

/**
 * The bytes of one input. A plain file is read here in 1 MiB chunks into one reused buffer: openInput's 64 KiB
 * stream chunks cost a third of the scan time in I/O round trips (measured on the 132 MB bench corpus). Reuse is
 * safe because the line counter consumes each chunk synchronously and copies what it keeps. Gzip and stdin go
 * through openInput.
 */
async function* chunksOf(input: InputFile, signal: AbortSignal | undefined): AsyncGenerator<Uint8Array> {
  if (input.kind !== "file" || input.path.endsWith(".gz")) {
    yield* (await opener()).openInput(input, signal);
    return;
  }
  const fh = await open(input.path, "r").catch((cause: unknown) => {
    throw new FirewatchError("input_missing", `Cannot read ${input.path}.`, { cause });
  });
  try {
    const buf = Buffer.allocUnsafe(READ_CHUNK);
    const first = await fh.read(buf, 0, READ_CHUNK, null);
    if (first.bytesRead >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
      yield* (await opener()).openInput(input, signal); // gzip without the .gz name: openInput detects it by magic bytes
      return;
    }
    for (let n = first.bytesRead; n > 0; n = (await fh.read(buf, 0, READ_CHUNK, null)).bytesRead) {
      signal?.throwIfAborted();
      yield buf.subarray(0, n);
    }
  } finally {
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
