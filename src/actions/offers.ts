// The remediation buttons an incident allows: its rules' `actions:`, backed by its probe results, within the guard config.
import { z } from "zod";
import type { Finding } from "../correlate/index.js";
import { findingHost, latestProbes } from "../probes/index.js";
import type { Rule } from "../rules/index.js";
import type { StoredIncident, StoredProbe } from "../store/index.js";
import { ACTIONS, ActionId } from "./definitions.js";
import { ContainerRef, Pid, Port, QueueName, UnitName } from "./params.js";
import { checkScope, selfScope, vetHolder, type ActionPolicy, type GuardConfig, type SelfScope } from "./policy.js";

export interface ActionOffer {
  readonly action: ActionId;
  readonly host: string;
  readonly params: Readonly<Record<string, string>>;
  /** Button text, e.g. "Kill PID 1573680 holding :9003". */
  readonly label: string;
  /** Why this is offered, from the probe ("PID 1573680 (python3) holds 9003 outside rust-ingester, PPID 1"). */
  readonly why: string;
}

// Stored probe data is input (it went through JSON and a store): only the fields an offer rests on, parsed.
const opt = <T extends z.ZodType>(t: T) => t.nullish().transform((v) => v ?? undefined);
const PortOwnerData = z.object({
  port: z.number().int(),
  pid: opt(z.number().int()),
  ppid: opt(z.number().int()),
  command: opt(z.string()),
  user: opt(z.string()),
  holders: z.array(z.number().int()).default([]),
  unit: opt(z.string()),
  isMainPid: opt(z.boolean()),
  inUnit: opt(z.boolean()),
  container: opt(z.string()),
  inContainer: opt(z.boolean()),
  rogue: opt(z.boolean()),
});
const UnitStatusData = z.object({ unit: z.string(), loadState: opt(z.string()), activeState: opt(z.string()), subState: opt(z.string()), nRestarts: opt(z.number().int()) });
const ContainerStateData = z.object({ name: z.string(), running: z.boolean(), restarting: z.boolean(), exitCode: z.number().int(), restartCount: z.number().int() });

/** The newest successful result of `probe` on `host` whose data parses and passes `match`. */
function latest<T>(probes: readonly StoredProbe[], probe: string, host: string, schema: z.ZodType<T>, match: (d: T) => boolean): { p: StoredProbe; d: T } | undefined {
  let best: { p: StoredProbe; d: T } | undefined;
  for (const p of probes) {
    if (p.probe !== probe || p.host !== host || !p.ok) continue;
    const d = schema.safeParse(p.data);
    if (d.success && match(d.data) && (best === undefined || p.at >= best.p.at)) best = { p, d: d.data };
  }
  return best;
}

/** "/home/nbost/.bun/bin/bun run dist/index.js" → "bun": the program, as a button can show it. */
function programOf(command: string | undefined): string {
  const first = (command ?? "").trim().split(/\s+/)[0] ?? "";
  return first.slice(first.lastIndexOf("/") + 1) || "?";
}

const valid = (schema: z.ZodType, v: string | undefined): v is string => v !== undefined && schema.safeParse(v).success;

/** Seed 000: only a holder the probe showed to be outside the unit (not MainPID, not in its cgroup) or outside the container. */
function killOffer(f: Finding, host: string, probes: readonly StoredProbe[], policy: ActionPolicy, self: SelfScope): Omit<ActionOffer, "action"> | undefined {
  const port = f.fields.port;
  if (!valid(Port, port)) return undefined;
  const hit = latest(probes, "port_owner", host, PortOwnerData, (d) => d.port === Number(port));
  if (!hit) return undefined;
  const d = hit.d;
  // Another PID on the same port (workers sharing the socket): killing one frees nothing, the precondition refuses it too.
  if (d.rogue !== true || d.pid === undefined || d.holders.some((h) => h !== d.pid)) return undefined;
  const pid = String(d.pid);
  if (!valid(Pid, pid)) return undefined;
  // Never offered for firewatch's own process, children or ports, another user's process, or an unlisted port.
  if (vetHolder(policy, self, { port: Number(port), pid: d.pid, ppid: d.ppid, command: d.command, user: d.user }) !== undefined) return undefined;
  const ppid = d.ppid === undefined ? "" : `, PPID ${d.ppid}`;
  const holds = `PID ${pid} (${programOf(d.command)}) holds ${port}`;
  if (d.container !== undefined && d.inContainer === false && valid(ContainerRef, d.container)) {
    return { host, params: { pid, port, container: d.container }, label: `Kill PID ${pid} holding :${port}`, why: `${holds} outside container ${d.container}${ppid}` };
  }
  if (d.unit !== undefined && d.isMainPid === false && d.inUnit === false && valid(UnitName, d.unit)) {
    return { host, params: { pid, port, unit: d.unit }, label: `Kill PID ${pid} holding :${port}`, why: `${holds} outside ${d.unit} (not its MainPID, not in its cgroup)${ppid}` };
  }
  return undefined;
}

/** A unit the probe found, and not running: restarting a running unit only interrupts it. */
function restartUnitOffer(f: Finding, host: string, probes: readonly StoredProbe[]): Omit<ActionOffer, "action"> | undefined {
  const unit = f.fields.unit ?? f.service;
  if (!valid(UnitName, unit)) return undefined;
  const hit = latest(probes, "unit_status", host, UnitStatusData, (d) => d.unit === unit);
  if (!hit || hit.d.loadState === "not-found" || (hit.d.activeState === "active" && hit.d.subState === "running")) return undefined;
  return { host, params: { unit }, label: `Restart ${unit}`, why: hit.p.summary };
}

/** A container the probe found restarting or stopped. */
function restartContainerOffer(f: Finding, host: string, probes: readonly StoredProbe[]): Omit<ActionOffer, "action"> | undefined {
  const container = f.fields.container ?? f.service;
  if (!valid(ContainerRef, container)) return undefined;
  const hit = latest(probes, "container_state", host, ContainerStateData, (d) => d.name === container);
  if (!hit || (hit.d.running && !hit.d.restarting)) return undefined;
  return { host, params: { container }, label: `Restart container ${container}`, why: hit.p.summary };
}

/** Failed jobs of a named queue; the queue comes from the finding (the jobs source's `queue` field), never guessed. */
function cleanJobsOffer(f: Finding, host: string): Omit<ActionOffer, "action"> | undefined {
  const queue = f.fields.queue;
  if (!valid(QueueName, queue)) return undefined;
  return { host, params: { queue }, label: `Clean failed jobs of ${queue}`, why: `${f.count} failed jobs in queue ${queue} (${f.rule})` };
}

/**
 * The buttons to show for an incident. An action is offered only when a finding's rule lists it, the stored probe
 * results support it (kill_port_owner: a proven rogue holder; restarts: a unit or container the probe found down or
 * looping), every value passes the action validators, and the guard config enables it for that host and target.
 */
export function offerActions(stored: StoredIncident, rules: ReadonlyMap<string, Rule>, guard: GuardConfig, self: SelfScope = selfScope()): ActionOffer[] {
  // The newest answer to each question: an earlier one kept as history (the rogue before the kill) offers nothing.
  const probes = latestProbes(stored.probes);
  const offers = new Map<string, ActionOffer>();
  for (const f of stored.incident.findings) {
    const rule = rules.get(f.rule);
    if (!rule) continue;
    // The same host runIncidentProbes chose, so an offer meets its probe results.
    const host = findingHost(f, stored.incident.host);
    for (const name of rule.actions) {
      const id = ActionId.safeParse(name);
      if (!id.success) continue;
      const policy = guard.actions[id.data];
      if (!policy) continue;
      const offer =
        id.data === "kill_port_owner" ? killOffer(f, host, probes, policy, self)
        : id.data === "restart_unit" ? restartUnitOffer(f, host, probes)
        : id.data === "restart_container" ? restartContainerOffer(f, host, probes)
        : cleanJobsOffer(f, host);
      if (!offer) continue;
      // The action's own schema has the last word (the guard parses the same way when the button is clicked).
      const def = ACTIONS[id.data];
      const parsed = def.params.safeParse(offer.params);
      if (!parsed.success || checkScope(policy, host, def.target(parsed.data)) !== undefined) continue;
      const key = JSON.stringify([id.data, host, Object.entries(offer.params).sort()]);
      if (!offers.has(key)) offers.set(key, { action: id.data, ...offer });
    }
  }
  // A restart cannot help while a rogue holds the owner's port (issue 14): the kill is offered instead.
  const held = new Set<string>();
  for (const o of offers.values()) if (o.action === "kill_port_owner") for (const k of ["unit", "container"]) if (o.params[k] !== undefined) held.add(`${k}\u0000${o.params[k]}`);
  const blocked = (o: ActionOffer) =>
    (o.action === "restart_container" && held.has(`container\u0000${o.params.container ?? ""}`)) || (o.action === "restart_unit" && held.has(`unit\u0000${o.params.unit ?? ""}`));
  return [...offers.values()].filter((o) => !blocked(o));
}
