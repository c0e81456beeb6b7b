// What the file tailer needs from a filesystem (stat, ranged read, list a directory), here via fs or over a Host.
import { createHash } from "node:crypto";
import { open, readdir, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Host } from "../hosts/index.js";

/** A file's identity and size; dev and ino are decimal strings (they can exceed 2^53). */
export interface FileStat {
  readonly path: string;
  readonly dev: string;
  readonly ino: string;
  readonly size: number;
}

export interface FileAccess {
  /**
   * undefined when the path does not exist (or is not a regular file). With `headBytes`, also the sha256 hex
   * of the file's first headBytes bytes (fewer if it is shorter): one round trip over SSH instead of two.
   */
  stat(path: string, headBytes?: number): Promise<(FileStat & { readonly headSha256?: string }) | undefined>;
  /** Up to `length` bytes from `offset`; fewer at end of file, empty when the file is gone. */
  read(path: string, offset: number, length: number): Promise<Buffer>;
  /** Regular files in the directory of `path`, with their identity (where rotated generations go). */
  siblings(path: string): Promise<FileStat[]>;
}

function isMissing(e: unknown): boolean {
  const code = typeof e === "object" && e !== null && "code" in e ? e.code : undefined;
  return code === "ENOENT" || code === "ENOTDIR";
}

/** The local filesystem through node:fs. */
export function localFileAccess(): FileAccess {
  const statOf = async (path: string): Promise<FileStat | undefined> => {
    try {
      const s = await stat(path, { bigint: true });
      return s.isFile() ? { path, dev: String(s.dev), ino: String(s.ino), size: Number(s.size) } : undefined;
    } catch (e) {
      if (isMissing(e)) return undefined;
      throw e;
    }
  };
  const readAt = async (path: string, offset: number, length: number): Promise<Buffer> => {
    let fh;
    try {
      fh = await open(path, "r");
    } catch (e) {
      if (isMissing(e)) return Buffer.alloc(0);
      throw e;
    }
    try {
      const buf = Buffer.allocUnsafe(length);
      const { bytesRead } = await fh.read(buf, 0, length, offset);
      return buf.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  };
  return {
    async stat(path, headBytes) {
      const s = await statOf(path);
      if (s === undefined || headBytes === undefined) return s;
      return { ...s, headSha256: createHash("sha256").update(await readAt(path, 0, headBytes)).digest("hex") };
    },
    read: readAt,
    async siblings(path) {
      const dir = dirname(path);
      let names: string[];
      try {
        names = await readdir(dir);
      } catch (e) {
        if (isMissing(e)) return [];
        throw e;
      }
      const all = await Promise.all(names.map((n) => statOf(join(dir, n))));
      return all.filter((s): s is FileStat => s !== undefined);
    },
  };
}

async function spawnBytes(host: Host, argv: readonly string[]): Promise<{ bytes: Buffer; code: number | null; stderr: string }> {
  const p = await host.spawn(argv);
  const parts: Buffer[] = [];
  for await (const chunk of p.stdout) parts.push(chunk);
  const exit = await p.exited;
  return { bytes: Buffer.concat(parts), code: exit.code, stderr: exit.stderr };
}

const STAT_FORMAT = "%d %i %s %n";

function parseStatLines(text: string): FileStat[] {
  const out: FileStat[] = [];
  for (const line of text.split("\n")) {
    const m = /^(\d+) (\d+) (\d+) (.+)$/.exec(line);
    if (m?.[1] && m[2] && m[3] && m[4]) out.push({ dev: m[1], ino: m[2], size: Number(m[3]), path: m[4] });
  }
  return out;
}

/**
 * A filesystem on a Host (SSH): stat(1), tail|head for ranged reads (bytes come back through spawn, not as
 * text), a shell loop for the directory. POSIX tools only, so busybox hosts work too. Names with newlines are
 * not supported in siblings().
 */
export function hostFileAccess(host: Host): FileAccess {
  return {
    async stat(path, headBytes) {
      // sha256sum is in coreutils and busybox; its hash of the head rides along with stat in one exec.
      const script = 'if [ -f "$1" ]; then stat -L -c "$2" "$1"; if [ -n "$3" ]; then head -c "$3" "$1" | sha256sum; fi; fi';
      const r = await host.exec(["sh", "-c", script, "sh", path, STAT_FORMAT, headBytes === undefined ? "" : String(headBytes)]);
      const [line = "", hashLine = ""] = r.stdout.split("\n");
      const st = parseStatLines(line)[0];
      if (st === undefined) return undefined;
      const hash = /^([0-9a-f]{64})\b/.exec(hashLine)?.[1];
      return { ...st, path, ...(hash === undefined ? {} : { headSha256: hash }) };
    },
    async read(path, offset, length) {
      const r = await spawnBytes(host, ["sh", "-c", 'if [ -f "$1" ]; then tail -c +"$2" "$1" | head -c "$3"; fi', "sh", path, String(offset + 1), String(length)]);
      return r.bytes;
    },
    async siblings(path) {
      const r = await host.exec(["sh", "-c", 'for f in "$1"/* "$1"/.*; do [ -f "$f" ] && stat -L -c "$2" "$f"; done; true', "sh", dirname(path), STAT_FORMAT]);
      return parseStatLines(r.stdout);
    },
  };
}
