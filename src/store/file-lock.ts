// One process per file-store directory: a lock file naming its holder, taken atomically, stale ones (dead pid) taken over.
import { readFileSync } from "node:fs";
import { link, unlink } from "node:fs/promises";
import { hostname } from "node:os";
import { z } from "zod";
import { StoreError } from "./errors.js";
import { createExclusive, errnoCode, randomTempPath, readNoFollow } from "./safe-fs.js";

export { errnoCode };

const Holder = z.object({ pid: z.number().int().positive(), host: z.string(), since: z.string() });
type Holder = z.infer<typeof Holder>;

export interface DirLock {
  readonly path: string;
  release(): Promise<void>;
}

/** Whether process `pid` exists on this host and is not a zombie (EPERM: it does, as someone else's). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    // EPERM: it exists but belongs to someone else, still alive.
    return errnoCode(e) === "EPERM";
  }
  return !zombie(pid);
}

/**
 * A killed process its parent has not reaped yet still answers kill(pid, 0), but holds nothing any more (a supervisor
 * slow to wait(), a container's init). Linux's /proc says so ("Z" after the command in parentheses); elsewhere: no.
 */
function zombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.charAt(stat.lastIndexOf(")") + 2) === "Z";
  } catch {
    return false;
  }
}

async function readHolder(path: string): Promise<Holder | undefined> {
  try {
    const parsed = Holder.safeParse(JSON.parse((await readNoFollow(path)) ?? ""));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Takes `path` for this process. The holder's record is written to a temp file first and hard-linked into place,
 * so the lock never exists without its content (a reader can always tell who holds it).
 */
export async function acquireDirLock(path: string, now: Date): Promise<DirLock> {
  const me: Holder = { pid: process.pid, host: hostname(), since: now.toISOString() };
  // A random name created O_EXCL|O_NOFOLLOW: a name another user could guess (lock.PID) could be planted as a symlink.
  const tmp = randomTempPath(path);
  const fh = await createExclusive(tmp);
  try {
    await fh.writeFile(JSON.stringify(me));
  } finally {
    await fh.close();
  }
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await link(tmp, path);
        return { path, release: async () => { await unlink(path).catch(() => undefined); } };
      } catch (e) {
        if (errnoCode(e) !== "EEXIST") throw e;
      }
      const holder = await readHolder(path);
      if (holder && (holder.host !== me.host || alive(holder.pid))) {
        throw new StoreError("locked", `the store ${path.replace(/\/[^/]*$/, "")} is in use by pid ${holder.pid} on ${holder.host} since ${holder.since}`, {
          hint: "one process per file store: stop the other firewatch, open it read-only (list/show), or share state through --store redis://",
        });
      }
      // Its holder died without releasing it (kill -9): take it over.
      await unlink(path).catch(() => undefined);
    }
    throw new StoreError("locked", `could not take the lock ${path}: another process keeps taking it`);
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}
