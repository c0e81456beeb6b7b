// Seed 000's stale jobs: failed with "Input file not accessible" while the file is already in the completed directory.
import { readdir, stat } from "node:fs/promises";
import { basename, join } from "node:path";

/**
 * A read-only look at the host that holds the files. Local here (fs.stat); issue 7's SSH probes implement the
 * same two calls remotely (`test -e`, `find DIR -name`), so nothing above this interface changes.
 */
export interface FileProbe {
  /** True when something exists at the path. */
  exists(path: string): Promise<boolean>;
  /** Paths under `dir` whose base name is `name` (bounded search; empty when none or unreadable). */
  findByName(dir: string, name: string): Promise<string[]>;
}

/** Bounds the completed-directory walk: a huge tree is cut, never walked for minutes. */
export const MAX_WALK_ENTRIES = 100_000;

/** The local probe: stat for existence, a breadth-first walk for names (no symlinks followed). */
export function localFileProbe(): FileProbe {
  const indexCache = new Map<string, Promise<Map<string, string[]>>>();
  const index = async (dir: string) => {
    const byName = new Map<string, string[]>();
    const queue = [dir];
    let seen = 0;
    while (queue.length > 0 && seen < MAX_WALK_ENTRIES) {
      const d = queue.shift() ?? "";
      let entries;
      try {
        entries = await readdir(d, { withFileTypes: true });
      } catch {
        continue; // unreadable directory: the file is simply not found there
      }
      for (const e of entries) {
        if (++seen > MAX_WALK_ENTRIES) break;
        const p = join(d, e.name);
        if (e.isDirectory()) queue.push(p);
        else byName.set(e.name, [...(byName.get(e.name) ?? []), p]);
      }
    }
    return byName;
  };
  return {
    exists: async (path) => stat(path).then(() => true, () => false),
    // One walk per directory per run, however many jobs ask (seed 000: 20 jobs, 7 files).
    findByName: async (dir, name) => {
      let idx = indexCache.get(dir);
      if (!idx) { idx = index(dir); indexCache.set(dir, idx); }
      return (await idx).get(name) ?? [];
    },
  };
}

export interface StaleOptions {
  /** Where completed files live; default: each path with /inbox/ replaced by /completed/. */
  readonly completedDir?: string;
}

/** Where a failed job's input file is now, if anywhere: the completed twin of its path, else a search by base name. */
export async function locateCompleted(path: string, probe: FileProbe, opts: StaleOptions): Promise<string | undefined> {
  if (opts.completedDir === undefined) {
    if (!path.includes("/inbox/")) return undefined;
    const twin = path.replace("/inbox/", "/completed/");
    return (await probe.exists(twin)) ? twin : undefined;
  }
  return (await probe.findByName(opts.completedDir, basename(path)))[0];
}

export interface StaleRow {
  /** Base name of the input file (the seed's "File Name" column). */
  readonly file: string;
  readonly path: string;
  readonly failedJobs: number;
  readonly jobIds: readonly string[];
  /** Where the file is now, when it was found completed; undefined: not completed (the job may be right to fail). */
  readonly completedPath: string | undefined;
  /** Whether the original path exists again (then the job is not stale: retrying it would work). */
  readonly stillAtPath: boolean;
}

/**
 * Groups inaccessible-input failures by file path: one row per file with its failed-job count, most jobs first
 * (seed 000's Affected Files table), each probed once.
 */
export async function staleTable(
  failures: readonly { readonly jobId: string; readonly path: string }[],
  probe: FileProbe,
  opts: StaleOptions = {},
): Promise<StaleRow[]> {
  const byPath = new Map<string, string[]>();
  for (const f of failures) byPath.set(f.path, [...(byPath.get(f.path) ?? []), f.jobId]);
  const rows: StaleRow[] = [];
  for (const [path, ids] of byPath) {
    const [completedPath, stillAtPath] = await Promise.all([locateCompleted(path, probe, opts), probe.exists(path)]);
    rows.push({ file: basename(path), path, failedJobs: ids.length, jobIds: ids, completedPath, stillAtPath });
  }
  return rows.sort((a, b) => b.failedJobs - a.failedJobs || (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
}
