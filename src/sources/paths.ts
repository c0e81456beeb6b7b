// Expands the paths given to `analyze` / `scan` into a sorted list of log files (and stdin).
import { access, constants, readdir, realpath, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import { FirewatchError } from "../errors.js";

export interface InputFile {
  /** The path as the user will read it in reports ("-" for stdin). */
  readonly path: string;
  readonly kind: "file" | "stdin";
  /** Modification time in epoch ms: the reference for syslog stamps that carry no year. */
  readonly mtimeMs?: number;
  readonly size?: number;
}

// Names whose last extension (after .gz and rotation suffixes are removed) says "text log".
const LOG_EXTENSIONS = new Set(["log", "txt", "out", "err", "json", "jsonl", "ndjson"]);
// Rotation suffixes: ".1", "-20251226", ".2025-12-26" (logrotate's numbered and dateext styles).
const ROTATION_RE = /(?:\.\d+|-\d{8}|\.\d{4}-\d{2}-\d{2})$/;

/** Whether a file found while walking a directory looks like a text log (explicitly named files are always read). */
export function isLogFileName(name: string): boolean {
  if (name.startsWith(".")) return false;
  let base = name.endsWith(".gz") ? name.slice(0, -3) : name;
  for (let i = 0; i < 3 && ROTATION_RE.test(base); i++) base = base.replace(ROTATION_RE, "");
  const dot = base.lastIndexOf(".");
  if (dot <= 0) return base.length > 0; // no extension: "syslog", "messages", "dmesg"
  return LOG_EXTENSIONS.has(base.slice(dot + 1).toLowerCase());
}

/** File names that say nothing about which program wrote them. */
const GENERIC_NAMES = new Set([
  "app", "application", "log", "logs", "output", "out", "err", "error", "errors", "stdout", "stderr", "current", "messages",
  "syslog", "daemon", "debug", "access", "combined", "main", "server", "service", "journal", "events", "docker-events",
  "dmesg", "kern", "kernel", "compose", "docker-compose", "console", "trace", "info", "warn", "all",
]);

/**
 * The service a log file's name suggests ("streamvault.log.2.gz" → "streamvault"), for lines that carry none
 * (Python logging, `docker logs` output); undefined for stdin and generic names ("app.log", "syslog", "compose.log").
 */
export function serviceFromFileName(path: string): string | undefined {
  if (path === "-") return undefined;
  let base = basename(path);
  if (base.endsWith(".gz")) base = base.slice(0, -3);
  for (let i = 0; i < 3 && ROTATION_RE.test(base); i++) base = base.replace(ROTATION_RE, "");
  const dot = base.lastIndexOf(".");
  if (dot > 0 && LOG_EXTENSIONS.has(base.slice(dot + 1).toLowerCase())) base = base.slice(0, dot);
  base = base.replace(ROTATION_RE, "");
  base = base.replace(/[-_.](?:log|logs|debug)$/i, "");
  if (!/^[A-Za-z][\w.-]{0,63}$/.test(base) || GENERIC_NAMES.has(base.toLowerCase())) return undefined;
  return base;
}

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** An entry found while walking a directory that this user may not read: skipped, not fatal. */
export interface UnreadableEntry {
  readonly path: string;
  /** EACCES, EPERM... */
  readonly code: string;
}

export interface ExpandOptions {
  /** Told of each unreadable file or directory met inside a named directory (`analyze /var/log` as a normal user). */
  readonly onUnreadable?: (entry: UnreadableEntry) => void;
}

const DENIED = new Set(["EACCES", "EPERM"]);

async function walk(dir: string, seen: Set<string>, out: InputFile[], opts: ExpandOptions, top: boolean): Promise<void> {
  const real = await realpath(dir);
  if (seen.has(real)) return; // a symlink loop or the same directory named twice
  seen.add(real);
  let names;
  try {
    names = await readdir(dir, { withFileTypes: true });
  } catch (cause) {
    // A directory the user named must be readable; one found inside it may not be (/var/log/private).
    if (top || !DENIED.has(errnoCode(cause))) throw cause;
    opts.onUnreadable?.({ path: dir, code: errnoCode(cause) });
    return;
  }
  const entries = names.sort((a, b) => byName(a.name, b.name));
  for (const e of entries) {
    if (e.name.startsWith(".")) continue;
    const full = join(dir, e.name);
    const st = await stat(full).catch(() => undefined); // a dangling symlink is not an input
    if (!st) continue;
    if (st.isDirectory()) await walk(full, seen, out, opts, false);
    else if (st.isFile() && isLogFileName(e.name)) {
      const denied = await access(full, constants.R_OK).then(() => undefined, (cause: unknown) => errnoCode(cause));
      if (denied === undefined) out.push({ path: full, kind: "file", mtimeMs: st.mtimeMs, size: st.size });
      else opts.onUnreadable?.({ path: full, code: denied });
    }
  }
}

/**
 * Files as given, directories walked recursively (dot-files skipped, only log-looking names kept, sorted by
 * name), "-" for stdin; argument order is kept and duplicates are dropped. Inside a named directory, files and
 * directories this user may not read are skipped and passed to `opts.onUnreadable`.
 */
export async function expandInputs(paths: readonly string[], opts: ExpandOptions = {}): Promise<InputFile[]> {
  if (paths.length === 0) throw new FirewatchError("usage", "No input given.", { hint: "name log files or directories, or - for stdin" });
  const out: InputFile[] = [];
  const seenDirs = new Set<string>();
  for (const p of paths) {
    if (p === "-") {
      out.push({ path: "-", kind: "stdin" });
      continue;
    }
    const st = await stat(p).catch((cause: unknown) => {
      throw new FirewatchError("input_missing", `Cannot read ${p}: ${errnoCode(cause)}.`, {
        cause,
        hint: "check the path and that firewatch may read it",
      });
    });
    if (st.isDirectory()) {
      const found: InputFile[] = [];
      let denied = 0;
      await walk(p, seenDirs, found, { onUnreadable: (entry) => { denied++; opts.onUnreadable?.(entry); } }, true).catch((cause: unknown) => {
        throw new FirewatchError("input_missing", `Cannot read ${p}: ${errnoCode(cause)}.`, { cause, hint: "check the path and that firewatch may read it" });
      });
      if (found.length === 0) {
        throw new FirewatchError("input_empty", `No log files in ${p}${denied > 0 ? ` that this user may read (${denied} unreadable)` : ""}.`, {
          hint: denied > 0
            ? "run it as a user who may read them (e.g. in the adm or systemd-journal group), or name readable files"
            : "firewatch reads *.log, *.txt, *.json[l], names without extension, rotations (.1, .gz); dot-files are skipped",
        });
      }
      out.push(...found);
    } else {
      out.push({ path: p, kind: "file", mtimeMs: st.mtimeMs, size: st.size });
    }
  }
  const seen = new Set<string>();
  return out.filter((f) => {
    if (f.kind === "stdin") return true;
    if (seen.has(f.path)) return false;
    seen.add(f.path);
    return true;
  });
}

/** "ENOENT" and friends from a Node error, or "error". */
export function errnoCode(e: unknown): string {
  if (typeof e === "object" && e !== null && "code" in e && typeof e.code === "string") return e.code;
  return "error";
}
