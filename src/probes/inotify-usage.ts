// inotify_usage (seed 002): the watch limit and who holds inotify instances/watches, read from /proc, bounded.
import { z } from "zod";
import { execProbe, firstLine, ProbeError, type Probe } from "./probe.js";

export const InotifyUsageParams = z.object({}).strict();
export type InotifyUsageParams = z.infer<typeof InotifyUsageParams>;

export interface InotifyUsage {
  readonly maxUserWatches: number;
  readonly maxUserInstances: number | undefined;
  /** inotify file descriptors found (one per inotify instance). */
  readonly instances: number;
  /** Watches counted in the fdinfo of the first MAX_FDS instances. */
  readonly watches: number;
  /** True when there were more instances than we counted watches for. */
  readonly partial: boolean;
  /** PIDs holding the most watches, highest first (at most 5). */
  readonly top: readonly { readonly pid: number; readonly watches: number }[];
}

/** Counting watches reads one fdinfo file per instance: past this many, the count is marked partial. */
export const MAX_FDS = 500;
const LIMITS = { timeoutMs: 15_000, maxOutputBytes: 1024 * 1024 };

/** `find` output lines /proc/PID/fd/N → the matching fdinfo paths (anything else is dropped). */
export function fdinfoPaths(findOutput: string): string[] {
  return findOutput.split("\n").map((l) => /^\/proc\/(\d+)\/fd\/(\d+)$/.exec(l.trim())).filter((m) => m !== null).map((m) => `/proc/${m[1]}/fdinfo/${m[2]}`);
}

/** `grep -c ^inotify FILE...` output ("/proc/PID/fdinfo/N:COUNT" per file) → watches per PID. */
export function watchesByPid(grepOutput: string): Map<number, number> {
  const by = new Map<number, number>();
  for (const l of grepOutput.split("\n")) {
    const m = /^\/proc\/(\d+)\/fdinfo\/\d+:(\d+)$/.exec(l.trim());
    if (m) by.set(Number(m[1]), (by.get(Number(m[1])) ?? 0) + Number(m[2]));
  }
  return by;
}

export const inotifyUsage: Probe<InotifyUsageParams, InotifyUsage> = {
  name: "inotify_usage",
  params: InotifyUsageParams,
  run: async (ctx) => {
    const lim = await execProbe("inotify_usage", ctx, ["cat", "/proc/sys/fs/inotify/max_user_watches", "/proc/sys/fs/inotify/max_user_instances"], LIMITS);
    const [watchesLine, instancesLine] = lim.stdout.split("\n");
    if (lim.code !== 0 || !/^\d+$/.test(watchesLine ?? "")) throw new ProbeError("inotify_usage", "command_failed", `cannot read the inotify limits: ${firstLine(lim)}`);
    // find walks /proc itself (no shell glob); fds of processes we may not read are skipped with an error on stderr.
    const found = await execProbe("inotify_usage", ctx, ["find", "/proc", "-mindepth", "3", "-maxdepth", "3", "-path", "/proc/[0-9]*/fd/*", "-lname", "anon_inode:inotify", "-print"], LIMITS);
    const infos = fdinfoPaths(found.stdout);
    const counted = infos.slice(0, MAX_FDS);
    const by = counted.length > 0 ? watchesByPid((await execProbe("inotify_usage", ctx, ["grep", "-c", "-H", "^inotify", "--", ...counted], LIMITS)).stdout) : new Map<number, number>();
    const top = [...by].map(([pid, watches]) => ({ pid, watches })).sort((a, b) => b.watches - a.watches).slice(0, 5);
    return {
      maxUserWatches: Number(watchesLine),
      maxUserInstances: /^\d+$/.test(instancesLine ?? "") ? Number(instancesLine) : undefined,
      instances: infos.length,
      watches: [...by.values()].reduce((a, b) => a + b, 0),
      partial: infos.length > counted.length,
      top,
    };
  },
  render: (u) =>
    `inotify: ${u.watches}${u.partial ? "+" : ""} watches in ${u.instances} instances (limit ${u.maxUserWatches} watches per user)${u.top[0] ? `; most by PID ${u.top[0].pid} (${u.top[0].watches})` : ""}`,
};
