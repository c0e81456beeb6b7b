// Makes the directory an --out flag names, one level at a time: a path that cannot be a directory is a one-line usage error.
import { mkdir, stat } from "node:fs/promises";
import path from "node:path";
import { FirewatchError } from "../errors.js";
import { errnoCode } from "../sources/index.js";

const WHY: Readonly<Record<string, string>> = {
  EACCES: "permission denied",
  EPERM: "not permitted",
  EROFS: "read-only file system",
  ENOTDIR: "a part of the path is a file",
  ENOENT: "a part of the path does not exist and cannot be made",
  ENOSPC: "no space left on the device",
  EEXIST: "it is a file, not a directory",
};

/**
 * mkdir -p without Node's recursive mode, which loops forever on a path under /proc (`mkdir /proc/x` keeps
 * answering ENOENT): each missing parent is made once, and the first refusal becomes `flag DIR: why`.
 */
export async function ensureOutDir(dir: string, flag: string, mode = 0o777): Promise<void> {
  const fail = (cause: unknown): never => {
    const code = errnoCode(cause);
    throw new FirewatchError("usage", `${flag} ${dir}: cannot make this directory (${WHY[code] ?? code})`, { cause, hint: "name a directory this user may write" });
  };
  const make = async (d: string, depth: number): Promise<void> => {
    try {
      await mkdir(d, mode);
      return;
    } catch (cause) {
      const code = errnoCode(cause);
      if (code === "EEXIST") {
        if ((await stat(d).catch(() => undefined))?.isDirectory()) return;
        fail(cause);
      }
      const parent = path.dirname(d);
      if (code !== "ENOENT" || parent === d || depth > 64) fail(cause);
      await make(parent, depth + 1);
      await mkdir(d, mode).catch(fail);
    }
  };
  await make(path.resolve(dir), 0);
}
