// `act ACTION --incident ID` without full --param: which finding of the incident the action is for, chosen by a live
// precondition (asked now, read-only), or one line saying which finding lacks what. Issue 14: the already-fixed
// finding was picked and the guard answered with a raw schema message.
import type { ActionId, ActionProbes } from "../actions/index.js";
import type { Finding } from "../correlate/index.js";
import { subjectOf } from "../incidents/index.js";
import type { StoredIncident } from "../store/index.js";

export interface Chosen {
  readonly params: Record<string, string>;
  readonly from: Record<string, string>;
  /** Set when no finding's precondition holds: why, in one line. The params are then the best lead (a holder the probe could not place), for a dry-run to show. */
  readonly unproven?: string;
}

/** The owner a port is meant for in this incident: a container (host networking) or a unit, from findings and probes. */
function ownerOf(stored: StoredIncident, f: Finding): { unit?: string; container?: string } {
  const container = f.fields.container ?? stored.incident.findings.find((x) => x.fields.container !== undefined && subjectOf(x)?.name === subjectOf(f)?.name)?.fields.container;
  if (container !== undefined) return { container };
  // What the daemon's port_owner asked about this port says whether the service is a container or a unit.
  const asked = stored.probes.filter((p) => p.probe === "port_owner" && String(p.params.port) === f.fields.port).sort((a, b) => b.at - a.at)[0];
  if (typeof asked?.params.container === "string") return { container: asked.params.container };
  if (typeof asked?.params.unit === "string") return { unit: asked.params.unit };
  // Another port of the same service asked about as a container: the service is that container.
  const service = f.service;
  if (service !== undefined && stored.probes.some((p) => p.probe === "port_owner" && p.params.container === service)) return { container: service };
  const unit = f.fields.unit ?? f.service;
  return unit === undefined ? {} : { unit };
}

/** Firing first, newest activity first: the finding most likely to be the live trouble is asked first. */
function byLiveness(a: Finding, b: Finding): number {
  if (a.state !== b.state) return a.state === "firing" ? -1 : 1;
  return (b.lastSeen ?? 0) - (a.lastSeen ?? 0);
}

/**
 * kill_port_owner: each finding's port (firing, newest first; only `given.port` when given), asked now who holds it;
 * the first held by one process outside its owner is chosen. Otherwise one line per finding says what it lacks.
 */
async function chooseKill(stored: StoredIncident, host: string, probes: ActionProbes, given: Readonly<Record<string, string>>): Promise<Chosen | string> {
  const seen = new Set<string>();
  const why: string[] = [];
  let lead: Chosen | undefined;
  for (const f of [...stored.incident.findings].sort(byLiveness)) {
    const port = f.fields.port;
    if (port === undefined || seen.has(port) || (given.port !== undefined && given.port !== port)) continue;
    seen.add(port);
    const owner = { ...ownerOf(stored, f), ...(given.unit === undefined ? {} : { unit: given.unit }), ...(given.container === undefined ? {} : { container: given.container }) };
    const name = owner.container !== undefined ? `container ${owner.container}` : (owner.unit ?? "its service");
    const holder = await probes.portHolder(host, port, owner.unit, owner.container).catch((e: unknown) => (e instanceof Error ? e.message.split("\n")[0] : String(e)));
    if (typeof holder === "string") {
      why.push(`port ${port} (${f.rule}): could not ask who holds it (${holder})`);
      continue;
    }
    if (holder === undefined) {
      why.push(`port ${port} (${f.rule}): nothing holds it now`);
      continue;
    }
    const ownerParam: Record<string, string> = owner.container !== undefined ? { container: owner.container } : owner.unit !== undefined ? { unit: owner.unit } : {};
    const from: Record<string, string> = { port: `finding ${f.rule}`, pid: `probe port_owner now: ${holder.command}` };
    for (const k of Object.keys(ownerParam)) from[k] = `finding ${f.rule}`;
    const candidate = { params: { port, ...ownerParam, pid: holder.pid }, from };
    const mine = owner.container !== undefined ? holder.inContainer : holder.inUnit;
    if (mine !== false) {
      why.push(`port ${port} (${f.rule}): PID ${holder.pid} (${holder.command}) ${mine === true ? `is ${name}'s own` : `may be ${name}'s own (the probe could not tell)`}`);
      if (mine === undefined) lead ??= candidate;
      continue;
    }
    if (holder.otherHolders.length > 0) {
      why.push(`port ${port} (${f.rule}): held by PIDs ${[holder.pid, ...holder.otherHolders].join(", ")}; killing one frees nothing`);
      continue;
    }
    return candidate;
  }
  if (seen.size === 0) return `no finding of ${stored.incident.id} names a port${given.port === undefined ? "" : ` ${given.port}`}`;
  return lead === undefined ? why.join("; ") : { ...lead, unproven: why.join("; ") };
}

/**
 * The params for `action` on this incident when the operator gave too few: a live precondition decides among its
 * findings (kill_port_owner asks who holds each port now). Returns the one line to print when no finding qualifies.
 * Undefined: nothing to choose here (the suggestions and --param stand).
 */
export async function chooseFinding(action: ActionId, stored: StoredIncident, host: string, probes: ActionProbes, given: Readonly<Record<string, string>>): Promise<Chosen | string | undefined> {
  if (action === "kill_port_owner" && given.pid === undefined) return chooseKill(stored, host, probes, given);
  return undefined;
}

/** A parameter problem in words: which value is missing or not valid, never the schema's own message. */
export function paramProblem(action: ActionId, params: Readonly<Record<string, string>>, paths: readonly (readonly PropertyKey[])[]): string {
  const keys = [...new Set(paths.map((p) => String(p[0] ?? "")).filter((k) => k !== ""))];
  const parts = keys.map((k) => (params[k] === undefined ? `no ${k} (give --param ${k}=…)` : `${k}=${JSON.stringify(params[k])} is not a valid ${k}`));
  return `${action} cannot run: ${parts.length > 0 ? parts.join("; ") : "its parameters do not fit together (give exactly one of unit and container)"}`;
}
