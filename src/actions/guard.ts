// The guard: every remediation request passes here (token, allow-lists, validation, rate limit, second approver).
import { randomBytes } from "node:crypto";
import { ACTIONS, ActionId } from "./definitions.js";
import { HostName } from "./params.js";
import { executePlan, type Executor, type ExecutionOutcome } from "./execute.js";
import { APPROVAL_NS, claimPending, encodeApproval, encodeGrant, GRANT_NS, openApproval, openGrant, ranSince, sealed, type GuardStore } from "./guard-store.js";
import { auditEvent, describeCommand, type AuditDeps, type Decision, type Plan, type RefusalReason } from "./plan.js";
import { checkRequester, checkScope, personOf, selfScope, type GuardConfig, type Requester, type SelfScope } from "./policy.js";
import type { ActionProbes } from "./probes.js";
import type { TokenService } from "./token.js";

/** A button click (or `firewatch act`): the token is the only trusted part; the requester comes from the edge. */
export interface ActionRequest {
  readonly token: string;
  readonly requester: Requester;
  /** Show what would run; runs nothing, needs no approval and does not use the token up. */
  readonly dryRun?: boolean;
}

export interface ApprovalRequest {
  readonly approvalId: string;
  readonly requester: Requester;
}

export interface GuardDeps extends AuditDeps {
  /** Pending approvals and grants live here (ns "approval", "grant"): they survive a restart and are taken once. */
  readonly store: GuardStore;
  readonly tokens: TokenService;
  readonly probes: ActionProbes;
  readonly config: GuardConfig;
  /** Defaults to crypto.randomBytes; ids of approvals and grants. */
  readonly random?: (n: number) => Buffer;
  /** firewatch itself (PID, user, own ports), never stopped by kill_port_owner; default this process, no ports. */
  readonly self?: SelfScope;
}

export interface Guard {
  /** Decides on a request: allowed (with a single-use grant), needs_approval (destructive), or refused; audits all. */
  authorize(request: ActionRequest): Promise<Decision>;
  /** A second, different allowed person approves a pending request within its time limit. */
  approve(request: ApprovalRequest): Promise<Decision>;
  /** Re-checks the precondition, runs the grant's command through `executor` (never on dry-run), checks the result. */
  execute(grant: string, executor: Executor): Promise<ExecutionOutcome>;
}

// A grant is used right after the decision (the confirm was already shown); it should not outlive a short wait.
const GRANT_TTL_MS = 5 * 60_000;
// An approval record is kept an hour past its expiry, so a late approver hears "approval_expired", not "unknown".
const EXPIRED_KEPT_MS = 3_600_000;

/** Creates a guard over one store, one token secret and one set of allow-lists. */
export function createGuard(deps: GuardDeps): Guard {
  const random = deps.random ?? randomBytes;
  const self = deps.self ?? selfScope();
  // Hex: read aloud and typed by a second person (`firewatch act approve ID`), and a valid store record key.
  const newId = (): string => random(10).toString("hex");

  const refuse = async (actor: string, reason: RefusalReason, detail: string, plan?: Partial<Plan>): Promise<Decision> => {
    await auditEvent(deps, actor, "refused", plan, { result: "refused", reason, detail });
    return { kind: "refused", reason, detail };
  };
  // The rate limit counts the runs of this action and host in the window (ranSince: a refused or "world changed"
  // attempt ran nothing and costs nothing): every guard on the store (Slack, each `firewatch act` process) spends one
  // budget, and a restart forgets nothing. Two guards deciding in the same instant may both pass the count: the
  // limit is a brake, not a lock.
  const withinBudget = async (plan: Plan, limit: { max: number; per: number }): Promise<boolean> =>
    (await ranSince(deps.store, plan.action, plan.host, deps.clock.now() - limit.per + 1)) < limit.max;

  const grant = async (plan: Plan, dryRun: boolean, actor: string): Promise<Decision> => {
    const id = newId();
    await deps.store.putRecord(GRANT_NS, id, sealed(deps.tokens, GRANT_NS, id, encodeGrant({ plan, dryRun, expiresAt: deps.clock.now() + GRANT_TTL_MS })), GRANT_TTL_MS);
    await auditEvent(deps, actor, dryRun ? "dry_run_allowed" : "allowed", plan, { result: "allowed", summary: describeCommand(plan.command) });
    return { kind: "allowed", grant: id, plan, dryRun };
  };

  return {
    async authorize(request) {
      const who = request.requester;
      const dryRun = request.dryRun === true;
      // Verified first, redeemed (its single use spent) only after the requester, channel, host and target passed: a
      // user not on the list must not burn a button another person could still use.
      const verdict = deps.tokens.verifyToken(request.token);
      if (!verdict.ok) {
        // A replayed token is genuine (signed, unexpired): name its incident, action and host so `audit --incident`
        // shows the second click. Any other refused token's claims are not to be believed.
        const genuine = verdict.reason === "replayed" ? deps.tokens.verifyToken(request.token) : undefined;
        const about = genuine?.ok ? { incident: genuine.token.incident, host: genuine.token.host, ...(ActionId.safeParse(genuine.token.action).success ? { action: ActionId.parse(genuine.token.action) } : {}) } : undefined;
        return refuse(who.user, verdict.reason, `the action token was refused (${verdict.reason})`, about);
      }
      const t = verdict.token;
      const where = { incident: t.incident, host: t.host };
      const id = ActionId.safeParse(t.action);
      if (!id.success) return refuse(who.user, "unknown_action", `no action named ${JSON.stringify(t.action)}`, where);
      const action = ACTIONS[id.data];
      const policy = deps.config.actions[id.data];
      if (!policy) return refuse(who.user, "action_not_enabled", `${id.data} is not enabled in the guard config`, { ...where, action: id.data });
      // Values in a token came from log lines: validated again here, whoever signed them.
      const params = action.params.safeParse(t.params);
      if (!HostName.safeParse(t.host).success) return refuse(who.user, "invalid_params", `invalid host name ${JSON.stringify(t.host)}`, { incident: t.incident, action: id.data });
      if (!params.success) {
        const detail = params.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
        return refuse(who.user, "invalid_params", `invalid parameters: ${detail}`, { ...where, action: id.data });
      }
      const plan: Plan = {
        incident: t.incident, action: id.data, params: params.data, host: t.host, command: action.command(params.data, t.host),
        // The config may ask a second person for an action that is not destructive by default; never the reverse.
        destructive: action.destructive || policy.destructive === true, requestedBy: who.user, approvedBy: undefined,
      };
      const refusal = checkRequester(policy, who) ?? checkScope(policy, t.host, action.target(params.data));
      if (refusal) return refuse(who.user, refusal, `${who.user} in ${who.channel} may not run ${plan.action} on ${plan.host} (${refusal})`, plan);
      if (dryRun) return grant(plan, true, who.user);
      const redeemed = await deps.tokens.redeemToken(request.token);
      if (!redeemed.ok) return refuse(who.user, redeemed.reason, `the action token was refused (${redeemed.reason})`, plan);
      if (!(await withinBudget(plan, policy.rateLimit))) {
        return refuse(who.user, "rate_limited", `${plan.action} on ${plan.host} already ran ${policy.rateLimit.max} times in the window`, plan);
      }
      if (!plan.destructive) return grant(plan, false, who.user);
      const approvalId = newId();
      const expiresAt = deps.clock.now() + policy.approvalWithin;
      // One pending request per action and target: a second click (or `act`) gets the one already waiting.
      const already = await claimPending(deps.store, deps.tokens, plan, approvalId, policy.approvalWithin, deps.clock.now());
      if (already) {
        await auditEvent(deps, who.user, "approval_pending", already.pending.plan, { result: "needs_approval", approvalId: already.approvalId, expiresAt: already.pending.expiresAt });
        return { kind: "needs_approval", approvalId: already.approvalId, plan: already.pending.plan, expiresAt: already.pending.expiresAt, existing: true };
      }
      // Attached to its incident: resolving the incident closes the request.
      await deps.store.putRecord(APPROVAL_NS, approvalId, sealed(deps.tokens, APPROVAL_NS, approvalId, encodeApproval({ plan, expiresAt })), policy.approvalWithin + EXPIRED_KEPT_MS, { incident: plan.incident });
      await auditEvent(deps, who.user, "approval_requested", plan, { result: "needs_approval", approvalId, expiresAt });
      return { kind: "needs_approval", approvalId, plan, expiresAt, existing: false };
    },

    async approve(request) {
      const who = request.requester;
      const pending = openApproval(deps.tokens, request.approvalId, await deps.store.getRecord(APPROVAL_NS, request.approvalId));
      if (!pending) return refuse(who.user, "unknown_approval", "no pending request with that id (already decided, closed when its incident was resolved, or never made)");
      const { plan } = pending;
      if (deps.clock.now() >= pending.expiresAt) {
        await deps.store.takeRecord(APPROVAL_NS, request.approvalId);
        return refuse(who.user, "approval_expired", `the request by ${plan.requestedBy} expired before a second person approved it`, plan);
      }
      // The approval stays pending after these refusals: the right second person may still come.
      // People, not identity strings: alice in Slack (U012ALICE) and alice at the CLI (cli:alice) are one person.
      if (personOf(deps.config, who.user) === personOf(deps.config, plan.requestedBy)) {
        return refuse(who.user, "same_person", `${who.user} is the same person as ${plan.requestedBy}, who requested this; a second, different person must approve`, plan);
      }
      const policy = deps.config.actions[plan.action];
      if (!policy) return refuse(who.user, "action_not_enabled", `${plan.action} is no longer enabled`, plan);
      const refusal = checkRequester(policy, who);
      if (refusal) return refuse(who.user, refusal, `${who.user} in ${who.channel} may not approve ${plan.action} (${refusal})`, plan);
      if (!(await withinBudget(plan, policy.rateLimit))) {
        return refuse(who.user, "rate_limited", `${plan.action} on ${plan.host} already ran ${policy.rateLimit.max} times in the window`, plan);
      }
      // Taken atomically: of two approvers (two processes) at the same instant, one gets it; the other finds none.
      if (openApproval(deps.tokens, request.approvalId, await deps.store.takeRecord(APPROVAL_NS, request.approvalId)) === undefined) {
        return refuse(who.user, "unknown_approval", "another approver decided this request a moment ago", plan);
      }
      return grant({ ...plan, approvedBy: who.user }, false, who.user);
    },

    async execute(grantId, executor) {
      const raw = await deps.store.takeRecord(GRANT_NS, grantId);
      const g = openGrant(deps.tokens, grantId, raw);
      if (!g || deps.clock.now() >= g.expiresAt) {
        // Said apart in the audit (the actuator's refusals are read there): never made or used, altered, or too late.
        const detail = raw === undefined ? "no such grant (never made, already used, or expired)" : !g ? "the grant's seal does not verify (altered, or written without the secret)" : "the grant expired";
        await auditEvent(deps, "firewatch", "refused", g?.plan, { result: "refused", reason: "unknown_grant", detail, grant: grantId.slice(0, 64) });
        return { status: "refused", reason: "unknown_grant" };
      }
      // The allow-lists again, now: a config reloaded since the decision may no longer allow this host or target.
      const policy = deps.config.actions[g.plan.action];
      const scope = policy ? checkScope(policy, g.plan.host, ACTIONS[g.plan.action].target(g.plan.params)) : "action_not_enabled";
      if (scope) {
        await auditEvent(deps, g.plan.approvedBy ?? g.plan.requestedBy, "refused", g.plan, { result: "refused", reason: "unknown_grant", detail: `the grant is no longer allowed (${scope})` });
        return { status: "refused", reason: "unknown_grant" };
      }
      return executePlan({ ...deps, self }, g.plan, g.dryRun, executor);
    },
  };
}
