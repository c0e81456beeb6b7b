// An action's parameters as the incident suggests them: finding fields, then probe results; each value says its source.
import { z } from "zod";
import type { ActionId } from "./definitions.js";

/** What an incident offers: its findings' fields, its service, and the probe results stored with it. */
export interface ParamSources {
  readonly service: string | undefined;
  readonly findings: readonly { readonly rule: string; readonly fields: Readonly<Record<string, string>> }[];
  /** StoredIncident.probes (interfaces.md section 1); read loosely here, each result parsed before use. */
  readonly probes?: readonly unknown[];
}

export interface SuggestedParam {
  readonly value: string;
  /** Where it came from, for the confirm text: "finding eaddrinuse_loop", "probe port_owner". */
  readonly from: string;
}

// Only the parts used, parsed: a stored probe result is data another process wrote.
const PortOwnerResult = z
  .object({
    probe: z.literal("port_owner"),
    ok: z.literal(true),
    at: z.number(),
    params: z.object({ port: z.union([z.number(), z.string()]), unit: z.string().optional(), container: z.string().optional() }).loose(),
    data: z.object({ pid: z.number().int().optional(), rogue: z.boolean().optional() }).loose(),
  })
  .loose();

const UNIT_SUFFIX = /\.(?:service|socket|timer|target|mount|path|scope|slice)$/;

function field(src: ParamSources, name: string): SuggestedParam | undefined {
  for (const f of src.findings) {
    const v = f.fields[name];
    if (v !== undefined && v !== "") return { value: v, from: `finding ${f.rule}` };
  }
  return undefined;
}

/** The newest successful port_owner result that named a rogue holder, if the incident has one. */
function rogueFromProbes(src: ParamSources): { pid: string; port: string; unit?: string; container?: string } | undefined {
  // The newest answer per question (port and owner): an earlier answer kept as history (the rogue before a kill) is
  // not the world now (issue 14: act picked the already-fixed finding's PID).
  const answers = new Map<string, z.infer<typeof PortOwnerResult>>();
  for (const p of src.probes ?? []) {
    const r = PortOwnerResult.safeParse(p);
    if (!r.success) continue;
    const q = JSON.stringify([String(r.data.params.port), r.data.params.unit ?? "", r.data.params.container ?? ""]);
    const seen = answers.get(q);
    if (seen === undefined || r.data.at > seen.at) answers.set(q, r.data);
  }
  const found = [...answers.values()].filter((r) => r.data.rogue === true && r.data.pid !== undefined);
  const newest = found.sort((a, b) => b.at - a.at)[0];
  if (!newest?.data.pid) return undefined;
  return {
    pid: String(newest.data.pid), port: String(newest.params.port),
    ...(newest.params.unit === undefined ? {} : { unit: newest.params.unit }),
    ...(newest.params.container === undefined ? {} : { container: newest.params.container }),
  };
}

/**
 * Suggested params for `action` on this incident. Nothing here is trusted: the values go into a token and the guard
 * validates every one of them again (an operator's --param overrides go the same way).
 */
export function suggestParams(action: ActionId, src: ParamSources): Record<string, SuggestedParam> {
  const out: Record<string, SuggestedParam> = {};
  const set = (k: string, v: SuggestedParam | undefined) => {
    if (v) out[k] = v;
  };
  const rogue = rogueFromProbes(src);
  const unit = field(src, "unit") ?? (rogue?.unit ? { value: rogue.unit, from: "probe port_owner" } : undefined) ?? (src.service && UNIT_SUFFIX.test(src.service) ? { value: src.service, from: "incident service" } : undefined);
  const container = field(src, "container") ?? (rogue?.container ? { value: rogue.container, from: "probe port_owner" } : undefined);
  if (action === "kill_port_owner") {
    set("port", field(src, "port") ?? (rogue ? { value: rogue.port, from: "probe port_owner" } : undefined));
    // A port meant for a container (Docker host networking) when the incident names one; else the unit's.
    if (container) set("container", container);
    else set("unit", unit);
    if (rogue && rogue.port === out["port"]?.value) set("pid", { value: rogue.pid, from: "probe port_owner" });
  } else if (action === "restart_unit") set("unit", unit);
  else if (action === "restart_container") set("container", container);
  // Job records name their queue as the service unless told otherwise (src/jobs/job-record.ts).
  else set("queue", field(src, "queue") ?? (src.service ? { value: src.service, from: "incident service" } : undefined));
  return out;
}
