// What the guard keeps in the store: pending approvals and grants (records with expiry), parsed back at the edge.
import { createHash, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import type { Store } from "../store/index.js";
import { ACTIONS, ActionId } from "./definitions.js";
import { HostName } from "./params.js";
import type { Plan } from "./plan.js";
import type { TokenService } from "./token.js";

/**
 * The part of the Store the guard uses (interfaces.md section 1): the audit log, records with expiry taken once across
 * processes, and set-if-absent claims. A Store is one; tests may pass a smaller fake.
 */
export interface GuardStore extends Pick<Store, "appendAudit" | "listAudit"> {
  /** `opts.incident`: the record is deleted when that incident resolves (a pending request closes with it). */
  putRecord(ns: string, key: string, value: unknown, ttlMs: number, opts?: { readonly incident?: string }): Promise<void>;
  getRecord(ns: string, key: string): Promise<unknown>;
  /** Atomic get-and-delete: of two processes taking the same record, exactly one gets it. */
  takeRecord(ns: string, key: string): Promise<unknown>;
  claim(key: string, owner: string, ttlMs: number): Promise<{ readonly claimed: boolean; readonly owner: string }>;
  release(key: string, owner: string): Promise<boolean>;
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

// What is stored: the record as JSON text and its seal (TokenService.sealRecord over namespace, key and text).
const Sealed = z.object({ body: z.string(), mac: z.string() }).strict();

type Sealer = Pick<TokenService, "sealRecord">;

/** The stored form of a record: its JSON text and the seal that binds it to `ns` and `key`. */
export function sealed(tokens: Sealer, ns: string, key: string, value: unknown): unknown {
  const body = JSON.stringify(value);
  return { body, mac: tokens.sealRecord(ns, key, body) };
}

/** The record's value when its seal is right (`tokens` given) or unchecked (`undefined`: reading for display only). */
function unseal(tokens: Sealer | undefined, ns: string, key: string, raw: unknown): unknown {
  const r = Sealed.safeParse(raw);
  if (!r.success) return undefined;
  if (tokens) {
    const want = Buffer.from(tokens.sealRecord(ns, key, r.data.body), "utf8");
    const got = Buffer.from(r.data.mac, "utf8");
    if (want.length !== got.length || !timingSafeEqual(want, got)) return undefined;
  }
  try {
    return JSON.parse(r.data.body) as unknown;
  } catch {
    return undefined;
  }
}

export const encodeApproval = (a: Pending): unknown => ({ plan: encodePlan(a.plan), expiresAt: a.expiresAt });
export const encodeGrant = (g: Pending & { readonly dryRun: boolean }): unknown => ({ plan: encodePlan(g.plan), expiresAt: g.expiresAt, dryRun: g.dryRun });

function approvalOf(value: unknown): Pending | undefined {
  const r = StoredApproval.safeParse(value);
  const plan = r.success ? decodePlan(r.data.plan) : undefined;
  return r.success && plan ? { plan, expiresAt: r.data.expiresAt } : undefined;
}

/**
 * A stored approval as the store holds it, seal NOT checked: for showing or denying a request (a forged one denied
 * harms nobody). The guard itself only acts on `openApproval`. Undefined when absent or not in the guard's shape.
 */
export function decodeApproval(value: unknown): Pending | undefined {
  return approvalOf(unseal(undefined, APPROVAL_NS, "", value));
}

/** A stored approval whose seal is right, else undefined (absent, altered, or written without the secret). */
export function openApproval(tokens: Sealer, key: string, value: unknown): Pending | undefined {
  return approvalOf(unseal(tokens, APPROVAL_NS, key, value));
}

/** A stored grant whose seal is right, else undefined. */
export function openGrant(tokens: Sealer, key: string, value: unknown): (Pending & { readonly dryRun: boolean }) | undefined {
  const r = StoredGrant.safeParse(unseal(tokens, GRANT_NS, key, value));
  const plan = r.success ? decodePlan(r.data.plan) : undefined;
  return r.success && plan ? { plan, expiresAt: r.data.expiresAt, dryRun: r.data.dryRun } : undefined;
}

/**
 * The claim that makes one pending request per action and target: the action, the host and a digest of the incident
 * and the params (what it acts on: the PID and port, the unit, the container, the queue), so a request lives in one
 * incident's thread and closes with it. Its owner is the pending approval's id.
 */
export function pendingKey(plan: Pick<Plan, "incident" | "action" | "host" | "params">): string {
  const params = Object.entries(plan.params).sort(([a], [b]) => a.localeCompare(b));
  const digest = createHash("sha256").update(JSON.stringify([plan.incident, params])).digest("hex").slice(0, 32);
  return `pending:${plan.action}:${plan.host}:${digest}`;
}

/**
 * Claims the pending request of `plan`'s action and target for `approvalId`, the id a new request would get. Answers
 * undefined when it was free (this request is the pending one now), else the request already pending: its id and
 * what it holds. A claim whose request is gone (approved, denied, closed with its incident) or expired is released
 * and claimed again, so a decided request never blocks the next one.
 */
export async function claimPending(
  store: Pick<GuardStore, "claim" | "release" | "getRecord">,
  tokens: Sealer,
  plan: Plan,
  approvalId: string,
  ttlMs: number,
  now: number,
): Promise<{ readonly approvalId: string; readonly pending: Pending } | undefined> {
  const key = pendingKey(plan);
  for (let attempt = 0; attempt < 3; attempt++) {
    const c = await store.claim(key, approvalId, ttlMs);
    if (c.claimed) return undefined;
    const pending = openApproval(tokens, c.owner, await store.getRecord(APPROVAL_NS, c.owner));
    if (pending && now < pending.expiresAt) return { approvalId: c.owner, pending };
    await store.release(key, c.owner);
  }
  // Three others decided and re-requested in between: let this one through as a request of its own.
  return undefined;
}

/** Audit actions of a remediation whose command ran (`failed` only at the command stage): what a rate limit counts. */
const RAN = ["action.done", "action.unverified", "action.failed"] as const;

/**
 * How many times `action` ran on `host` since `since` (store time), by the audit log every guard on the store writes.
 * A refused request, a dry run, a "world changed" (the precondition no longer held, nothing ran) and a failed
 * precondition check do not count: they ran nothing.
 */
export async function ranSince(store: Pick<GuardStore, "listAudit">, action: string, host: string, since: number): Promise<number> {
  let n = 0;
  for (const kind of RAN) {
    for (const e of await store.listAudit({ action: kind, since })) {
      if (e.details["action"] !== action || e.details["host"] !== host) continue;
      if (kind === "action.failed" && e.details["stage"] !== "command") continue;
      n += 1;
    }
  }
  return n;
}
