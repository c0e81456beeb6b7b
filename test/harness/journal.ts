// Real journal files for tests: export-format entries piped to systemd-journal-remote, read back by journalctl.
import { execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { promisify } from "node:util";
import { findProgram, requireProgram, type Availability } from "./program.js";

const run = promisify(execFile);

export const JOURNAL_REMOTE = "/lib/systemd/systemd-journal-remote";

/** systemd's own MESSAGE_IDs, as its catalog (/usr/lib/systemd/catalog/systemd.catalog) names them. */
export const SYSTEMD_MESSAGE_ID = {
  /** "Automatic restarting of a unit has been scheduled" (carries N_RESTARTS). */
  restartScheduled: "5eb03494b6584870a536b337290809b3",
  /** "Unit failed" (carries UNIT_RESULT). */
  unitFailed: "d9b373ed55a64feb8242e02dbe79a49c",
  /** "Unit process exited" (carries EXIT_CODE, EXIT_STATUS). */
  processExited: "98e322203f7a4ed290d09fe03c09fe15",
  /** "A start job for unit has failed". */
  startFailed: "be02cf6855d2428ba40df7e9d022f03d",
} as const;

export type JournalEntry = Readonly<Record<string, string>>;

export function journalAvailability(): Availability {
  // Debian keeps systemd-journal-remote off PATH, in /lib/systemd.
  if (!existsSync(JOURNAL_REMOTE) && !findProgram("systemd-journal-remote")) {
    const a = requireProgram("systemd-journal-remote", "systemd-journal-remote");
    if (a.missing) return a;
  }
  return requireProgram("journalctl", "systemd");
}

const BOOT_ID = "0123456789abcdef0123456789abcdef";

/** Journal export format (systemd.io/JOURNAL_EXPORT_FORMATS): KEY=value lines, a blank line after each entry. */
export function exportFormat(entries: readonly JournalEntry[]): string {
  return entries
    .map((e) => {
      const lines = Object.entries(e).map(([k, v]) => {
        if (v.includes("\n")) throw new Error(`field ${k}: the text export format cannot carry a newline`);
        return `${k}=${v}`;
      });
      return lines.join("\n") + "\n\n";
    })
    .join("");
}

/** One entry with the trusted fields journald would add; `timeUs` is microseconds since the epoch. */
export function journalEntry(timeUs: number, fields: Record<string, string>): JournalEntry {
  return {
    __REALTIME_TIMESTAMP: String(timeUs),
    __MONOTONIC_TIMESTAMP: String(timeUs % 1_000_000_000_000),
    _BOOT_ID: BOOT_ID,
    _HOSTNAME: "palantir",
    PRIORITY: "6",
    ...fields,
  };
}

/** systemd's "Scheduled restart job, restart counter is at N." for a unit, as PID 1 logs it. */
export function restartScheduledEntry(timeUs: number, unit: string, n: number): JournalEntry {
  return journalEntry(timeUs, {
    MESSAGE: `${unit}: Scheduled restart job, restart counter is at ${n}.`,
    MESSAGE_ID: SYSTEMD_MESSAGE_ID.restartScheduled,
    N_RESTARTS: String(n),
    UNIT: unit,
    _SYSTEMD_UNIT: "init.scope",
    _PID: "1",
    _COMM: "systemd",
    SYSLOG_IDENTIFIER: "systemd",
  });
}

/** A line the unit itself printed on stdout (as journald stores it). */
export function unitLineEntry(timeUs: number, unit: string, pid: number, message: string, priority = 6): JournalEntry {
  return journalEntry(timeUs, {
    MESSAGE: message,
    PRIORITY: String(priority),
    _SYSTEMD_UNIT: unit,
    _PID: String(pid),
    SYSLOG_IDENTIFIER: unit.replace(/\.service$/, ""),
  });
}

/** Appends entries to a journal file (created if missing) through systemd-journal-remote. */
export async function writeJournal(file: string, entries: readonly JournalEntry[]): Promise<void> {
  const bin = existsSync(JOURNAL_REMOTE) ? JOURNAL_REMOTE : (findProgram("systemd-journal-remote") ?? JOURNAL_REMOTE);
  const child = spawn(bin, [`--output=${file}`, "-"], { stdio: ["pipe", "ignore", "pipe"] });
  let err = "";
  child.stderr.on("data", (d: Buffer) => { err += d.toString(); });
  child.stdin.end(exportFormat(entries));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (c) => resolve(c));
  });
  if (code !== 0) throw new Error(`systemd-journal-remote exited ${code}: ${err}`);
}

/** Every entry of a journal file, as `journalctl --file FILE -o json` prints them. */
export async function readJournal(file: string): Promise<Record<string, string>[]> {
  const { stdout } = await run("journalctl", ["--file", file, "-o", "json", "--no-pager"], { maxBuffer: 64 * 1024 * 1024 });
  return stdout
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as Record<string, string>);
}
