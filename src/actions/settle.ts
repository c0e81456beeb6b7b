// After a fix ran and its postcondition held: resolve the incident only if nothing else of it still fires.
import { z } from "zod";
import type { Finding } from "../correlate/index.js";
import { stillFiring, type FixTarget } from "../incidents/index.js";
import type { Store } from "../store/index.js";
import type { Clock } from "../time.js";
import type { Plan } from "./plan.js";

export interface SettleDeps {
  readonly store: Pick<Store, "get" | "resolve" | "listAudit" | "appendAudit">;
  readonly clock: Clock;
  /** A rule's quiet time (its resolve_after); default DEFAULT_FINDING_QUIET_MS. */
  readonly quietMs?: (rule: string) => number | undefined;
}

export interface Settled {
  readonly resolved: boolean;
  /** The firing findings the fixes so far did not cover (empty when resolved). */
  readonly still: readonly Finding[];
}

// An audit entry's params are stored JSON (another process wrote them): parsed, never trusted as typed.
const Params = z.record(z.string(), z.unknown());

const target = (params: Readonly<Record<string, unknown>>): FixTarget => {
  const s = (k: string) => (typeof params[k] === "string" ? params[k] : undefined);
  return { port: s("port"), unit: s("unit"), container: s("container"), queue: s("queue") };
};

/** The targets of the fixes already done for this incident, from the audit (`params` of its action.done entries). */
async function earlierFixes(store: SettleDeps["store"], incident: string): Promise<FixTarget[]> {
  const done = await store.listAudit({ target: incident, action: "action.done" });
  return done.flatMap((e) => {
    const raw = e.details["params"];
    if (typeof raw !== "string") return [];
    try {
      const parsed = Params.safeParse(JSON.parse(raw));
      return parsed.success ? [target(parsed.data)] : [];
    } catch {
      return [];
    }
  });
}

/**
 * Resolves the plan's incident when the fix (with those done before it) leaves no finding firing; otherwise the
 * incident stays open and the audit says what still fires (issue 14: restarting oom-two resolved oom-one's incident).
 * Undefined when the incident is gone or already resolved.
 */
export async function settleFix(deps: SettleDeps, plan: Pick<Plan, "incident" | "action" | "host" | "params">, observed: string, by: string): Promise<Settled | undefined> {
  const stored = await deps.store.get(plan.incident);
  if (!stored || stored.status === "resolved") return undefined;
  const fixes = [target(plan.params), ...(await earlierFixes(deps.store, plan.incident))];
  const still = stillFiring(stored.incident.findings, fixes, { now: deps.clock.now(), ...(deps.quietMs ? { quietMs: deps.quietMs } : {}) });
  if (still.length > 0) {
    await deps.store.appendAudit({
      at: deps.clock.now(), actor: by, action: "incident.partly_fixed", target: plan.incident,
      details: { action: plan.action, host: plan.host, stillFiring: still.map((f) => f.groupKey).join(" ") },
    });
    return { resolved: false, still };
  }
  await deps.store.resolve(plan.incident, by, `${plan.action} on ${plan.host}: ${observed}`);
  return { resolved: true, still: [] };
}
