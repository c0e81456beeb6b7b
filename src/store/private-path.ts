// Store files are private to the user running firewatch: a path that is a symlink, someone else's, or writable by others is refused.
import { constants } from "node:fs";
import { lstat, mkdir, open } from "node:fs/promises";
import { StoreError } from "./errors.js";
import { errnoCode } from "./file-lock.js";

function unsafe(path: string, problem: string, hint: string): StoreError {
  return new StoreError("unsafe", `the store path ${path} ${problem}; refused`, { hint });
}

/**
 * Checks what is at `path` (not following a symlink): a `kind` owned by this process's user, not writable by group or
 * others. False when nothing is there.
 */
export async function checkPrivate(path: string, kind: "directory" | "file"): Promise<boolean> {
  let st;
  try {
    st = await lstat(path);
  } catch (e) {
    if (errnoCode(e) === "ENOENT") return false;
    throw e;
  }
  if (st.isSymbolicLink()) throw unsafe(path, "is a symbolic link", "point --store at the real path; store files are never followed through links");
  if (kind === "directory" ? !st.isDirectory() : !st.isFile()) throw unsafe(path, `is not a ${kind}`, "point --store elsewhere");
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) throw unsafe(path, `belongs to uid ${st.uid}, not to this user (uid ${uid})`, `run firewatch as its owner, or chown ${path}`);
  if ((st.mode & 0o022) !== 0) {
    throw unsafe(path, `is writable by group or others (mode ${(st.mode & 0o777).toString(8).padStart(4, "0")})`, `chmod go-w ${path}`);
  }
  return true;
}

/** Creates `dir` (mode 0700, with its parents) unless it exists, then checks it (checkPrivate). */
export async function privateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await checkPrivate(dir, "directory");
}

/** Creates an empty file with mode 0600 unless one exists (never through a symlink), then checks it; true when it created it. */
export async function privateFile(path: string): Promise<boolean> {
  let created = false;
  try {
    const fh = await open(path, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY | constants.O_NOFOLLOW, 0o600);
    await fh.close();
    created = true;
  } catch (e) {
    if (errnoCode(e) !== "EEXIST") throw e;
  }
  await checkPrivate(path, "file");
  return created;
}
