// The probe registry: run a probe by name without ever throwing, and turn a rule's `probes:` plus a finding into params.
import type { Finding } from "../correlate/index.js";
import type { Rule } from "../rules/index.js";
import { containerState } from "./container-state.js";
import { diskUsage, fileExists } from "./file-exists.js";
import { healthEndpoint } from "./health-endpoint.js";
import { inotifyUsage } from "./inotify-usage.js";
import { kernelOom } from "./kernel-oom.js";
import { portOwner } from "./port-owner.js";
import { ProbeError, type Probe, type ProbeContext, type ProbeFailure } from "./probe.js";
import { processInfo } from "./process-info.js";
import { redisPing } from "./redis-ping.js";
import { unitStatus } from "./unit-status.js";

// Each entry keeps its own P and E; the registry only passes values through the probe's own schema.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyProbe = Probe<any, unknown>;

/** Every built-in probe by name: the names rules may list under `probes:`. */
export const PROBES: ReadonlyMap<string, AnyProbe> = new Map<string, AnyProbe>(
  [
    ...[portOwner, processInfo, unitStatus, containerState, fileExists, diskUsage, inotifyUsage, redisPing, kernelOom, healthEndpoint].map((p): [string, AnyProbe] => [p.name, p as AnyProbe]),
    // The built-in library's inotify_limit rule names the probe this way.
    ["inotify_limits", inotifyUsage as AnyProbe],
  ],
);

export type ProbeResult =
  | { readonly ok: true; readonly probe: string; readonly host: string; readonly evidence: unknown; readonly text: string }
  | { readonly ok: false; readonly probe: string; readonly host: string; readonly error: { readonly reason: ProbeFailure | "unknown_probe"; readonly message: string; readonly hint?: string }; readonly text: string };

/**
 * Validates `params` with the probe's schema and runs it. Never throws: an invalid value (nothing runs), a failed or
 * timed-out command, an unreachable host all come back as `{ ok: false, error }`, which is evidence too.
 */
export async function runProbe(name: string, params: unknown, host: ProbeContext["host"], opts: Omit<ProbeContext, "host"> = {}): Promise<ProbeResult> {
  const probe = PROBES.get(name);
  // text stays one line (a report cell, a thread reply); the hint, when there is one, is kept apart.
  const fail = (reason: ProbeFailure | "unknown_probe", message: string, hint?: string): ProbeResult => {
    const first = message.split("\n")[0] ?? "";
    // ProbeError messages start with the probe's name; the text names it already ("unit_status on web-1 failed: ...").
    const said = first.startsWith(`${name}: `) ? first.slice(name.length + 2) : first;
    return { ok: false, probe: name, host: host.name, error: { reason, message: first, ...(hint === undefined ? {} : { hint }) }, text: `${name} on ${host.name} failed: ${said}` };
  };
  if (!probe) return fail("unknown_probe", `no probe named ${JSON.stringify(name)} (known: ${[...PROBES.keys()].join(", ")})`);
  const parsed = probe.params.safeParse(params);
  if (!parsed.success) return fail("invalid_params", parsed.error.issues.map((i) => `${i.path.join(".") || "params"}: ${i.message}`).join("; "));
  try {
    const evidence = await probe.run({ ...opts, host }, parsed.data);
    return { ok: true, probe: name, host: host.name, evidence, text: probe.render(evidence) };
  } catch (e) {
    if (e instanceof ProbeError) return fail(e.reason, e.message, e.hint);
    return fail("host_failed", e instanceof Error ? e.message : String(e));
  }
}

export type PlannedProbe =
  | { readonly probe: string; readonly params: Readonly<Record<string, unknown>> }
  | { readonly probe: string; readonly skipped: string };

/** Which finding fields feed which probe parameter; the first present name wins (service stands in for a unit). */
const FIELDS: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>> = {
  port_owner: { port: ["port"], unit: ["unit"], container: ["container"] },
  process_info: { pid: ["pid"] },
  unit_status: { unit: ["unit"] },
  container_state: { container: ["container", "container_id"] },
  file_exists: { path: ["path", "file"] },
  disk_usage: { path: ["path", "mount"] },
  inotify_usage: {},
  inotify_limits: {},
  redis_ping: { address: ["address"] },
  kernel_oom: { container: ["container"] },
  health_endpoint: { url: ["url"], target: ["target"], port: ["port"] },
};
const REQUIRED: Readonly<Record<string, readonly string[]>> = {
  port_owner: ["port"], process_info: ["pid"], unit_status: ["unit"], container_state: ["container"], file_exists: ["path"], disk_usage: ["path"], inotify_usage: [], inotify_limits: [],
  redis_ping: [], kernel_oom: [], health_endpoint: [],
};

/**
 * Maps a rule's `probes:` and a finding's fields to validated params, in the rule's order. A probe whose needed field
 * is missing or fails validation is skipped with the reason recorded, so a hostile log value never reaches a command.
 */
export function probesForRule(rule: Pick<Rule, "probes">, finding: Pick<Finding, "fields" | "service">): PlannedProbe[] {
  return rule.probes.map((name): PlannedProbe => {
    const probe = PROBES.get(name);
    const fields = FIELDS[name];
    if (!probe || !fields) return { probe: name, skipped: `no probe named ${JSON.stringify(name)}` };
    const raw: Record<string, unknown> = {};
    for (const [param, names] of Object.entries(fields)) {
      const v = names.map((n) => finding.fields[n]).find((x) => x !== undefined && x !== "");
      if (v !== undefined) raw[param] = v;
    }
    // A unit or container is often only known as the finding's service (journald's unit, Docker's container name).
    const stand = name === "container_state" ? "container" : name === "unit_status" || name === "port_owner" ? "unit" : undefined;
    if (stand !== undefined && raw[stand] === undefined && finding.service !== undefined) {
      // port_owner runs without a unit, so a service that is no valid unit name is left out rather than skipping the probe.
      if (name !== "port_owner" || probe.params.safeParse({ ...raw, unit: finding.service }).success) raw[stand] = finding.service;
    }
    const missing = (REQUIRED[name] ?? []).filter((k) => raw[k] === undefined);
    if (missing.length > 0) return { probe: name, skipped: `the finding has no ${missing.join(", ")}` };
    const parsed = probe.params.safeParse(raw);
    if (!parsed.success) return { probe: name, skipped: `invalid ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}` };
    return { probe: name, params: raw };
  });
}
