// Remediation clicks: Run / Dry run on a post, Approve / Deny in its thread; every decision is the guard's, results go in the thread.
import type { App, RespondFn, webApi } from "@slack/bolt";
import type { Logger } from "pino";
import { z } from "zod";
import { APPROVAL_NS, checkRequester, decodeApproval, settleFix, type ActionReadiness, type Decision, type Executor, type GuardConfig, type Guard, type Requester, type SelfScope, type TokenService } from "../actions/index.js";
import type { Store } from "../store/index.js";
import type { Clock } from "../time.js";
import {
  approvalDecidedMessage,
  approvalRequestMessage,
  incidentOfBlock,
  mention,
  outcomeMessage,
  REMEDIATION_IDS,
  runningMessage,
} from "./action-blocks.js";
import type { SlackMessage } from "./blocks.js";
import { slackSafe } from "./outgoing.js";
import { escapeMrkdwnInline, SLACK_LIMITS } from "./mrkdwn.js";
import { classifySlackError } from "./slack-errors.js";
import type { TokenShelf } from "./token-shelf.js";

/** What `startSlack` gets to offer remediation: the guard and what it runs with. */
export interface SlackGuard {
  readonly guard: Guard;
  readonly tokens: TokenService;
  readonly executor: Executor;
  readonly config: GuardConfig;
  /** firewatch itself: never offered a kill of its own process, children or ports (default: this process). */
  readonly self?: SelfScope;
  /** Whether each enabled action can run on a host (createGuardKit's readiness): a button is not offered where not. */
  readonly readiness?: (host: string) => Promise<readonly ActionReadiness[] | undefined>;
}

export interface RemediationDeps {
  readonly guard: SlackGuard;
  readonly store: Store;
  readonly clock: Clock;
  readonly log: Logger;
  readonly shelf: TokenShelf;
  /** The user groups (of those the guard names) a Slack user is in. */
  readonly groupsOf: (userId: string) => Promise<readonly string[]>;
  /** The incident's post must be re-rendered now (a token was used, the incident resolved). */
  readonly refresh: (incidentId: string) => void;
}

/** Audit action of a denied approval request (the pending approval is taken from the store); Approve names the denier. */
export const DENIED_ACTION = "action.denied";

// A click is input: only the fields used, parsed. The user and channel are the identity Slack signed for us.
const ClickPayload = z.object({
  user: z.object({ id: z.string().min(1) }),
  channel: z.object({ id: z.string() }).optional(),
  container: z.object({ channel_id: z.string().optional(), message_ts: z.string().optional() }).loose().optional(),
  actions: z.array(z.object({ action_id: z.string(), block_id: z.string().optional(), value: z.string().max(SLACK_LIMITS.buttonValue) })).min(1),
});

interface Click {
  readonly userId: string;
  readonly channelId: string;
  readonly messageTs: string | undefined;
  readonly blockId: string | undefined;
  readonly value: string;
}

function parseClick(body: unknown): Click | undefined {
  const p = ClickPayload.safeParse(body);
  const action = p.success ? p.data.actions[0] : undefined;
  if (!p.success || !action) return undefined;
  return {
    userId: p.data.user.id,
    channelId: p.data.channel?.id ?? p.data.container?.channel_id ?? "",
    messageTs: p.data.container?.message_ts,
    blockId: action.block_id,
    value: action.value,
  };
}

const HINT: Partial<Record<string, string>> = {
  expired: "The button had expired; the post now carries a fresh one.",
  replayed: "That button was already used; the post now carries a fresh one.",
  same_person: "Someone else must approve your own request.",
  approval_expired: "Nobody approved in time; request it again from the post.",
};

function refusal(d: Extract<Decision, { kind: "refused" }>): string {
  return `⛔ Not run (${d.reason}): ${escapeMrkdwnInline(d.detail)}${HINT[d.reason] ? `\n${HINT[d.reason] ?? ""}` : ""}`;
}

/** Registers the remediation buttons' handlers on the app. */
export function registerRemediation(app: App, deps: RemediationDeps): void {
  const { guard, executor, config } = deps.guard;
  const log = deps.log.child({ component: "bot", stage: "remediation" });

  const requester = async (c: Click): Promise<Requester> => ({ user: c.userId, groups: await deps.groupsOf(c.userId), channel: c.channelId });
  const ephemeral = (respond: RespondFn, m: SlackMessage | string) =>
    respond(slackSafe({ response_type: "ephemeral", replace_original: false, ...(typeof m === "string" ? { text: m } : { text: m.text, blocks: m.blocks }) }));

  /** The incident's thread, or the channel of the click when the incident has no post. */
  async function threadOf(incidentId: string, channel: string): Promise<{ channel: string; thread_ts?: string }> {
    const s = await deps.store.get(incidentId);
    return s?.slack ? { channel: s.slack.channel, thread_ts: s.slack.ts } : { channel };
  }
  async function say(client: webApi.WebClient, where: { channel: string; thread_ts?: string }, m: SlackMessage): Promise<string | undefined> {
    try {
      return (await client.chat.postMessage({ ...where, ...slackSafe({ text: m.text, blocks: m.blocks }), unfurl_links: false, unfurl_media: false })).ts;
    } catch (e) {
      log.warn({ errorType: classifySlackError(e).kind, channel: where.channel }, "Could not post in the incident's thread; the audit log still has the outcome.");
      return undefined;
    }
  }
  async function edit(client: webApi.WebClient, channel: string, ts: string | undefined, m: SlackMessage): Promise<void> {
    if (ts === undefined) return;
    await client.chat.update({ channel, ts, ...slackSafe({ text: m.text, blocks: m.blocks }) }).catch((e: unknown) => {
      log.warn({ errorType: classifySlackError(e).kind, channel }, "Could not update the approval message.");
    });
  }

  /** Runs an allowed grant: the thread says who runs what, then the result; a passed postcondition resolves the incident. */
  async function runGrant(d: Extract<Decision, { kind: "allowed" }>, c: Click, client: webApi.WebClient, respond: RespondFn): Promise<void> {
    if (d.dryRun) return void (await ephemeral(respond, outcomeMessage(await guard.execute(d.grant, executor), [])));
    const plan = d.plan;
    const where = await threadOf(plan.incident, c.channelId);
    await say(client, where, runningMessage(plan));
    const output: string[] = [];
    // What the executor said (exit status, "removed 20"), shown beside the postcondition.
    const recording: Executor = async (command) => {
      const r = await executor(command);
      output.push(r.detail);
      return r;
    };
    const outcome = await guard.execute(d.grant, recording);
    await say(client, where, outcomeMessage(outcome, output));
    if (outcome.status === "done") {
      const by = `slack:${plan.approvedBy ?? plan.requestedBy}`;
      // Resolved only when nothing else of the incident still fires (issue 14); otherwise the audit says what does.
      await settleFix({ store: deps.store, clock: deps.clock }, plan, outcome.postcondition.observed, by);
    }
    deps.refresh(plan.incident);
    await ephemeral(respond, `${outcome.status === "done" ? "✅" : "ℹ️"} ${outcome.status.replace("_", " ")}: the result is in the incident's thread.`);
  }

  /** Wraps a handler: ack at once, parse the click, and never let an error reach Bolt (the user gets one sentence). */
  const handler = (fn: (c: Click, client: webApi.WebClient, respond: RespondFn) => Promise<void>) =>
    async ({ body, ack, respond, client }: { body: unknown; ack: () => Promise<void>; respond: RespondFn; client: webApi.WebClient }) => {
      await ack();
      const c = parseClick(body);
      if (!c) return void (await ephemeral(respond, "⚠️ That button's payload was not understood; nothing was run."));
      try {
        await fn(c, client, respond);
      } catch (e) {
        log.error({ err: e, userId: c.userId }, "A remediation click failed; see the audit log for what the guard decided.");
        await ephemeral(respond, "⚠️ Something went wrong on firewatch's side; it is logged and audited. Nothing more will run from this click.").catch(() => undefined);
      }
    };

  const runOrDry = (dryRun: boolean) =>
    handler(async (c, client, respond) => {
      const decision = await guard.authorize({ token: c.value, requester: await requester(c), dryRun });
      const incident = incidentOfBlock(c.blockId);
      // Used up (or spoiled: replayed, expired, altered): the post gets a fresh button at once. A refusal of the person
      // (not on the list, wrong channel, host or target) left the token unspent: no post update for it.
      const personal = decision.kind === "refused" && ["user_not_allowed", "channel_not_allowed", "host_not_allowed", "target_not_allowed"].includes(decision.reason);
      if (!dryRun && !personal) {
        deps.shelf.forget(c.value);
        if (incident !== undefined) deps.refresh(incident);
      }
      if (decision.kind === "refused") return void (await ephemeral(respond, refusal(decision)));
      if (decision.kind === "allowed") return runGrant(decision, c, client, respond);
      // The same action and target is already waiting: point at that request, do not post a second one.
      if (decision.existing) return void (await ephemeral(respond, `🔐 Already waiting for a second person: requested by ${mention(decision.plan.requestedBy)}; approve it in the incident's thread.`));
      const where = await threadOf(decision.plan.incident, c.channelId);
      const ts = await say(client, where, approvalRequestMessage(decision.plan, decision.approvalId, decision.expiresAt, deps.clock.now()));
      await ephemeral(respond, ts ? "🔐 A second person must approve; the request is in the incident's thread." : "🔐 A second person must approve, but the request could not be posted; it is in the audit log.");
    });

  app.action(new RegExp(`^${REMEDIATION_IDS.run}:\\d+$`), runOrDry(false));
  app.action(new RegExp(`^${REMEDIATION_IDS.dryRun}:\\d+$`), runOrDry(true));

  app.action(
    REMEDIATION_IDS.approve,
    handler(async (c, client, respond) => {
      const denied = (await deps.store.listAudit({ action: DENIED_ACTION })).find((a) => a.details["approvalId"] === c.value);
      if (denied) return void (await ephemeral(respond, `⛔ Not run: this request was denied by ${mention(denied.actor)}.`));
      const decision = await guard.approve({ approvalId: c.value, requester: await requester(c) });
      if (decision.kind === "refused") {
        if (decision.reason === "approval_expired") await edit(client, c.channelId, c.messageTs, approvalDecidedMessage("remediation", "expired before a second person approved it; nothing was run"));
        return void (await ephemeral(respond, refusal(decision)));
      }
      if (decision.kind !== "allowed") return;
      await edit(client, c.channelId, c.messageTs, approvalDecidedMessage(decision.plan.action, `requested by ${mention(decision.plan.requestedBy)}, approved by ${mention(c.userId)}`));
      await runGrant(decision, c, client, respond);
    }),
  );

  app.action(
    REMEDIATION_IDS.deny,
    handler(async (c, client, respond) => {
      const pending = decodeApproval(await deps.store.getRecord(APPROVAL_NS, c.value));
      if (!pending) return void (await ephemeral(respond, "This request was already approved, denied or has expired; nothing to deny."));
      const plan = pending.plan;
      const policy = config.actions[plan.action];
      // The requester may withdraw; anyone else must be allowed to approve this action to deny it.
      const refused = plan.requestedBy === c.userId ? undefined : policy ? checkRequester(policy, await requester(c)) : "action_not_enabled";
      if (refused) return void (await ephemeral(respond, `⛔ You may not deny this request (${refused}).`));
      // Taken once: of a Deny and an Approve at the same moment (even in two processes), exactly one wins.
      if ((await deps.store.takeRecord(APPROVAL_NS, c.value)) === undefined) return void (await ephemeral(respond, "Too late: this request was just approved or denied."));
      await deps.store.appendAudit({ at: deps.clock.now(), actor: c.userId, action: DENIED_ACTION, target: plan.incident, details: { approvalId: c.value, action: plan.action, host: plan.host, requestedBy: plan.requestedBy } });
      await edit(client, c.channelId, c.messageTs, approvalDecidedMessage(plan.action, `requested by ${mention(plan.requestedBy)}, denied by ${mention(c.userId)}; nothing was run`));
      await ephemeral(respond, "Denied; nothing was run.");
    }),
  );
}
