// Runs one granted plan: precondition again at click time, the command (unless dry-run), the postcondition, the audit.
import { ACTIONS, type ActionCommand } from "./definitions.js";
import { auditEvent, type AuditDeps, type Plan } from "./plan.js";
import { vetHolder, type GuardConfig, type SelfScope } from "./policy.js";
import type { ActionProbes, Check } from "./probes.js";

/** What the executor reports; a non-zero exit is `ok: false` with the reason in `detail`. */
export interface ExecutorResult {
  readonly ok: boolean;
  readonly detail: string;
}

/** Runs an action's command on its host (argv through the hosts floor; the queue cleaner from jobs). Injected. */
export type Executor = (command: ActionCommand) => Promise<ExecutorResult>;

export type ExecutionOutcome =
  | { readonly status: "dry_run"; readonly plan: Plan; readonly precondition: Check }
  | { readonly status: "world_changed"; readonly plan: Plan; readonly precondition: Check }
  | { readonly status: "failed"; readonly plan: Plan; readonly detail: string }
  | { readonly status: "done"; readonly plan: Plan; readonly postcondition: Check }
  | { readonly status: "unverified"; readonly plan: Plan; readonly postcondition: Check }
  | { readonly status: "refused"; readonly reason: "unknown_grant" };

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

async function runSafely(executor: Executor, command: ActionCommand): Promise<ExecutorResult> {
  try {
    return await executor(command);
  } catch (e) {
    return { ok: false, detail: message(e) };
  }
}

/** Executes a plan the guard granted. Nothing runs unless the precondition still holds now. */
export async function executePlan(
  deps: AuditDeps & { readonly probes: ActionProbes; readonly config?: GuardConfig; readonly self?: SelfScope },
  plan: Plan,
  dryRun: boolean,
  executor: Executor,
): Promise<ExecutionOutcome> {
  const action = ACTIONS[plan.action];
  const actor = plan.approvedBy ?? plan.requestedBy;
  let pre: Check;
  try {
    pre = await action.precondition(plan.params, plan.host, deps.probes);
    // The holder the port names now, against kill_port_owner's lists: firewatch's own, another user's, or an unlisted
    // port is not stopped, whatever the log said (a process without a known user neither).
    const policy = deps.config?.actions[plan.action];
    if (pre.ok && pre.holder && policy && deps.self) {
      const why = vetHolder(policy, deps.self, pre.holder);
      if (why !== undefined) pre = { ok: false, observed: why };
    }
  } catch (e) {
    const detail = `the precondition could not be checked: ${message(e)}`;
    await auditEvent(deps, actor, "failed", plan, { result: "failed", stage: "precondition", detail, dryRun });
    return { status: "failed", plan, detail };
  }
  if (dryRun) {
    await auditEvent(deps, actor, "dry_run", plan, { result: "dry_run", precondition: pre.observed, preconditionOk: pre.ok });
    return { status: "dry_run", plan, precondition: pre };
  }
  if (!pre.ok) {
    await auditEvent(deps, actor, "world_changed", plan, { result: "not_run", precondition: pre.observed });
    return { status: "world_changed", plan, precondition: pre };
  }
  let ran = await runSafely(executor, plan.command);
  let escalated = false;
  if (ran.ok && action.escalation) {
    await deps.clock.sleep(action.escalation.afterMs);
    let needed: boolean;
    try {
      needed = await action.escalation.needed(plan.params, plan.host, deps.probes);
    } catch (e) {
      // Not knowing is no reason to escalate: the postcondition below will say whether the first step was enough.
      needed = false;
      ran = { ok: true, detail: `${ran.detail}; escalation check failed: ${message(e)}` };
    }
    if (needed) {
      escalated = true;
      const second = await runSafely(executor, action.escalation.command(plan.params, plan.host));
      ran = { ok: second.ok, detail: `${ran.detail}; escalated: ${second.detail}` };
    }
  }
  if (!ran.ok) {
    await auditEvent(deps, actor, "failed", plan, { result: "failed", stage: "command", detail: ran.detail });
    return { status: "failed", plan, detail: ran.detail };
  }
  let post: Check;
  try {
    post = await action.postcondition(plan.params, plan.host, deps.probes, pre, deps.clock);
  } catch (e) {
    post = { ok: false, observed: `the postcondition could not be checked: ${message(e)}` };
  }
  await auditEvent(deps, actor, post.ok ? "done" : "unverified", plan, { result: post.ok ? "done" : "unverified", output: ran.detail, escalated, postcondition: post.observed });
  return post.ok ? { status: "done", plan, postcondition: post } : { status: "unverified", plan, postcondition: post };
}
