// Follows the systemd journal through `journalctl -o json`, here or over SSH, resuming at a cursor with no loss.
//
// Every JSON entry carries its own __CURSOR, so --show-cursor (which prints one trailing cursor only when
// journalctl exits) is not needed: each record's cursor is its entry's. Entries are not joined into
// multi-line records: a journal entry already is one event, and a joined record could only carry the
// cursor of its first entry, which would repeat the others after a restart.
//
// Each (re)start reads in two runs, because `journalctl --follow` is not a safe way to read a backlog:
// - catch-up: `journalctl --cursor=C` without --follow reads every entry from the cursor's on, across boots. The
//   first entry must be the cursor's own (then skipped): otherwise the journal was vacuumed past it, and the
//   entries between are lost (counted from the sequence numbers in the cursors). Measured on systemd 252:
//   `--follow --after-cursor` without `--lines=all` printed only the last 10 entries of a 30,000-entry backlog, and
//   `--follow` reads only the newest boot, so the rest of an older boot would be skipped after a reboot.
// - follow: `journalctl --follow --lines=all --cursor=LAST`, skipping what the catch-up handed out already.
// A journalctl that exits while following (a journal it cannot read: no usable boot id, permissions, corruption),
// or that prints nothing while `journalctl -n 1` shows a newer entry, is a fault: reported (onFault) and started
// again after a backoff, the catch-up reading what it missed.
import { z } from "zod";
import { FirewatchError } from "../errors.js";
import { backoffDelay, HostError, isHostError, type Host, type HostProcess, type ProcessExit } from "../hosts/index.js";
import { createFrameStats, createLineSplitter, createRecordParser, type FrameStats, type LogRecord } from "../parsers/index.js";
import { Duration, systemClock, type Clock } from "../time.js";

/** The journald part of a source's config (composed into firewatch.yaml by config/). */
export const JournaldSourceConfig = z
  .object({
    units: z.array(z.string().regex(/^[A-Za-z0-9@_.:\\-]+$/)).default([]).describe("System units to follow (journalctl -u); empty: all"),
    userUnits: z.array(z.string().regex(/^[A-Za-z0-9@_.:\\-]+$/)).default([]).describe("User units to follow (journalctl --user-unit)"),
    priority: z.string().regex(/^(?:[0-7]|emerg|alert|crit|err|warning|notice|info|debug)(?:\.\.(?:[0-7]|emerg|alert|crit|err|warning|notice|info|debug))?$/).optional().describe("journalctl -p: a level or a range such as err or 0..4"),
    directory: z.string().optional().describe("Read journal files from this directory instead of the system journal"),
    files: z.array(z.string()).default([]).describe("Read these journal files instead of the system journal"),
    startAt: z.enum(["beginning", "end"]).default("end").describe("Where a source without a stored cursor starts"),
    stallCheck: Duration.default(30_000).describe("After this long without an entry, `journalctl -n 1` is asked whether the journal has newer ones; twice in a row means journalctl is stuck (a fault)"),
  })
  .strict();
export type JournaldSourceConfig = z.infer<typeof JournaldSourceConfig>;

export interface JournaldOptions extends Partial<JournaldSourceConfig> {
  readonly host: Host;
  /** Resume after this entry (a record's cursor). */
  readonly cursor?: string;
  /** Keep following (journalctl --follow) and restart journalctl when it dies; default true. */
  readonly follow?: boolean;
  readonly signal?: AbortSignal;
  readonly clock?: Clock;
  readonly random?: () => number;
  /** Counters: restarts of journalctl, lines, issues. */
  readonly stats?: JournaldStats;
  /** How long a following journalctl may print nothing before `journalctl -n 1` is asked for a newer entry; default 30 s. */
  readonly stallCheckMs?: number;
  /** journalctl failed in a way a restart alone does not explain (exited while following, stalled, refused). */
  readonly onFault?: (detail: string) => void;
  /** Following works again after a fault (journalctl has run FAULT_CLEAR_MS or handed out an entry). */
  readonly onHealed?: () => void;
  /** Entries provably gone before they were read: `entries` undefined when their number is not known. */
  readonly onLost?: (entries: number | undefined, detail: string) => void;
}

export interface JournaldStats {
  restarts: number;
  /** Times the host could not start journalctl (link down) and the source waited to retry. */
  hostErrors: number;
  /** journalctl runs that failed (exit, stall, error) while following. */
  faults: number;
  /** Entries known lost (the journal vacuumed past the cursor). */
  lostEntries: number;
  readonly frame: FrameStats;
  /** When the reader last had nothing more to read (ms, the source's clock). */
  caughtUpAt: number | undefined;
}

export function createJournaldStats(): JournaldStats {
  return { restarts: 0, hostErrors: 0, faults: 0, lostEntries: 0, frame: createFrameStats(), caughtUpAt: undefined };
}

/** A following journalctl that has run this long without failing has recovered from a fault. */
const FAULT_CLEAR_MS = 5000;

function filterArgs(opts: Omit<JournaldOptions, "host">): string[] {
  const argv: string[] = [];
  for (const u of opts.units ?? []) argv.push(`--unit=${u}`);
  for (const u of opts.userUnits ?? []) argv.push(`--user-unit=${u}`);
  if (opts.priority !== undefined) argv.push(`--priority=${opts.priority}`);
  if (opts.directory !== undefined) argv.push(`--directory=${opts.directory}`);
  for (const f of opts.files ?? []) argv.push(`--file=${f}`);
  return argv;
}

/**
 * The journalctl argv of one run: "catchup" reads from the cursor's entry (included, so it can be checked) to the
 * end, across boots; "follow" follows from the cursor's entry (included), or only new entries without one.
 */
export function journalctlArgv(opts: Omit<JournaldOptions, "host">, cursor: string | undefined, run: "catchup" | "follow" = opts.follow === false ? "catchup" : "follow", sinceSec?: number): string[] {
  const argv = ["journalctl", "-o", "json", "--no-pager", "--quiet"];
  if (run === "follow") argv.push("--follow", cursor === undefined ? "--lines=0" : "--lines=all");
  if (cursor !== undefined) argv.push(`--cursor=${cursor}`);
  else if (run === "catchup" && sinceSec !== undefined) argv.push(`--since=@${sinceSec}`);
  return [...argv, ...filterArgs(opts)];
}

/** The sequence number id and number a cursor carries ("s=...;i=hex;..."). */
function seqOf(cursor: string | undefined): { id: string; n: bigint } | undefined {
  const m = cursor === undefined ? null : /(?:^|;)s=([0-9a-f]+);i=([0-9a-f]+)(?:;|$)/.exec(cursor);
  return m?.[1] && m[2] ? { id: m[1], n: BigInt(`0x${m[2]}`) } : undefined;
}

/** What the first entries of a run are checked against: the last cursor handed out. */
interface Resume {
  readonly cursor: string;
  readonly seq: { id: string; n: bigint } | undefined;
  /** The cursor's own entry was seen (or the check does not apply any more). */
  settled: boolean;
}

type RunState = { cursor: string | undefined; got: number; lastAt: number; since: number | undefined };

/**
 * Records from the journal, each with its __CURSOR. Following, a journalctl that exits is started again (catch-up,
 * then follow) after the last cursor handed out, with backoff; nothing is repeated, and loss is reported.
 */
export async function* followJournal(opts: JournaldOptions): AsyncGenerator<LogRecord> {
  const clock = opts.clock ?? systemClock;
  const stats = opts.stats ?? createJournaldStats();
  const follow = opts.follow ?? true;
  // Started at the end with no cursor: a restart before the first entry reads from the first start's second on.
  const state: RunState = { cursor: opts.cursor, got: 0, lastAt: clock.now(), since: opts.cursor === undefined && opts.startAt !== "beginning" ? Math.floor(clock.now() / 1000) : undefined };
  let failures = 0;
  let faulted = false;
  let first = true;
  const fault = (detail: string) => {
    stats.faults += 1;
    faulted = true;
    opts.onFault?.(detail);
  };
  while (!opts.signal?.aborted) {
    const before = state.got;
    let failed: string | undefined;
    let linkLost = false;
    try {
      // A first start at the end reads no backlog; any other (re)start reads everything since the last cursor.
      if (!first || state.cursor !== undefined || opts.startAt === "beginning") {
        const exit = yield* runJournalctl(opts, clock, stats, state, "catchup");
        if (exit.code === null && exit.signal === "link") linkLost = true;
        else if (exit.code !== 0) failed = describeExit("journalctl", exit);
        else stats.caughtUpAt = clock.now();
      }
      first = false;
      if (!follow) {
        if (linkLost) throw new HostError(opts.host.name, "link_lost", "connection lost while journalctl read the journal");
        if (failed !== undefined) throw new FirewatchError("input_invalid", `${opts.host.name}: ${failed}`, { hint: HINT });
        return;
      }
      // The link dropped during the catch-up: start over from the last cursor rather than follow from there.
      if (failed === undefined && !linkLost) {
        const exit = yield* runJournalctl(opts, clock, stats, state, "follow", () => {
          if (faulted) {
            faulted = false;
            opts.onHealed?.();
          }
        });
        if (opts.signal?.aborted) return;
        failed = exit.stalled ?? describeExit("journalctl --follow", exit);
      }
    } catch (e) {
      // A host that is down for now (SSH link lost, reconnects exhausted) is retried while following;
      // a missing journalctl, a refused key or a failed login is not something waiting fixes.
      if (!follow || !isHostError(e) || (e.reason !== "unreachable" && e.reason !== "link_lost")) throw e;
      stats.hostErrors += 1;
    }
    if (opts.signal?.aborted) return;
    if (failed !== undefined) fault(failed);
    stats.restarts += 1;
    failures = state.got > before ? 0 : failures + 1;
    try {
      await clock.sleep(backoffDelay(failures, { baseMs: 250, maxMs: 30_000 }, opts.random ?? Math.random), opts.signal);
    } catch {
      return;
    }
  }
}

const HINT = "check the journal files, that the user may read the journal (group systemd-journal), and journalctl --verify";

function describeExit(what: string, exit: ProcessExit): string | undefined {
  // The link dropped (SSH): the host's trouble, reported as such, not journalctl's.
  if (exit.code === null && exit.signal === "link") return undefined;
  const why = exit.stderr.trim().split("\n").find((l) => l.trim() !== "") ?? "";
  return `${what} exited (${exit.code ?? exit.signal})${why ? `: ${why}` : " while following"}`;
}

/**
 * One journalctl run's records; `state` keeps the last cursor handed out. The entries up to the resume cursor are
 * skipped (the run starts at the cursor's own entry); a first entry past it means the cursor's entry is gone.
 */
async function* runJournalctl(
  opts: JournaldOptions, clock: Clock, stats: JournaldStats, state: RunState, run: "catchup" | "follow", onFlowing?: () => void,
): AsyncGenerator<LogRecord, ProcessExit & { stalled?: string }> {
  const proc = await opts.host.spawn(journalctlArgv(opts, state.cursor, run, state.since), opts.signal ? { signal: opts.signal } : {});
  const resume: Resume | undefined = state.cursor === undefined ? undefined : { cursor: state.cursor, seq: seqOf(state.cursor), settled: false };
  const splitter = createLineSplitter({ stats: stats.frame });
  const parser = createRecordParser({ file: `journal:${opts.host.name}`, referenceMs: clock.now(), format: "journal-json", stats: stats.frame });
  const ready: LogRecord[] = [];
  const onRecord = (r: LogRecord) => ready.push(opts.host.name === "local" || r.host !== undefined ? r : { ...r, host: opts.host.name });
  const watch = run === "follow" ? watchFollow(opts, clock, state, proc, onFlowing) : undefined;
  try {
    for await (const chunk of proc.stdout) {
      splitter.push(chunk, (line) => parser.push(line, onRecord));
      for (const r of ready.splice(0)) {
        if (resume !== undefined && !resume.settled && skipOrCheck(r, resume, run, opts, stats)) continue;
        yield r;
        state.got += 1;
        state.lastAt = clock.now();
        if (r.cursor !== undefined) state.cursor = r.cursor;
      }
    }
  } finally {
    watch?.stop();
    await proc.close();
  }
  const exit = await proc.exited;
  const stalled = watch?.stalled();
  return stalled === undefined ? exit : { ...exit, stalled };
}

/** true: skip this entry (the resume cursor's own, or one before it). Reports a gap when the cursor's entry is gone. */
function skipOrCheck(r: LogRecord, resume: Resume, run: "catchup" | "follow", opts: JournaldOptions, stats: JournaldStats): boolean {
  if (r.cursor === resume.cursor) {
    resume.settled = true;
    return true;
  }
  const seq = seqOf(r.cursor);
  if (seq !== undefined && resume.seq !== undefined && seq.id === resume.seq.id && seq.n <= resume.seq.n) return true;
  resume.settled = true;
  // Following starts at the newest boot: an older cursor's entry is not shown there, and the catch-up read the rest.
  if (run === "follow") return false;
  const filtered = (opts.units?.length ?? 0) > 0 || (opts.userUnits?.length ?? 0) > 0 || opts.priority !== undefined;
  const gap = seq !== undefined && resume.seq !== undefined && seq.id === resume.seq.id ? Number(seq.n - resume.seq.n - 1n) : undefined;
  const count = gap === undefined ? "an unknown number of entries" : `${filtered ? "at most " : ""}${gap} entr${gap === 1 ? "y" : "ies"}`;
  const lost = gap === undefined ? undefined : gap;
  if (lost !== undefined) stats.lostEntries += lost;
  opts.onLost?.(lost, `the journal no longer holds the entry of the saved cursor (vacuumed or rotated away): ${count} after it were never read`);
  return false;
}

/** While following: says "flowing" once the run has lasted FAULT_CLEAR_MS, and stops a journalctl that stalls. */
function watchFollow(opts: JournaldOptions, clock: Clock, state: RunState, proc: HostProcess, onFlowing?: () => void): { stop(): void; stalled(): string | undefined } {
  // Stopped with the run, or with the source even if the run is stuck somewhere (so it never outlives the daemon).
  const ac = new AbortController();
  const stop = () => ac.abort();
  opts.signal?.addEventListener("abort", stop, { once: true });
  ac.signal.addEventListener("abort", () => opts.signal?.removeEventListener("abort", stop), { once: true });
  const startedAt = clock.now();
  const checkMs = opts.stallCheckMs ?? 30_000;
  let stalled: string | undefined;
  void (async () => {
    let flowing = false;
    let suspect: string | undefined;
    while (!ac.signal.aborted) {
      await clock.sleep(Math.min(checkMs, FAULT_CLEAR_MS), ac.signal).catch(() => undefined);
      if (ac.signal.aborted) return;
      const now = clock.now();
      if (!flowing && now - startedAt >= FAULT_CLEAR_MS) {
        flowing = true;
        onFlowing?.();
      }
      if (now - state.lastAt < checkMs) {
        suspect = undefined;
        continue;
      }
      const newest = await newestCursor(opts).catch(() => undefined);
      if (ac.signal.aborted) return;
      if (newest === undefined || newest === state.cursor || isBefore(newest, state.cursor)) {
        suspect = undefined;
        continue;
      }
      // Seen at two looks in a row: a journalctl that is merely slow has printed something by the second.
      if (suspect === undefined) {
        suspect = newest;
        continue;
      }
      stalled = `journalctl --follow printed nothing for ${Math.round((now - state.lastAt) / 1000)} s while the journal has newer entries`;
      await proc.close();
      return;
    }
  })();
  return { stop: () => ac.abort(), stalled: () => stalled };
}

function isBefore(a: string, b: string | undefined): boolean {
  const x = seqOf(a);
  const y = seqOf(b);
  return x !== undefined && y !== undefined && x.id === y.id && x.n <= y.n;
}

/** The cursor of the newest entry the filters select (`journalctl -n 1`, no --follow: every boot). */
async function newestCursor(opts: JournaldOptions): Promise<string | undefined> {
  const r = await opts.host.exec(["journalctl", "-o", "json", "--no-pager", "--quiet", "--lines=1", ...filterArgs(opts)], { timeoutMs: 10_000, maxOutputBytes: 1024 * 1024 });
  const line = r.stdout.trim().split("\n").at(-1);
  if (!line) return undefined;
  try {
    const parsed: unknown = JSON.parse(line);
    return typeof parsed === "object" && parsed !== null && "__CURSOR" in parsed && typeof parsed.__CURSOR === "string" ? parsed.__CURSOR : undefined;
  } catch {
    return undefined;
  }
}
