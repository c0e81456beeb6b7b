// file_exists and disk_usage: `stat` a path and `df -P` its filesystem (seed 000 input files, seed 002 disk full).
import { z } from "zod";
import { checkParams, execProbe, firstLine, ProbeError, type Probe } from "./probe.js";
import { PathValue } from "./values.js";

export const PathParams = z.object({ path: PathValue });
export type PathParams = z.infer<typeof PathParams>;

export interface FileExists {
  readonly path: string;
  readonly exists: boolean;
  /** "regular file", "directory"... as stat names it. */
  readonly type: string | undefined;
  readonly sizeBytes: number | undefined;
}

const LIMITS = { timeoutMs: 10_000, maxOutputBytes: 64 * 1024 };

export const fileExists: Probe<PathParams, FileExists> = {
  name: "file_exists",
  params: PathParams,
  run: async (ctx, params) => {
    const p = checkParams("file_exists", PathParams, params);
    // "--" so a path can never become an option; the value was validated as absolute anyway.
    const r = await execProbe("file_exists", ctx, ["stat", "-c", "%F|%s", "--", p.path], LIMITS);
    if (r.code !== 0) {
      if (/No such file or directory/.test(r.stderr)) return { path: p.path, exists: false, type: undefined, sizeBytes: undefined };
      throw new ProbeError("file_exists", "command_failed", `stat ${p.path}: ${firstLine(r)}`);
    }
    const m = /^(.+)\|(\d+)$/.exec(r.stdout.trim());
    if (!m) throw new ProbeError("file_exists", "unparseable", `stat printed ${JSON.stringify(r.stdout.slice(0, 200))}`);
    return { path: p.path, exists: true, type: m[1], sizeBytes: Number(m[2]) };
  },
  render: (f) => (f.exists ? `${f.path} exists (${f.type ?? "?"}, ${f.sizeBytes ?? "?"} bytes)` : `${f.path} does not exist`),
};

export interface DiskUsage {
  readonly path: string;
  readonly filesystem: string;
  readonly mountedOn: string;
  readonly sizeKiB: number;
  readonly usedKiB: number;
  readonly availableKiB: number;
  readonly usedPercent: number;
}

/** Parses `df -P` (POSIX format: one line per filesystem, 1024-byte blocks); the mount point may contain spaces. */
export function parseDfPosix(path: string, text: string): DiskUsage {
  const line = text.split("\n").slice(1).find((l) => l.trim() !== "");
  const m = line ? /^(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)%\s+(.+)$/.exec(line) : null;
  if (!m) throw new ProbeError("disk_usage", "unparseable", `df -P printed ${JSON.stringify(text.slice(0, 200))}`);
  return {
    path,
    filesystem: m[1] ?? "",
    sizeKiB: Number(m[2]),
    usedKiB: Number(m[3]),
    availableKiB: Number(m[4]),
    usedPercent: Number(m[5]),
    mountedOn: m[6] ?? "",
  };
}

const gib = (kib: number) => (kib / 1024 / 1024).toFixed(1);

/** The path, then its parents up to "/": a log names the file it failed to write, which often does not exist. */
export function pathAndParents(path: string, max: number): string[] {
  const out: string[] = [];
  let cur = path.replace(/\/+$/, "") || "/";
  while (out.length < max) {
    out.push(cur);
    if (cur === "/") break;
    cur = cur.slice(0, cur.lastIndexOf("/")) || "/";
  }
  return out;
}

/** At most this many df calls walking up from a missing path. */
const MAX_DF_TRIES = 6;

export const diskUsage: Probe<PathParams, DiskUsage> = {
  name: "disk_usage",
  params: PathParams,
  run: async (ctx, params) => {
    const p = checkParams("disk_usage", PathParams, params);
    let last = "";
    for (const candidate of pathAndParents(p.path, MAX_DF_TRIES)) {
      const r = await execProbe("disk_usage", ctx, ["df", "-P", "--", candidate], LIMITS);
      if (r.code === 0) return parseDfPosix(p.path, r.stdout);
      last = firstLine(r);
      if (!/No such file or directory/.test(r.stderr)) break;
    }
    throw new ProbeError("disk_usage", "command_failed", `df -P ${p.path}: ${last}`);
  },
  render: (d) => `${d.mountedOn} (${d.filesystem}): ${d.usedPercent}% used, ${gib(d.availableKiB)} GiB free of ${gib(d.sizeKiB)} GiB`,
};
