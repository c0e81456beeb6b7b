// Replaces a file so that a crash (kill -9, power loss) leaves either the old or the new bytes, never a mix.
import { open, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/** The temporary name a write goes through; a leftover one is an unfinished write and may be deleted. */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp-${process.pid}`);
}

/** Write temp, fsync it, rename over `path`, fsync the directory (so the rename itself is durable). */
export async function writeFileAtomic(path: string, data: string): Promise<void> {
  const tmp = tempPathFor(path);
  const fh = await open(tmp, "w", 0o600);
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
