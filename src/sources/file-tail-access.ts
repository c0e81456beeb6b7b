// What the file tailer needs from a filesystem: one look at a log file's family (the path and its rotated
// generations) and, in the same look, bytes of one generation named by device and inode. Here via fs, or over a Host.
import { open, readdir, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { gunzipSync } from "node:zlib";
import { failureOfExit, HostError, type Host } from "../hosts/index.js";

/** A file's identity and size; dev and ino are decimal strings (they can exceed 2^53). */
export interface FileStat {
  readonly path: string;
  readonly dev: string;
  readonly ino: string;
  readonly size: number;
}

/** Bytes wanted from the generation with this device and inode, wherever it is in the family now. */
export interface Want {
  readonly dev: string;
  readonly ino: string;
  readonly offset: number;
  /** At most this many bytes (a .gz generation is decompressed and returned whole from `offset`). */
  readonly length: number;
}

export interface Look {
  /** The path, if it is a regular file, and the siblings whose names extend its base name (app.log.1, app.log-2025...). */
  readonly files: readonly FileStat[];
  /**
   * When a file of the family has the wanted device and inode: its first HEAD_BYTES bytes and the bytes from the
   * offset, both read through one open file whose device and inode were checked after opening, so the bytes come
   * from the inode asked for even if the names moved meanwhile. Decompressed for a name ending in .gz.
   */
  /** The wanted file was in the listing but was renamed or replaced before it could be opened: look again. */
  readonly raced?: boolean;
  readonly data?: {
    readonly file: FileStat;
    /** The content's length: the file's size, or what a .gz decompresses to. */
    readonly size: number;
    readonly head: Buffer;
    readonly bytes: Buffer;
  };
}

export interface FileAccess {
  /** One look: over SSH one command, however many files the family has. */
  look(path: string, want?: Want): Promise<Look>;
}

/** Bytes at the start of a file that identify it beyond its inode (inodes are reused after delete). */
export const HEAD_BYTES = 256;

/** Whether `name` can be a rotated generation of `base`: the base name, a separator, then anything. */
export function inFamily(base: string, name: string): boolean {
  return name === base || (name.length > base.length + 1 && name.startsWith(base) && /[.\-_]/.test(name[base.length] ?? ""));
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
  const readFrom = async (file: FileStat, want: Want): Promise<Look["data"] | "raced"> => {
    let fh;
    try {
      fh = await open(file.path, "r");
    } catch (e) {
      if (isMissing(e)) return "raced";
      throw e;
    }
    try {
      const s = await fh.stat({ bigint: true });
      // Renamed or replaced between the listing and the open: not the inode asked for; the next look finds it.
      if (String(s.dev) !== want.dev || String(s.ino) !== want.ino) return "raced";
      const size = Number(s.size);
      const opened = { ...file, size };
      if (file.path.endsWith(".gz")) {
        const all = gunzipSync(await fh.readFile());
        return { file: opened, size: all.length, head: all.subarray(0, HEAD_BYTES), bytes: all.subarray(Math.min(want.offset, all.length)) };
      }
      const head = Buffer.allocUnsafe(HEAD_BYTES);
      const h = await fh.read(head, 0, HEAD_BYTES, 0);
      const length = Math.max(0, Math.min(want.length, size - want.offset));
      const buf = Buffer.allocUnsafe(length);
      const { bytesRead } = length === 0 ? { bytesRead: 0 } : await fh.read(buf, 0, length, want.offset);
      return { file: opened, size, head: head.subarray(0, h.bytesRead), bytes: buf.subarray(0, bytesRead) };
    } finally {
      await fh.close();
    }
  };
  return {
    async look(path, want) {
      const dir = dirname(path);
      const base = basename(path);
      let names: string[];
      try {
        names = (await readdir(dir)).filter((n) => inFamily(base, n));
      } catch (e) {
        if (isMissing(e)) return { files: [] };
        throw e;
      }
      const files = (await Promise.all(names.map((n) => statOf(n === base ? path : join(dir, n))))).filter((s): s is FileStat => s !== undefined);
      const target = want && files.find((f) => f.dev === want.dev && f.ino === want.ino);
      const data = target && want ? await readFrom(target, want) : undefined;
      if (data === "raced") return { files, raced: true };
      return data === undefined ? { files } : { files, data };
    },
  };
}

/** A look that takes longer than this is stopped (a stuck remote command, a link that died silently). */
const LOOK_TIMEOUT_MS = 30_000;
/** After the exit status, how long the rest of the output may take to arrive before the link counts as lost. */
const TAIL_GRACE_MS = 5_000;

/**
 * argv's stdout as bytes. The output is read while waiting for the exit, and the exit decides: a channel whose link
 * died may never end its stream, so a look never hangs on it (link_lost instead, and the next poll tries again).
 */
async function spawnBytes(host: Host, argv: readonly string[]): Promise<{ bytes: Buffer; code: number | null; stderr: string }> {
  const ac = new AbortController();
  const p = await host.spawn(argv, { signal: ac.signal });
  const parts: Buffer[] = [];
  let ended = false;
  const reading = (async () => {
    for await (const chunk of p.stdout) parts.push(chunk);
    ended = true;
  })().catch(() => undefined);
  const timer = setTimeout(() => ac.abort(), LOOK_TIMEOUT_MS);
  let grace: NodeJS.Timeout | undefined;
  try {
    const exit = await p.exited;
    if (!(exit.code === null && exit.signal === "link")) await Promise.race([reading, new Promise((r) => (grace = setTimeout(r, TAIL_GRACE_MS)))]);
    // The link went down mid-command, or the output never ended: what came may be cut anywhere, so none of it counts.
    if ((exit.code === null && exit.signal === "link") || !ended) {
      await p.close();
      throw new HostError(host.name, "link_lost", `connection lost while running ${argv[0] ?? ""}`);
    }
    return { bytes: Buffer.concat(parts), code: exit.code, stderr: exit.stderr };
  } finally {
    clearTimeout(timer);
    clearTimeout(grace);
  }
}

/**
 * The remote side of one look. It lists the family with one stat -L of the path and of every sibling named after it
 * (a process per look, not per file: a family of 30 rotated files cost 60 processes a poll), then, when asked,
 * opens the listed file with the wanted device and inode on fd 4, checks fd 4's own identity (stat of /dev/fd/4: the
 * open file, whatever its name is by now), and prints its head (hex, od) and the wanted range, both read through
 * /dev/fd/4. Output: listing lines ("dev ino size rawmode name"), "--", "H <size> <content size> <path>", head hex
 * lines, "D", then the raw bytes.
 * POSIX sh, stat, od, tail, head (and gzip for .gz): coreutils or busybox.
 */
const LOOK_SCRIPT = [
  'p=$1; dev=$2; ino=$3; off=$4; len=$5; d=$(dirname -- "$p"); b=$(basename -- "$p")',
  'if [ -e "$p" ] && [ ! -r "$p" ]; then echo "permission denied: cannot read $p" >&2; exit 3; fi',
  'l=$(stat -L -c "%d %i %s %f %n" -- "$d/$b" "$d/$b"?* 2>/dev/null)',
  '[ -z "$l" ] || printf "%s\\n" "$l"',
  'echo "--"',
  '[ -n "$ino" ] || exit 0',
  'f=$(printf "%s\\n" "$l" | while read -r a i s m n; do [ "$a" = "$dev" ] && [ "$i" = "$ino" ] && { printf "%s" "$n"; break; }; done)',
  '[ -n "$f" ] || exit 0',
  'command exec 4<"$f" 2>/dev/null || { if [ -e "$f" ] && [ ! -r "$f" ]; then echo "permission denied: cannot open $f" >&2; exit 3; fi; echo R; exit 0; }',
  'set -- $(stat -L -c "%d %i %s" /dev/fd/4); [ "$1" = "$dev" ] && [ "$2" = "$ino" ] || { echo R; exit 0; }',
  'case "$f" in',
  '  *.gz) echo "H $3 $(( $(gzip -dc /dev/fd/4 | wc -c) )) $f"; gzip -dc /dev/fd/4 | head -c 256 | od -An -v -tx1; echo D; gzip -dc /dev/fd/4 | tail -c +"$((off + 1))" ;;',
  '  *) echo "H $3 $3 $f"; head -c 256 /dev/fd/4 | od -An -v -tx1; echo D; [ "$len" -gt 0 ] && tail -c +"$((off + 1))" /dev/fd/4 | head -c "$len" ;;',
  'esac',
  'exit 0',
].join("\n");

/** S_IFMT and S_IFREG: only regular files (symlinks followed) are generations. */
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;

function parseStat(line: string): FileStat | undefined {
  const m = /^(\d+) (\d+) (\d+) ([0-9a-f]+) (.+)$/.exec(line);
  if (!m?.[1] || !m[2] || !m[3] || !m[4] || !m[5] || (Number.parseInt(m[4], 16) & S_IFMT) !== S_IFREG) return undefined;
  return { dev: m[1], ino: m[2], size: Number(m[3]), path: m[5] };
}

/** Splits the look script's output; exported for the unit tests of its parsing. */
export function parseLookOutput(path: string, out: Buffer, want: Want | undefined): Look {
  const files: FileStat[] = [];
  let at = 0;
  const nextLine = (): string | undefined => {
    const nl = out.indexOf(0x0a, at);
    if (nl === -1) return undefined;
    const line = out.subarray(at, nl).toString("utf8");
    at = nl + 1;
    return line;
  };
  for (let line = nextLine(); line !== undefined && line !== "--"; line = nextLine()) {
    const s = parseStat(line);
    // "$d/$b" is the path as the shell spelt it ("./app.log" for "app.log"): name it as asked.
    if (s) files.push(basename(s.path) === basename(path) ? { ...s, path } : s);
  }
  const header = nextLine();
  if (header === "R") return { files, raced: true };
  const h = header === undefined ? null : /^H (\d+) (\d+) (.+)$/.exec(header);
  if (!want || !h?.[1] || !h[2] || !h[3]) return { files };
  const hex: string[] = [];
  for (let line = nextLine(); line !== undefined && line !== "D"; line = nextLine()) hex.push(line);
  const head = Buffer.from(hex.join("").replace(/\s+/g, ""), "hex");
  const file = { path: basename(h[3]) === basename(path) ? path : h[3], dev: want.dev, ino: want.ino, size: Number(h[1]) };
  return { files, data: { file, size: Number(h[2]), head, bytes: out.subarray(at) } };
}

/**
 * A filesystem on a Host (SSH): one command per look (see LOOK_SCRIPT). Names with newlines are not supported.
 */
export function hostFileAccess(host: Host): FileAccess {
  return {
    async look(path, want) {
      const argv = ["sh", "-c", LOOK_SCRIPT, "sh", path, want?.dev ?? "", want?.ino ?? "", String(want?.offset ?? 0), String(want?.length ?? 0)];
      const r = await spawnBytes(host, argv);
      if (r.code === 3) throw new HostError(host.name, "permission_denied", r.stderr.trim().split("\n")[0] ?? "permission denied", { hint: "let the SSH user read the log file and its directory (group adm)" });
      const failed = failureOfExit(host.name, ["sh"], r.code, r.stderr);
      if (failed) throw failed;
      return parseLookOutput(path, r.bytes, want);
    },
  };
}
