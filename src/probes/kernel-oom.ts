// kernel_oom (seeds 001, 002: `dmesg | grep -i 'killed process'`): the OOM kills in the kernel log, newest last.
import { z } from "zod";
import { readContainerState } from "./container-state.js";
import { checkParams, execProbe, firstLine, ProbeError, type Probe, type ProbeContext } from "./probe.js";
import { ContainerValue } from "./values.js";

export const KernelOomParams = z.object({ container: ContainerValue.optional() }).strict();
export type KernelOomParams = z.infer<typeof KernelOomParams>;

export interface OomKill {
  /** Epoch ms when the log line carries a wall-clock time (dmesg --time-format iso, journalctl short-iso). */
  readonly at: number | undefined;
  readonly pid: number;
  readonly process: string;
  /** CONSTRAINT_MEMCG (a cgroup limit) or CONSTRAINT_NONE (the whole host), from the oom-kill: line. */
  readonly constraint: string | undefined;
  /** The killed task's memory cgroup ("/docker/<id>", "/system.slice/x.service"). */
  readonly memcg: string | undefined;
  readonly anonRssKiB: number | undefined;
  /** True when the memcg names the container's id (only when a container was asked about). */
  readonly inContainer: boolean | undefined;
}

export interface KernelOom {
  /** Which log was read. */
  readonly source: "dmesg" | "journalctl";
  readonly linesRead: number;
  /** How many OOM kills the log holds; `kills` keeps the last MAX_KILLS. */
  readonly total: number;
  readonly kills: readonly OomKill[];
  readonly container: string | undefined;
  /** Kills whose memcg is the container's (undefined without a container, or when docker could not say). */
  readonly containerKills: number | undefined;
  readonly notes: readonly string[];
}

export const MAX_KILLS = 10;
// The kernel ring buffer is 256 KiB-1 MiB on common kernels (log_buf_len); the journal read is bounded by -n.
const LIMITS = { timeoutMs: 10_000, maxOutputBytes: 8 * 1024 * 1024 };
const JOURNAL_LINES = "20000";

const KILLED = /(?:[Oo]ut of memory|oom_reaper): (?:Killed|Kill|reaped) process (\d+) \(([^)\n]{1,64})\)(?:[^\n]*?anon-rss:(\d+)kB)?/;
const OOM_KILL = /oom-kill:constraint=([A-Z_]+),[^\n]*?task_memcg=([^,\s]*),task=([^,\n]{1,64}),pid=(\d+)/;
/** "2026-11-23T16:10:23,633250+00:00" (dmesg iso) or "2026-11-23T16:10:23+0000" (journalctl short-iso) at the start. */
const ISO_START = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:[,.](\d+))?([+-]\d\d:?\d\d|Z)/;

function lineTime(line: string): number | undefined {
  const m = ISO_START.exec(line);
  if (!m) return undefined;
  const zone = (m[3] ?? "Z").replace(/^([+-]\d\d)(\d\d)$/, "$1:$2");
  const t = Date.parse(`${m[1] ?? ""}.${(m[2] ?? "0").slice(0, 3).padEnd(3, "0")}${zone}`);
  return Number.isFinite(t) ? t : undefined;
}

/** Every OOM kill in kernel log text: a "Killed process" line, joined with the oom-kill: line of the same PID. */
export function parseOomKills(text: string): Omit<OomKill, "inContainer">[] {
  const kills: Omit<OomKill, "inContainer">[] = [];
  const context = new Map<number, { constraint: string; memcg: string }>();
  for (const line of text.split("\n")) {
    const o = OOM_KILL.exec(line);
    if (o) {
      context.set(Number(o[4]), { constraint: o[1] ?? "", memcg: o[2] ?? "" });
      continue;
    }
    const k = KILLED.exec(line);
    if (!k) continue;
    const pid = Number(k[1]);
    // oom_reaper follows the kill of the same PID: one kill, not two.
    if (line.includes("oom_reaper:") && kills.some((x) => x.pid === pid)) continue;
    const c = context.get(pid);
    kills.push({ at: lineTime(line), pid, process: k[2] ?? "", constraint: c?.constraint, memcg: c?.memcg || undefined, anonRssKiB: k[3] === undefined ? undefined : Number(k[3]) });
  }
  return kills;
}

/** Runs argv; a host failure becomes the reason text instead of a rejection (the other log may still be readable). */
async function attempt(ctx: ProbeContext, argv: readonly string[]): Promise<{ ok: boolean; stdout: string; why: string }> {
  try {
    const r = await execProbe("kernel_oom", ctx, argv, LIMITS);
    return { ok: r.code === 0, stdout: r.stdout, why: firstLine(r) };
  } catch (e) {
    if (e instanceof ProbeError && e.reason === "aborted") throw e;
    return { ok: false, stdout: "", why: e instanceof Error ? e.message : String(e) };
  }
}

async function readKernelLog(ctx: ProbeContext, notes: string[]): Promise<{ source: "dmesg" | "journalctl"; text: string }> {
  // dmesg needs CAP_SYSLOG where kernel.dmesg_restrict=1; the journal's kernel messages are the fallback.
  const d = await attempt(ctx, ["dmesg", "--time-format", "iso"]);
  if (d.ok) return { source: "dmesg", text: d.stdout };
  notes.push(`dmesg: ${d.why}`);
  const j = await attempt(ctx, ["journalctl", "-k", "-b", "-o", "short-iso", "--no-pager", "-n", JOURNAL_LINES]);
  // journalctl exits 0 and prints "-- No entries --" when it finds no journal: that is not a readable kernel log.
  if (j.ok && j.stdout.split("\n").some((l) => l.trim() !== "" && !l.startsWith("-- "))) return { source: "journalctl", text: j.stdout };
  notes.push(`journalctl -k: ${j.ok || j.why === "" ? "no kernel messages in the journal" : j.why}`);
  throw new ProbeError("kernel_oom", "command_failed", `the kernel log is not readable on ${ctx.host.name} (${notes.join("; ")})`, {
    hint: "run firewatch with CAP_SYSLOG (or as root), set kernel.dmesg_restrict=0, or let it read the journal (group systemd-journal)",
  });
}

export async function readKernelOom(ctx: ProbeContext, p: KernelOomParams): Promise<KernelOom> {
  const notes: string[] = [];
  const log = await readKernelLog(ctx, notes);
  const all = parseOomKills(log.text);
  let id: string | undefined;
  if (p.container !== undefined) {
    try {
      id = (await readContainerState(ctx, p.container, "kernel_oom")).id;
    } catch (e) {
      notes.push(e instanceof Error ? e.message.split("\n")[0] ?? "" : String(e));
    }
  }
  const mark = (k: Omit<OomKill, "inContainer">): OomKill => ({ ...k, inContainer: id === undefined ? undefined : (k.memcg?.includes(id) ?? false) });
  return {
    source: log.source,
    linesRead: log.text.split("\n").filter((l) => l !== "").length,
    total: all.length,
    kills: all.slice(-MAX_KILLS).map(mark),
    container: p.container,
    containerKills: id === undefined ? undefined : all.filter((k) => k.memcg?.includes(id) ?? false).length,
    notes,
  };
}

function render(o: KernelOom): string {
  const where = `the kernel log (${o.source}, ${o.linesRead} lines)`;
  if (o.total === 0) return `no OOM kill in ${where}`;
  const last = o.kills.at(-1);
  const parts = [`${o.total} OOM kill${o.total === 1 ? "" : "s"} in ${where}`];
  if (o.container !== undefined && o.containerKills !== undefined) parts.push(`${o.containerKills} in container ${o.container}`);
  if (last) {
    const when = last.at === undefined ? "" : ` at ${new Date(last.at).toISOString()}`;
    parts.push(`last${when}: PID ${last.pid} (${last.process})${last.constraint ? `, ${last.constraint}` : ""}${last.memcg ? `, cgroup ${last.memcg}` : ""}`);
  }
  return parts.join("; ");
}

export const kernelOom: Probe<KernelOomParams, KernelOom> = {
  name: "kernel_oom",
  params: KernelOomParams,
  run: async (ctx, p) => readKernelOom(ctx, checkParams("kernel_oom", KernelOomParams, p)),
  render,
};
