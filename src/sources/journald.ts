// Follows the systemd journal through `journalctl -o json`, here or over SSH, resuming after a cursor.
//
// Every JSON entry carries its own __CURSOR, so --show-cursor (which prints one trailing cursor only when
// journalctl exits) is not needed: each record's cursor is its entry's. Entries are not joined into
// multi-line records: a journal entry already is one event, and a joined record could only carry the
// cursor of its first entry, which would repeat the others after a restart.
import { z } from "zod";
import { FirewatchError } from "../errors.js";
import { backoffDelay, isHostError, type Host, type HostProcess } from "../hosts/index.js";
import { createFrameStats, createLineSplitter, createRecordParser, type FrameStats, type LogRecord } from "../parsers/index.js";
import { systemClock, type Clock } from "../time.js";

/** The journald part of a source's config (composed into firewatch.yaml by config/). */
export const JournaldSourceConfig = z
  .object({
    units: z.array(z.string().regex(/^[A-Za-z0-9@_.:\\-]+$/)).default([]).describe("System units to follow (journalctl -u); empty: all"),
    userUnits: z.array(z.string().regex(/^[A-Za-z0-9@_.:\\-]+$/)).default([]).describe("User units to follow (journalctl --user-unit)"),
    priority: z.string().regex(/^(?:[0-7]|emerg|alert|crit|err|warning|notice|info|debug)(?:\.\.(?:[0-7]|emerg|alert|crit|err|warning|notice|info|debug))?$/).optional().describe("journalctl -p: a level or a range such as err or 0..4"),
    directory: z.string().optional().describe("Read journal files from this directory instead of the system journal"),
    files: z.array(z.string()).default([]).describe("Read these journal files instead of the system journal"),
    startAt: z.enum(["beginning", "end"]).default("end").describe("Where a source without a stored cursor starts"),
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
}

export interface JournaldStats {
  restarts: number;
  /** Times the host could not start journalctl (link down) and the source waited to retry. */
  hostErrors: number;
  readonly frame: FrameStats;
}

export function createJournaldStats(): JournaldStats {
  return { restarts: 0, hostErrors: 0, frame: createFrameStats() };
}

/** The journalctl argv for these options: JSON out, filters, where to start. */
export function journalctlArgv(opts: Omit<JournaldOptions, "host">, cursor: string | undefined): string[] {
  const argv = ["journalctl", "-o", "json", "--no-pager", "--quiet"];
  if (opts.follow ?? true) argv.push("--follow");
  if (cursor !== undefined) argv.push(`--after-cursor=${cursor}`);
  else argv.push(opts.startAt === "beginning" ? "--lines=all" : "--lines=0");
  for (const u of opts.units ?? []) argv.push(`--unit=${u}`);
  for (const u of opts.userUnits ?? []) argv.push(`--user-unit=${u}`);
  if (opts.priority !== undefined) argv.push(`--priority=${opts.priority}`);
  if (opts.directory !== undefined) argv.push(`--directory=${opts.directory}`);
  for (const f of opts.files ?? []) argv.push(`--file=${f}`);
  return argv;
}

/**
 * Records from the journal, each with its __CURSOR. Following, a journalctl that exits (journald restarted,
 * SSH link lost) is started again after the last cursor handed out, with backoff; nothing is repeated.
 */
export async function* followJournal(opts: JournaldOptions): AsyncGenerator<LogRecord> {
  const clock = opts.clock ?? systemClock;
  const stats = opts.stats ?? createJournaldStats();
  const follow = opts.follow ?? true;
  const state = { cursor: opts.cursor, got: 0 };
  let failures = 0;
  while (!opts.signal?.aborted) {
    state.got = 0;
    let proc: HostProcess | undefined;
    try {
      proc = await opts.host.spawn(journalctlArgv(opts, state.cursor), opts.signal ? { signal: opts.signal } : {});
    } catch (e) {
      // A host that is down for now (SSH link lost, reconnects exhausted) is retried while following;
      // a missing journalctl, a refused key or a failed login is not something waiting fixes.
      if (!follow || !isHostError(e) || (e.reason !== "unreachable" && e.reason !== "link_lost")) throw e;
      stats.hostErrors += 1;
    }
    if (proc) {
      try {
        yield* readJournalctl(proc, opts, clock, stats, state);
      } finally {
        await proc.close();
      }
      const exit = await proc.exited;
      if (!follow) {
        if (exit.code !== 0) throw journalctlFailed(opts.host.name, exit.code, exit.signal, exit.stderr);
        return;
      }
      if (opts.signal?.aborted) return;
      // A cursor journalctl cannot find (the journal was vacuumed) fails the same way every time: say so.
      if (exit.code !== 0 && state.got === 0 && /cursor/i.test(exit.stderr)) throw journalctlFailed(opts.host.name, exit.code, exit.signal, exit.stderr);
    }
    stats.restarts += 1;
    failures = state.got > 0 ? 0 : failures + 1;
    try {
      await clock.sleep(backoffDelay(failures, { baseMs: 250, maxMs: 30_000 }, opts.random ?? Math.random), opts.signal);
    } catch {
      return;
    }
  }
}

/** One journalctl run's records; `state` keeps the last cursor handed out for the next run. */
async function* readJournalctl(proc: HostProcess, opts: JournaldOptions, clock: Clock, stats: JournaldStats, state: { cursor: string | undefined; got: number }): AsyncGenerator<LogRecord> {
  const splitter = createLineSplitter({ stats: stats.frame });
  const parser = createRecordParser({ file: `journal:${opts.host.name}`, referenceMs: clock.now(), format: "journal-json", stats: stats.frame });
  const ready: LogRecord[] = [];
  const onRecord = (r: LogRecord) => ready.push(opts.host.name === "local" || r.host !== undefined ? r : { ...r, host: opts.host.name });
  for await (const chunk of proc.stdout) {
    splitter.push(chunk, (line) => parser.push(line, onRecord));
    for (const r of ready.splice(0)) {
      yield r;
      state.got += 1;
      if (r.cursor !== undefined) state.cursor = r.cursor;
    }
  }
}

function journalctlFailed(host: string, code: number | null, signal: string | null, stderr: string): FirewatchError {
  return new FirewatchError("input_invalid", `${host}: journalctl failed (${code ?? signal}): ${stderr.trim().split("\n")[0] ?? ""}`, {
    hint: "check the cursor, the journal files and that the user may read the journal (group systemd-journal)",
  });
}
