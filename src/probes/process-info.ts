// process_info: `ps -o pid=,ppid=,user=,etimes=,args= -p PID` → who runs it, its parent, how long, its command line.
import { z } from "zod";
import { checkParams, execProbe, ProbeError, type Probe, type ProbeContext } from "./probe.js";
import { PidValue } from "./values.js";

export const ProcessInfoParams = z.object({ pid: PidValue });
export type ProcessInfoParams = z.infer<typeof ProcessInfoParams>;

export interface ProcessInfo {
  readonly pid: number;
  /** False when no such process: the rest is then undefined. */
  readonly exists: boolean;
  readonly ppid: number | undefined;
  readonly user: string | undefined;
  readonly elapsedSeconds: number | undefined;
  readonly command: string | undefined;
}

const LIMITS = { timeoutMs: 5_000, maxOutputBytes: 64 * 1024 };

/** Parses one `ps -o pid=,ppid=,user=,etimes=,args=` line; undefined for anything else. */
export function parsePsLine(line: string): Omit<ProcessInfo, "exists"> | undefined {
  const m = /^\s*(\d+)\s+(\d+)\s+(\S+)\s+(\d+)\s(.*)$/.exec(line);
  if (!m) return undefined;
  return { pid: Number(m[1]), ppid: Number(m[2]), user: m[3], elapsedSeconds: Number(m[4]), command: (m[5] ?? "").trim() };
}

export async function readProcessInfo(ctx: ProbeContext, pid: number, probe = "process_info"): Promise<ProcessInfo> {
  const r = await execProbe(probe, ctx, ["ps", "-o", "pid=,ppid=,user=,etimes=,args=", "-p", String(pid)], LIMITS);
  const line = r.stdout.split("\n").find((l) => l.trim() !== "");
  // ps exits 1 with empty output when the process is gone: that is an answer, not a failure.
  if (!line) {
    if (r.code === 1 && r.stderr.trim() === "") return { pid, exists: false, ppid: undefined, user: undefined, elapsedSeconds: undefined, command: undefined };
    throw new ProbeError(probe, "command_failed", `ps -p ${pid} ended with ${r.code ?? r.signal ?? "?"}: ${r.stderr.trim().split("\n")[0] ?? ""}`);
  }
  const parsed = parsePsLine(line);
  if (!parsed || parsed.pid !== pid) throw new ProbeError(probe, "unparseable", `ps printed ${JSON.stringify(line.slice(0, 200))}`);
  return { ...parsed, exists: true };
}

export const processInfo: Probe<ProcessInfoParams, ProcessInfo> = {
  name: "process_info",
  params: ProcessInfoParams,
  run: async (ctx, p) => readProcessInfo(ctx, checkParams("process_info", ProcessInfoParams, p).pid),
  render: (e) =>
    e.exists
      ? `PID ${e.pid} (${e.command ?? "?"}) user ${e.user ?? "?"}, PPID ${e.ppid ?? "?"}${e.ppid === 1 ? " (reparented to init: detached or orphaned)" : ""}, running ${e.elapsedSeconds ?? "?"} s`
      : `PID ${e.pid} is not running`,
};
