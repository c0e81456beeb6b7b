// A checked request: what will run where for whom, and how the guard's decisions and audit entries describe it.
import type { Store } from "../store/index.js";
import type { Clock } from "../time.js";
import type { ActionCommand, ActionId } from "./definitions.js";
import type { PolicyRefusal } from "./policy.js";
import type { TokenRefusal } from "./token.js";

export interface Plan {
  readonly incident: string;
  readonly action: ActionId;
  readonly params: Readonly<Record<string, string>>;
  readonly host: string;
  readonly command: ActionCommand;
  readonly destructive: boolean;
  readonly requestedBy: string;
  readonly approvedBy: string | undefined;
}

export type RefusalReason =
  | TokenRefusal
  | PolicyRefusal
  | "unknown_action"
  | "action_not_enabled"
  | "invalid_params"
  | "rate_limited"
  | "unknown_approval"
  | "approval_expired"
  | "same_person"
  | "unknown_grant"
  /** guard.actuator serves the host and cannot be reached from this process: the approval stays pending. */
  | "executor_unavailable";

export type Decision =
  | { readonly kind: "allowed"; readonly grant: string; readonly plan: Plan; readonly dryRun: boolean }
  /** `existing`: the same action and target was already pending; this is that request (its plan, its requester). */
  | { readonly kind: "needs_approval"; readonly approvalId: string; readonly plan: Plan; readonly expiresAt: number; readonly existing: boolean }
  | { readonly kind: "refused"; readonly reason: RefusalReason; readonly detail: string };

/** The command as people read it in a confirm dialog and the audit log: argv joined by spaces, or the queue call. */
export function describeCommand(c: ActionCommand): string {
  return c.kind === "argv" ? c.argv.join(" ") : `clean failed jobs of queue ${c.queue}`;
}

export interface AuditDeps {
  readonly clock: Clock;
  readonly store: Pick<Store, "appendAudit">;
}

/** Appends one guard audit entry (who, what, where, when, result); the store stamps id and time. */
export async function auditEvent(
  deps: AuditDeps,
  actor: string,
  event: string,
  plan: Partial<Plan> | undefined,
  details: Readonly<Record<string, string | number | boolean | null>>,
): Promise<void> {
  await deps.store.appendAudit({
    at: deps.clock.now(),
    actor,
    action: `action.${event}`,
    target: plan?.incident,
    details: {
      ...(plan?.action ? { action: plan.action } : {}),
      ...(plan?.host ? { host: plan.host } : {}),
      ...(plan?.command ? { command: JSON.stringify(plan.command.kind === "argv" ? plan.command.argv : ["clean_failed_jobs", plan.command.queue]) } : {}),
      ...(plan?.approvedBy ? { approvedBy: plan.approvedBy } : {}),
      // Who asked and for what target: the incident's Remediation section and settleFix read them back.
      ...(plan?.requestedBy ? { requestedBy: plan.requestedBy } : {}),
      ...(plan?.params ? { params: JSON.stringify(plan.params) } : {}),
      ...details,
    },
  });
}
