// What the guard keeps in the store: pending approvals and grants (records with expiry), parsed back at the edge.
import { z } from "zod";
import type { Store } from "../store/index.js";
import { ACTIONS, ActionId } from "./definitions.js";
import { HostName } from "./params.js";
import type { Plan } from "./plan.js";

/**
 * The part of the Store the guard uses (interfaces.md section 1): the audit log, records with expiry taken once across
 * processes, and set-if-absent claims. A Store is one; tests may pass a smaller fake.
 */
export interface GuardStore extends Pick<Store, "appendAudit" | "listAudit"> {
  putRecord(ns: string, key: string, value: unknown, ttlMs: number): Promise<void>;
  getRecord(ns: string, key: string): Promise<unknown>;
  /** Atomic get-and-delete: of two processes taking the same record, exactly one gets it. */
  takeRecord(ns: string, key: string): Promise<unknown>;
  claim(key: string, owner: string, ttlMs: number): Promise<{ readonly claimed: boolean; readonly owner: string }>;
}

export const APPROVAL_NS = "approval";
export const GRANT_NS = "grant";

// The command is not stored: it is rebuilt from the re-validated params, so an altered record can name only what the
// action's own argv builder makes of values that pass its validators.
const StoredPlan = z
  .object({
    incident: z.string().min(1),
    action: ActionId,
    params: z.record(z.string(), z.string()),
    host: HostName,
    requestedBy: z.string().min(1),
    approvedBy: z.string().min(1).nullable(),
  })
  .strict();

const StoredApproval = z.object({ plan: StoredPlan, expiresAt: z.number().int() }).strict();
const StoredGrant = z.object({ plan: StoredPlan, expiresAt: z.number().int(), dryRun: z.boolean() }).strict();

function encodePlan(plan: Plan): z.infer<typeof StoredPlan> {
  return { incident: plan.incident, action: plan.action, params: { ...plan.params }, host: plan.host, requestedBy: plan.requestedBy, approvedBy: plan.approvedBy ?? null };
}

function decodePlan(p: z.infer<typeof StoredPlan>): Plan | undefined {
  const action = ACTIONS[p.action];
  const params = action.params.safeParse(p.params);
  if (!params.success) return undefined;
  return {
    incident: p.incident, action: p.action, params: params.data, host: p.host, command: action.command(params.data, p.host),
    destructive: action.destructive, requestedBy: p.requestedBy, approvedBy: p.approvedBy ?? undefined,
  };
}

export interface Pending {
  readonly plan: Plan;
  readonly expiresAt: number;
}

export const encodeApproval = (a: Pending): unknown => ({ plan: encodePlan(a.plan), expiresAt: a.expiresAt });
export const encodeGrant = (g: Pending & { readonly dryRun: boolean }): unknown => ({ plan: encodePlan(g.plan), expiresAt: g.expiresAt, dryRun: g.dryRun });

/** A stored approval, or undefined when absent or not in the shape the guard writes (then it is treated as unknown). */
export function decodeApproval(value: unknown): Pending | undefined {
  const r = StoredApproval.safeParse(value);
  const plan = r.success ? decodePlan(r.data.plan) : undefined;
  return r.success && plan ? { plan, expiresAt: r.data.expiresAt } : undefined;
}

export function decodeGrant(value: unknown): (Pending & { readonly dryRun: boolean }) | undefined {
  const r = StoredGrant.safeParse(value);
  const plan = r.success ? decodePlan(r.data.plan) : undefined;
  return r.success && plan ? { plan, expiresAt: r.data.expiresAt, dryRun: r.data.dryRun } : undefined;
}
