// Runs the probes an incident's rules name, once per incident: planned from each finding, deduplicated, run in parallel.
import type { Finding } from "../correlate/index.js";
import type { Host } from "../hosts/index.js";
import type { Rule } from "../rules/index.js";
import type { StoredIncident, StoredProbe } from "../store/index.js";
import type { Clock } from "../time.js";
import { shareListeners } from "./port-owner.js";
import type { PortListeners } from "./probe.js";
import { probesForRule, runProbe, type ProbeResult } from "./registry.js";
import { ContainerValue, PortValue } from "./values.js";

export interface IncidentProbeDeps {
  /** The configured host of that name; an incident on an unknown host gets failed results, nothing runs. */
  host(name: string): Host | undefined;
  /** `docker -H` for probes that ask Docker (config, never logs). */
  readonly dockerHost?: string;
  readonly clock: Clock;
  /** Cancels the commands in flight (daemon shutdown); each then records an `aborted` result. */
  readonly signal?: AbortSignal;
  /** probes.network.allow: where health_endpoint and redis_ping may connect; undefined: the host's loopback. */
  readonly allowNet?: readonly string[];
}

/** At most this many probe commands in flight per incident: a probe is a few short commands, the host is production. */
export const PROBE_CONCURRENCY = 3;

/** The host a finding's probes (and actions) run on: its own, else the incident's; a local source's records carry none: "local". */
export function findingHost(f: Pick<Finding, "host">, incidentHost: string | undefined): string {
  const h = f.host ?? incidentHost;
  return h === undefined || h === "" ? "local" : h;
}

const hostOf = (stored: StoredIncident, f: Finding) => findingHost(f, stored.incident.host);

type Params = Readonly<Record<string, string | number | boolean>>;
interface Job { readonly key: string; readonly probe: string; readonly params: Params; readonly host: string; readonly skipped?: string }

/** Params as stored: only the scalar values a probe takes (they passed the probe's schema already). */
function scalarParams(raw: Readonly<Record<string, unknown>>): Params {
  const out: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(raw)) if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") out[k] = v;
  return out;
}

/** Same probe, same host, same params (key order ignored) is the same question: asked once. */
function jobKey(probe: string, host: string, params: Params): string {
  return JSON.stringify([probe, host, Object.keys(params).sort().map((k) => [k, params[k]])]);
}

/** host + service, for the sets below. */
const hostService = (host: string, service: string) => JSON.stringify([host, service]);

/**
 * The service stands in for a unit when a finding names none. When the service is a container (a finding's
 * `container` field says so, or `docker inspect` of it answers: seed 000 with Docker), port_owner asks about the
 * container instead of a unit and unit_status is left out: a container is no systemd unit.
 */
function containerCandidates(stored: StoredIncident, rules: ReadonlyMap<string, Rule>): { known: Set<string>; ask: { host: string; service: string }[] } {
  const known = new Set<string>();
  const ask = new Map<string, { host: string; service: string }>();
  for (const f of stored.incident.findings) {
    const host = hostOf(stored, f);
    const c = f.fields.container;
    if (c !== undefined && ContainerValue.safeParse(c).success) known.add(hostService(host, c));
  }
  for (const f of stored.incident.findings) {
    const host = hostOf(stored, f);
    const wants = rules.get(f.rule)?.probes.some((p) => p === "port_owner" || p === "unit_status" || p === "kernel_oom") ?? false;
    if (!wants || f.fields.unit !== undefined || f.fields.container !== undefined || f.service === undefined) continue;
    const key = hostService(host, f.service);
    if (!known.has(key) && ContainerValue.safeParse(f.service).success) ask.set(key, { host, service: f.service });
  }
  return { known, ask: [...ask.values()] };
}

function plan(stored: StoredIncident, rules: ReadonlyMap<string, Rule>, containers: ReadonlySet<string>): Job[] {
  const jobs = new Map<string, Job>();
  for (const f of stored.incident.findings) {
    const rule = rules.get(f.rule);
    if (!rule) continue;
    const host = hostOf(stored, f);
    for (const p of probesForRule(rule, f)) {
      if ("skipped" in p) {
        const key = jobKey(p.probe, host, { skipped: p.skipped });
        if (!jobs.has(key)) jobs.set(key, { key, probe: p.probe, params: {}, host, skipped: p.skipped });
        continue;
      }
      let params = scalarParams(p.params);
      const service = f.service;
      const isContainer = service !== undefined && f.fields.unit === undefined && containers.has(hostService(host, service));
      // kernel_oom marks the kills in the service's cgroup when the service is a container.
      if (isContainer && p.probe === "kernel_oom" && params.container === undefined) params = { ...params, container: service };
      if (isContainer && params.unit === service) {
        if (p.probe === "unit_status") continue;
        if (p.probe === "port_owner") {
          const { unit: _unit, ...rest } = params;
          params = { ...rest, container: service };
        }
      }
      const key = jobKey(p.probe, host, params);
      if (!jobs.has(key)) jobs.set(key, { key, probe: p.probe, params, host });
    }
  }
  return [...jobs.values()];
}

/** A result as one stored line: the probe's own rendering, or why it failed or did not run. */
function toStored(job: Job, at: number, r: ProbeResult): StoredProbe {
  if (r.ok) return { probe: job.probe, params: job.params, host: job.host, at, ok: true, summary: r.text, data: r.evidence };
  return { probe: job.probe, params: job.params, host: job.host, at, ok: false, summary: r.text, data: { reason: r.error.reason, message: r.error.message, ...(r.error.hint === undefined ? {} : { hint: r.error.hint }) } };
}

function notRun(job: Job, at: number, reason: "not_run" | "unknown_host", why: string): StoredProbe {
  return { probe: job.probe, params: job.params, host: job.host, at, ok: false, summary: `${job.probe} on ${job.host} not run: ${why}`, data: { reason, message: why } };
}

async function runJob(job: Job, deps: IncidentProbeDeps, listeners?: ReadonlyMap<string, PortListeners>): Promise<StoredProbe> {
  const at = deps.clock.now();
  if (job.skipped !== undefined) return notRun(job, at, "not_run", job.skipped);
  const host = deps.host(job.host);
  if (!host) return notRun(job, at, "unknown_host", `no host named ${JSON.stringify(job.host)} is configured`);
  const shared = job.probe === "port_owner" ? listeners?.get(job.host) : undefined;
  const r = await runProbe(job.probe, job.params, host, {
    ...(deps.dockerHost === undefined ? {} : { dockerHost: deps.dockerHost }),
    ...(deps.signal === undefined ? {} : { signal: deps.signal }),
    ...(deps.allowNet === undefined ? {} : { allowNet: deps.allowNet }),
    ...(shared === undefined ? {} : { listeners: shared }),
  });
  return toStored(job, at, r);
}

/** Per host where the plan asks port_owner about two ports or more: one `ss` answering them all (shareListeners). */
function sharedListeners(jobs: readonly Job[], deps: IncidentProbeDeps): Map<string, PortListeners> {
  const ports = new Map<string, Set<number>>();
  for (const j of jobs) {
    const port = j.probe === "port_owner" && j.skipped === undefined ? PortValue.safeParse(j.params.port) : undefined;
    if (!port?.success) continue;
    const set = ports.get(j.host) ?? new Set<number>();
    ports.set(j.host, set.add(port.data));
  }
  const out = new Map<string, PortListeners>();
  for (const [name, set] of ports) {
    const host = set.size > 1 ? deps.host(name) : undefined;
    if (host) out.set(name, shareListeners({ host, ...(deps.signal === undefined ? {} : { signal: deps.signal }) }, [...set]));
  }
  return out;
}

/**
 * Plans the probes every finding's rule names (values validated by each probe's schema first: a hostile log value is
 * refused, never run), asks each distinct question once on the incident's host, at most PROBE_CONCURRENCY at a time,
 * and returns the results in plan order. Never rejects: failures, unknown probes and unknown hosts are ok:false results.
 */
export async function runIncidentProbes(stored: StoredIncident, rules: ReadonlyMap<string, Rule>, deps: IncidentProbeDeps): Promise<StoredProbe[]> {
  const { known, ask } = containerCandidates(stored, rules);
  // Is the service a container? Asked once per host and service; the answer is evidence too, when it is yes.
  const asked = new Map<string, StoredProbe>();
  await pool(ask, async ({ host, service }) => {
    const job: Job = { key: jobKey("container_state", host, { container: service }), probe: "container_state", params: { container: service }, host };
    const r = await runJob(job, deps);
    if (r.ok) known.add(hostService(host, service));
    // Kept either way: a rule that names container_state for this service gets this answer, not a second inspect.
    asked.set(job.key, r);
  });
  const jobs = plan(stored, rules, known);
  const listeners = sharedListeners(jobs, deps);
  const results = await pool(jobs, async (job) => asked.get(job.key) ?? runJob(job, deps, listeners));
  // A container found by asking, though no rule named container_state, still shows what was asked; a "no" does not.
  const planned = new Set(jobs.map((j) => j.key));
  return [...results, ...[...asked].filter(([k, r]) => r.ok && !planned.has(k)).map(([, r]) => r)];
}

/** Maps items through `fn`, at most PROBE_CONCURRENCY at a time, results in input order. */
async function pool<T, R>(items: readonly T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  // One iterator shared by the workers: each takes the next item when it is free.
  const todo = items.entries();
  const worker = async () => {
    for (const [i, item] of todo) out[i] = await fn(item);
  };
  await Promise.all(Array.from({ length: Math.min(PROBE_CONCURRENCY, items.length) }, worker));
  return out;
}
