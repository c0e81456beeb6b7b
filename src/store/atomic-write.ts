// Replaces a file so that a crash (kill -9, power loss) leaves either the old or the new bytes, never a mix.
import { open, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { createExclusive, randomTempPath } from "./safe-fs.js";

/** The prefix of the temporary names a write of `path` goes through; a leftover one is an unfinished write. */
export function tempPrefixFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp-`);
}

/**
 * Write a new temp file (random name, O_EXCL|O_NOFOLLOW: nothing planted there is followed or reused), fsync it,
 * rename over `path`, fsync the directory (so the rename itself is durable).
 */
export async function writeFileAtomic(path: string, data: string, mode = 0o600): Promise<void> {
  const tmp = randomTempPath(path);
  const fh = await createExclusive(tmp, mode);
  try {
    await fh.writeFile(data, "utf8");
    await fh.sync();
  } catch (e) {
    await fh.close();
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  await fh.close();
  await rename(tmp, path);
  await fsyncDir(dirname(path));
}

export async function fsyncDir(dir: string): Promise<void> {
  const dh = await open(dir, "r");
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
}
