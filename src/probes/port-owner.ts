// port_owner (seed 000): who listens on TCP port N (ss, lsof as fallback), and is it the unit's or container's process?
import { z } from "zod";
import { readContainerState } from "./container-state.js";
import { checkParams, execProbe, firstLine, ProbeError, type Listener, type PortListeners, type Probe, type ProbeContext } from "./probe.js";
import { readProcessInfo } from "./process-info.js";
import { readUnitStatus } from "./unit-status.js";
import { ContainerValue, PortValue, UnitValue } from "./values.js";

export const PortOwnerParams = z.object({ port: PortValue, unit: UnitValue.optional(), container: ContainerValue.optional() });
export type PortOwnerParams = z.infer<typeof PortOwnerParams>;

export interface PortOwner {
  readonly port: number;
  readonly listening: boolean;
  /** The listener's PID; undefined when nobody listens or neither ss nor lsof could see the process. */
  readonly pid: number | undefined;
  readonly ppid: number | undefined;
  /** Full command line from ps (the short name from ss when ps could not tell). */
  readonly command: string | undefined;
  readonly user: string | undefined;
  readonly elapsedSeconds: number | undefined;
  /** Every distinct PID holding a listener on the port (workers sharing the socket, a v4 and a v6 listener); pid is the first. */
  readonly holders: readonly number[];
  /** "ss" or "lsof": which one named the process. */
  readonly via: "ss" | "lsof" | undefined;
  readonly unit: string | undefined;
  readonly unitMainPid: number | undefined;
  /** The PID is the unit's MainPID; undefined when no unit was given or systemctl could not say. */
  readonly isMainPid: boolean | undefined;
  /** The PID sits in the unit's cgroup (or a child of it); undefined when unknown. */
  readonly inUnit: boolean | undefined;
  readonly container: string | undefined;
  /** The PID is the container's main PID or in a cgroup named after its id; undefined when unknown. */
  readonly inContainer: boolean | undefined;
  /**
   * Seed 000's "rogue process": the port is held by a process that is neither the unit's MainPID nor in its cgroup
   * (when a unit was given), and not the container's (when one was given). undefined when that could not be settled.
   */
  readonly rogue: boolean | undefined;
  /** Why a part could not be answered (systemctl without a manager, docker down...): kept as evidence. */
  readonly notes: readonly string[];
}

const LIMITS = { timeoutMs: 5_000, maxOutputBytes: 256 * 1024 };

/** Parses `ss -ltnpH` lines: users:(("node",pid=1573680,fd=21)) → pid and short name; a line without users: → no pid. */
export function parseSsListeners(text: string): Listener[] {
  const out: Listener[] = [];
  for (const line of text.split("\n")) {
    if (!/^\s*LISTEN\b/.test(line)) continue;
    const procs = [...line.matchAll(/\("((?:[^"\\]|\\.)*)",pid=(\d+),fd=\d+\)/g)];
    if (procs.length === 0) out.push({ pid: undefined, name: undefined });
    for (const m of procs) out.push({ pid: Number(m[2]), name: m[1] });
  }
  return out;
}

/** Parses `lsof -F pcLu` output: p<pid>, c<command>, L<login>, u<uid> lines, one group per process. */
export function parseLsofFields(text: string): (Listener & { user: string | undefined })[] {
  const out: (Listener & { user: string | undefined })[] = [];
  let cur: { pid: number | undefined; name: string | undefined; user: string | undefined } | undefined;
  for (const line of text.split("\n")) {
    const tag = line[0];
    const v = line.slice(1);
    if (tag === "p" && /^\d+$/.test(v)) {
      cur = { pid: Number(v), name: undefined, user: undefined };
      out.push(cur);
    } else if (cur && tag === "c") cur.name = v;
    else if (cur && tag === "L") cur.user = v;
    else if (cur && tag === "u" && cur.user === undefined) cur.user = v;
  }
  return out;
}

/** cgroup paths of /proc/PID/cgroup ("0::/system.slice/x.service" → "/system.slice/x.service"). */
export function parseProcCgroup(text: string): string[] {
  return text.split("\n").map((l) => /^\d+:[^:]*:(.*)$/.exec(l)?.[1]).filter((p): p is string => p !== undefined && p !== "");
}

/** True when `path` is `group` or below it. */
export function inCgroup(paths: readonly string[], group: string): boolean {
  const g = group.replace(/\/+$/, "");
  return g !== "" && g !== "/" && paths.some((p) => p === g || p.startsWith(`${g}/`));
}

/**
 * `ss -ltnpH` lines of several ports, by the port of their local address (4th column: `0.0.0.0:80`, `[::]:80`, `*:80`,
 * `127.0.0.1%lo:53`); each port's listeners parsed as parseSsListeners does. A line whose address has no port is left out.
 */
export function parseSsListenersByPort(text: string): Map<number, Listener[]> {
  const out = new Map<number, Listener[]>();
  for (const line of text.split("\n")) {
    const port = /^\s*LISTEN\s+\S+\s+\S+\s+\S*:(\d+)\s/.exec(line)?.[1];
    if (port === undefined) continue;
    const listeners = out.get(Number(port)) ?? [];
    listeners.push(...parseSsListeners(line));
    out.set(Number(port), listeners);
  }
  return out;
}

/**
 * One `ss` for every port a probe round asks about on one host (an incident's unit with 20 ports: one fork, not 20).
 * The ports pass PortValue again before they reach the filter; the command runs once, on the first port asked, and a
 * failure fails every port_owner that shares it, as each one's own `ss` would have. A port the round did not name, or
 * whose listener the shared `ss` shows without its process, is not answered (undefined): the probe asks its own
 * `ss 'sport = :N'`, the one question an actuator answers with its rights (docs/operations.md).
 */
export function shareListeners(ctx: ProbeContext, ports: readonly number[]): PortListeners {
  const wanted = [...new Set(ports.filter((p) => PortValue.safeParse(p).success))].sort((a, b) => a - b);
  let answer: Promise<Map<number, Listener[]>> | undefined;
  const ask = async () => {
    const filter = wanted.map((p) => `sport = :${p}`).join(" or ");
    const ss = await execProbe("port_owner", ctx, ["ss", "-ltnpH", filter], LIMITS);
    if (ss.code !== 0) throw new ProbeError("port_owner", "command_failed", `ss ended with ${ss.code ?? ss.signal ?? "?"}: ${firstLine(ss)}`);
    return parseSsListenersByPort(ss.stdout);
  };
  return (port) => {
    if (!wanted.includes(port)) return undefined;
    answer ??= ask();
    return answer.then((m) => {
      const listeners = m.get(port) ?? [];
      return listeners.some((l) => l.pid === undefined) ? undefined : listeners;
    });
  };
}

async function askSs(ctx: ProbeContext, port: number): Promise<Listener[]> {
  const shared = await ctx.listeners?.(port);
  if (shared) return shared;
  const ss = await execProbe("port_owner", ctx, ["ss", "-ltnpH", `sport = :${port}`], LIMITS);
  if (ss.code !== 0) throw new ProbeError("port_owner", "command_failed", `ss ended with ${ss.code ?? ss.signal ?? "?"}: ${firstLine(ss)}`);
  return parseSsListeners(ss.stdout);
}

const distinct = (ls: readonly Listener[]) => [...new Set(ls.map((l) => l.pid).filter((p): p is number => p !== undefined))];

async function findListener(ctx: ProbeContext, port: number, notes: string[]): Promise<{ listening: boolean; pid: number | undefined; holders: number[]; name: string | undefined; user: string | undefined; via: "ss" | "lsof" | undefined }> {
  const listeners = await askSs(ctx, port);
  const named = listeners.find((l) => l.pid !== undefined);
  if (named) return { listening: true, pid: named.pid, holders: distinct(listeners), name: named.name, user: undefined, via: "ss" };
  if (listeners.length === 0) return { listening: false, pid: undefined, holders: [], name: undefined, user: undefined, via: undefined };
  // ss shows the socket but not its process when we may not read other users' fds; lsof may know more (setuid, sudo rules).
  const lsof = await execProbe("port_owner", ctx, ["lsof", "-nP", `-iTCP:${port}`, "-sTCP:LISTEN", "-F", "pcLu"], LIMITS).catch((e: unknown) => {
    notes.push(`lsof: ${e instanceof Error ? e.message : String(e)}`);
    return undefined;
  });
  const found = lsof ? parseLsofFields(lsof.stdout) : [];
  const hit = found[0];
  if (hit) return { listening: true, pid: hit.pid, holders: distinct(found), name: hit.name, user: hit.user, via: "lsof" };
  notes.push("ss and lsof show the listener but not its process (run firewatch with the right to read other users' /proc)");
  return { listening: true, pid: undefined, holders: [], name: undefined, user: undefined, via: undefined };
}

async function readCgroups(ctx: ProbeContext, pid: number, notes: string[]): Promise<string[] | undefined> {
  const r = await execProbe("port_owner", ctx, ["cat", `/proc/${pid}/cgroup`], { timeoutMs: 5_000, maxOutputBytes: 64 * 1024 }).catch((e: unknown) => {
    notes.push(e instanceof Error ? e.message : String(e));
    return undefined;
  });
  if (!r) return undefined;
  if (r.code !== 0) {
    notes.push(`/proc/${pid}/cgroup: ${firstLine(r)}`);
    return undefined;
  }
  return parseProcCgroup(r.stdout);
}

/** Rogue only when every owner that was named was asked and said no; one unknown answer leaves it undefined. */
function rogueOf(p: PortOwnerParams, isMainPid: boolean | undefined, inUnit: boolean | undefined, inContainer: boolean | undefined): boolean | undefined {
  if (p.unit === undefined && p.container === undefined) return undefined;
  if (isMainPid === true || inUnit === true || inContainer === true) return false;
  if (p.unit !== undefined && (isMainPid === undefined || inUnit === undefined)) return undefined;
  if (p.container !== undefined && inContainer === undefined) return undefined;
  return true;
}

export async function readPortOwner(ctx: ProbeContext, p: PortOwnerParams): Promise<PortOwner> {
  const notes: string[] = [];
  const l = await findListener(ctx, p.port, notes);
  const info = l.pid !== undefined ? await readProcessInfo(ctx, l.pid, "port_owner") : undefined;
  const cgroups = l.pid !== undefined && (p.unit !== undefined || p.container !== undefined) ? await readCgroups(ctx, l.pid, notes) : undefined;
  let unitMainPid: number | undefined;
  let isMainPid: boolean | undefined;
  let inUnit: boolean | undefined;
  if (p.unit !== undefined && l.pid !== undefined) {
    try {
      const s = await readUnitStatus(ctx, { unit: p.unit, user: false }, "port_owner");
      unitMainPid = s.mainPid;
      isMainPid = s.mainPid === l.pid;
      if (cgroups && s.controlGroup) inUnit = inCgroup(cgroups, s.controlGroup);
      else if (isMainPid) inUnit = true;
    } catch (e) {
      notes.push(e instanceof Error ? e.message.split("\n")[0] ?? "" : String(e));
    }
  }
  let inContainer: boolean | undefined;
  if (p.container !== undefined && l.pid !== undefined) {
    try {
      const c = await readContainerState(ctx, p.container, "port_owner");
      inContainer = c.pid === l.pid || (cgroups?.some((g) => g.includes(c.id)) ?? false);
    } catch (e) {
      notes.push(e instanceof Error ? e.message.split("\n")[0] ?? "" : String(e));
    }
  }
  return {
    port: p.port,
    listening: l.listening,
    pid: l.pid,
    holders: l.holders,
    ppid: info?.ppid,
    command: info?.command ?? l.name,
    user: info?.user ?? l.user,
    elapsedSeconds: info?.elapsedSeconds,
    via: l.via,
    unit: p.unit,
    unitMainPid,
    isMainPid,
    inUnit,
    container: p.container,
    inContainer,
    rogue: rogueOf(p, isMainPid, inUnit, inContainer),
    notes,
  };
}

function renderPortOwner(o: PortOwner): string {
  if (!o.listening) return `nothing listens on port ${o.port}`;
  if (o.pid === undefined) return `port ${o.port} is in use, by a process firewatch may not see`;
  const others = o.holders.length > 1 ? ` and ${o.holders.length - 1} other process${o.holders.length > 2 ? "es" : ""}` : "";
  const parts = [`${o.rogue ? "rogue process: " : ""}port ${o.port} held by PID ${o.pid} (${o.command ?? "?"})${others}, user ${o.user ?? "?"}, PPID ${o.ppid ?? "?"}`];
  if (o.unit !== undefined) {
    if (o.isMainPid === true) parts.push(`it is ${o.unit}'s MainPID`);
    else if (o.isMainPid === false) parts.push(`not ${o.unit}'s MainPID (${o.unitMainPid ?? "none"})${o.inUnit === false ? `, outside its cgroup` : o.inUnit ? `, inside its cgroup` : ""}`);
    else parts.push(`${o.unit} could not be asked`);
  }
  if (o.container !== undefined && o.inContainer !== undefined) parts.push(o.inContainer ? `inside container ${o.container}` : `outside container ${o.container}`);
  return parts.join("; ");
}

export const portOwner: Probe<PortOwnerParams, PortOwner> = {
  name: "port_owner",
  params: PortOwnerParams,
  run: async (ctx, p) => readPortOwner(ctx, checkParams("port_owner", PortOwnerParams, p)),
  render: renderPortOwner,
};
