// Directories and files another local user cannot plant: a store or report directory must be ours, not group- or
// world-writable and no symlink; files in it are created O_EXCL|O_NOFOLLOW under random temporary names.
import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { lstat, mkdir, open, type FileHandle } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { StoreError } from "./errors.js";

const { O_CREAT, O_EXCL, O_WRONLY, O_APPEND, O_RDONLY, O_NOFOLLOW } = constants;

/** The errno code of a Node system error ("ENOENT", "EEXIST"...), undefined for anything else. */
export function errnoCode(e: unknown): string | undefined {
  return e instanceof Error && "code" in e && typeof e.code === "string" ? e.code : undefined;
}

/** The effective uid files must belong to (root runs as 0); undefined where the platform has none. */
const myUid = (): number | undefined => (typeof process.geteuid === "function" ? process.geteuid() : undefined);

/** Why `dir` (lstat'ed) is no safe place for firewatch's files, or undefined when it is. */
function unsafeReason(st: Awaited<ReturnType<typeof lstat>>): string | undefined {
  if (st.isSymbolicLink()) return "is a symbolic link";
  if (!st.isDirectory()) return "is not a directory";
  const uid = myUid();
  if (uid !== undefined && Number(st.uid) !== uid) return `belongs to uid ${st.uid}, not to this user (uid ${uid})`;
  if ((Number(st.mode) & 0o022) !== 0) return `is writable by ${(Number(st.mode) & 0o002) !== 0 ? "everyone" : "its group"} (mode ${(Number(st.mode) & 0o777).toString(8)})`;
  return undefined;
}

/**
 * Creates `dir` (and missing parents, one mkdir at a time: a recursive mkdir under /proc never returns) with `mode`,
 * or checks the one that is there: it must be ours, not group/world-writable and not a symlink. Refuses with a
 * StoreError "unsafe" (exit 2) naming the problem. `what` names it in the message ("the store", "the report directory").
 */
export async function ensureSafeDir(dir: string, opts: { mode: number; what: string }): Promise<void> {
  const abs = resolve(dir);
  const missing: string[] = [];
  let at = abs;
  for (;;) {
    try {
      const st = await lstat(at);
      if (!st.isDirectory() && !st.isSymbolicLink()) throw new StoreError("unsafe", `${opts.what} ${dir}: ${at} is not a directory`);
      break;
    } catch (e) {
      if (errnoCode(e) !== "ENOENT") throw e instanceof StoreError ? e : new StoreError("unsafe", `${opts.what} ${dir}: cannot read ${at} (${errnoCode(e) ?? String(e)})`, { cause: e });
      missing.unshift(at);
      const up = dirname(at);
      if (up === at) break;
      at = up;
    }
  }
  for (const d of missing) {
    try {
      await mkdir(d, { mode: opts.mode });
    } catch (e) {
      if (errnoCode(e) !== "EEXIST") throw new StoreError("unsafe", `${opts.what} ${dir}: cannot create ${d} (${errnoCode(e) ?? String(e)})`, { cause: e });
    }
  }
  const problem = unsafeReason(await lstat(abs));
  if (problem !== undefined) {
    throw new StoreError("unsafe", `${opts.what} ${dir} ${problem}: refused, another local user could plant or redirect its files`, {
      hint: `use a directory of your own (mkdir -m ${opts.mode.toString(8)} DIR), or fix it: chown $(id -u) DIR && chmod go-w DIR`,
    });
  }
}

/** A fresh temporary name beside `path` (".NAME.tmp-RANDOM"): unguessable, so nobody can plant it first. */
export function randomTempPath(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp-${randomBytes(8).toString("hex")}`);
}

/** Creates `path` for writing: it must not exist yet, and a symlink there is never followed (EEXIST / ELOOP). */
export async function createExclusive(path: string, mode = 0o600): Promise<FileHandle> {
  return open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode);
}

/** Closes and refuses `fh` unless it is a plain file of ours with no other name (a hard link to a file elsewhere). */
async function ownPlainFile(fh: FileHandle, path: string): Promise<FileHandle> {
  const st = await fh.stat();
  const uid = myUid();
  if (!st.isFile() || st.nlink !== 1 || (uid !== undefined && st.uid !== uid)) {
    await fh.close();
    throw new StoreError("unsafe", `${path} is not a plain file of this user's (a hard link or another owner): refused`);
  }
  return fh;
}

/** Opens `path` for appending (creating it), never through a symlink; refuses a file that is not ours or has other links. */
export async function openAppendSafe(path: string, mode = 0o600): Promise<FileHandle> {
  return ownPlainFile(await open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW, mode), path);
}

/**
 * Reads `path` as text without following a symlink; undefined when it does not exist. (The lock file has two names
 * for a moment while it is taken, so this does not insist on one; readOwnFile does.)
 */
export async function readNoFollow(path: string): Promise<string | undefined> {
  return readOpened(path, (fh) => Promise.resolve(fh));
}

/** readNoFollow, and only a plain file of ours with no other name (a hard link planted to a file elsewhere). */
export async function readOwnFile(path: string): Promise<string | undefined> {
  return readOpened(path, (fh) => ownPlainFile(fh, path));
}

async function readOpened(path: string, check: (fh: FileHandle) => Promise<FileHandle>): Promise<string | undefined> {
  let fh: FileHandle;
  try {
    fh = await check(await open(path, O_RDONLY | O_NOFOLLOW));
  } catch (e) {
    if (errnoCode(e) === "ENOENT") return undefined;
    if (errnoCode(e) === "ELOOP") throw new StoreError("unsafe", `${path} is a symbolic link: refused`, { cause: e });
    throw e;
  }
  try {
    return await fh.readFile("utf8");
  } finally {
    await fh.close();
  }
}
