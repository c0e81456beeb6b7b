// Block Kit for remediation: a Run and a Dry run button per offered action (signed token, confirm dialog), approvals, results.
import type { types } from "@slack/bolt";
import { ACTIONS, describeCommand, type ActionCommand, type ActionId, type ExecutionOutcome, type Plan } from "../actions/index.js";
import type { StoredIncident } from "../store/index.js";
import { formatDuration, formatIso } from "../time.js";
import type { Block, SlackMessage } from "./blocks.js";
import { escapeMrkdwnInline, SLACK_LIMITS, truncate, truncatePlain } from "./mrkdwn.js";

/** What the bot needs of an offered remediation (the shape of src/actions/offers.ts's ActionOffer). */
export interface RemediationOffer {
  readonly action: ActionId;
  readonly host: string;
  readonly params: Readonly<Record<string, string>>;
  /** Button text, e.g. "Kill PID 1573680 holding :9003". */
  readonly label: string;
  /** Why it is offered, from the probe (log and process text: escaped here). */
  readonly why: string;
}

/** An offer whose action cannot run on its host with firewatch's rights there: shown without a button, with why. */
export interface NotOffered {
  readonly offer: RemediationOffer;
  readonly why: string;
  /** What to grant so it can (a command or a docs pointer). */
  readonly grant?: string;
}

/** action_id prefixes of the remediation buttons; the value of Run and Dry run is the signed token. */
export const REMEDIATION_IDS = { run: "fw_act", dryRun: "fw_dry", approve: "fw_approve", deny: "fw_deny" } as const;
/** Offers shown on one post: each takes two blocks, and the post must stay far below Slack's 50. */
export const MAX_OFFERS = 5;
/** Slack's confirm dialog: title 100, text 300, buttons 30 characters. */
const CONFIRM = { title: 100, text: 300, button: 30 } as const;

const mrkdwn = (text: string): types.MrkdwnElement => ({ type: "mrkdwn", text, verbatim: true });
const plain = (text: string, max: number): types.PlainTextElement => ({ type: "plain_text", text: truncatePlain(text, max), emoji: true });
/** A command or other firewatch-built text shown inline: still escaped, its values came from logs. */
const code = (text: string) => `\`${escapeMrkdwnInline(text)}\``;

/** The command an offer would run, as people read it; undefined when its parameters do not validate (no button then). */
export function offerCommand(offer: RemediationOffer): { readonly command: ActionCommand; readonly destructive: boolean; readonly then: string | undefined } | undefined {
  const def = ACTIONS[offer.action];
  const params = def.params.safeParse(offer.params);
  if (!params.success) return undefined;
  // kill_port_owner's second step is part of what the click allows: the dialog says so.
  const esc = def.escalation;
  const then = esc ? `then ${describeCommand(esc.command(params.data, offer.host))} after ${formatDuration(esc.afterMs)} if the same PID still holds the port` : undefined;
  return { command: def.command(params.data, offer.host), destructive: def.destructive, then };
}

/** The block_id of an offer's buttons: names the incident, so a refused click can refresh the right post. */
export const remediationBlockId = (incidentId: string, n: number) => `fw_remediate_${incidentId}_${n}`.slice(0, SLACK_LIMITS.blockId);
/** The incident id in a remediation block_id, if it is one. */
export function incidentOfBlock(blockId: string | undefined): string | undefined {
  return /^fw_remediate_(fw-[0-9a-f]{8}|[0-9a-f]{64})_\d+$/.exec(blockId ?? "")?.[1];
}

function confirmDialog(offer: RemediationOffer, command: string, then: string | undefined, destructive: boolean): types.ConfirmationDialog {
  const head = `Runs ${code(command)} on *${escapeMrkdwnInline(offer.host)}*${then ? ` (${escapeMrkdwnInline(then)})` : ""}.${destructive ? " A second person must approve before it runs." : ""}`;
  return {
    title: plain(`Run ${offer.action}?`, CONFIRM.title),
    text: mrkdwn(truncate(`${head}\n${escapeMrkdwnInline(offer.why)}`, CONFIRM.text, () => "…")),
    confirm: plain(destructive ? "Request" : "Run", CONFIRM.button),
    deny: plain("Cancel", CONFIRM.button),
    style: "danger",
  };
}

/**
 * The remediation part of an incident post: per offer, a section (label, exact command, host, why) and its buttons.
 * `tokenFor` signs the offer (a fresh or still-fresh token); an offer whose parameters do not validate is left out.
 */
export function remediationBlocks(s: StoredIncident, offers: readonly RemediationOffer[], tokenFor: (offer: RemediationOffer) => string, notOffered: readonly NotOffered[] = []): Block[] {
  if (s.status === "resolved") return [];
  const blocks: Block[] = [];
  // Said, not hidden: the on-call engineer learns the fix exists and what firewatch lacks to run it there.
  for (const n of notOffered.slice(0, MAX_OFFERS)) {
    const shape = offerCommand(n.offer);
    const cmd = shape ? ` ${code(describeCommand(shape.command))}` : "";
    const text = `🚫 *${escapeMrkdwnInline(n.offer.label)}*: not offered, firewatch cannot run${cmd} on *${escapeMrkdwnInline(n.offer.host)}*: ${escapeMrkdwnInline(n.why)}${n.grant === undefined ? "" : `\nTo allow it: ${escapeMrkdwnInline(n.grant)}`}`;
    blocks.push({ type: "section", text: mrkdwn(truncate(text, SLACK_LIMITS.sectionText)) });
  }
  let n = 0;
  for (const offer of offers) {
    if (n >= MAX_OFFERS) break;
    const shape = offerCommand(offer);
    if (!shape) continue;
    const command = describeCommand(shape.command);
    const token = tokenFor(offer);
    const text = `🛠️ *${escapeMrkdwnInline(offer.label)}*\n${code(command)} on *${escapeMrkdwnInline(offer.host)}*${shape.destructive ? " · needs a second person's approval" : ""}\n${escapeMrkdwnInline(offer.why)}`;
    blocks.push({ type: "section", text: mrkdwn(truncate(text, SLACK_LIMITS.sectionText)) });
    blocks.push({
      type: "actions",
      block_id: remediationBlockId(s.incident.id, n),
      elements: [
        { type: "button", text: plain(offer.label, SLACK_LIMITS.buttonText), action_id: `${REMEDIATION_IDS.run}:${n}`, value: token, style: "danger", confirm: confirmDialog(offer, command, shape.then, shape.destructive) },
        { type: "button", text: plain("Dry run", SLACK_LIMITS.buttonText), action_id: `${REMEDIATION_IDS.dryRun}:${n}`, value: token },
      ],
    });
    n += 1;
  }
  return blocks;
}

/** A Slack user id as a mention; anything else (a CLI user name) as escaped text. */
export const mention = (user: string) => (/^[UW][A-Z0-9]{2,20}$/.test(user) ? `<@${user}>` : escapeMrkdwnInline(user));
const who = mention;
const what = (plan: Plan) => `${code(describeCommand(plan.command))} on *${escapeMrkdwnInline(plan.host)}*`;

/** The thread message asking a second person to approve; its buttons carry the approval id (looked up, never trusted). */
export function approvalRequestMessage(plan: Plan, approvalId: string, expiresAt: number, now: number): SlackMessage {
  const text = `🔐 ${who(plan.requestedBy)} requests ${what(plan)} (\`${plan.action}\`, incident \`${escapeMrkdwnInline(plan.incident)}\`); a second person must approve within ${formatDuration(Math.max(0, expiresAt - now))} (until ${formatIso(expiresAt)}).`;
  return {
    text: truncate(text, SLACK_LIMITS.messageText),
    blocks: [
      { type: "section", text: mrkdwn(truncate(text, SLACK_LIMITS.sectionText)) },
      {
        type: "actions",
        block_id: `fw_approval_${approvalId}`.slice(0, SLACK_LIMITS.blockId),
        elements: [
          {
            type: "button", text: plain("Approve", SLACK_LIMITS.buttonText), action_id: REMEDIATION_IDS.approve, value: approvalId, style: "danger",
            confirm: { title: plain("Approve and run?", CONFIRM.title), text: mrkdwn(truncate(`Runs ${what(plan)} now.`, CONFIRM.text, () => "…")), confirm: plain("Approve", CONFIRM.button), deny: plain("Cancel", CONFIRM.button), style: "danger" },
          },
          { type: "button", text: plain("Deny", SLACK_LIMITS.buttonText), action_id: REMEDIATION_IDS.deny, value: approvalId },
        ],
      },
    ],
  };
}

/** The approval message once decided: buttons gone, what happened (`decision` is trusted mrkdwn). */
export function approvalDecidedMessage(action: string, decision: string): SlackMessage {
  const text = `🔐 Request to run \`${escapeMrkdwnInline(action)}\`: ${decision}`;
  return { text: truncate(text, SLACK_LIMITS.messageText), blocks: [{ type: "section", text: mrkdwn(truncate(text, SLACK_LIMITS.sectionText)) }] };
}

/** "▶️ running" before the command runs, so the thread shows who started what even if the process dies meanwhile. */
export function runningMessage(plan: Plan): SlackMessage {
  const approved = plan.approvedBy ? `, approved by ${who(plan.approvedBy)}` : "";
  const text = `▶️ ${who(plan.requestedBy)} runs ${what(plan)}${approved}…`;
  return { text: truncate(text, SLACK_LIMITS.messageText), blocks: [{ type: "section", text: mrkdwn(truncate(text, SLACK_LIMITS.sectionText)) }] };
}

/** The result of an executed grant, for the thread (or, for a dry run, for the clicker alone). */
export function outcomeMessage(outcome: ExecutionOutcome, output: readonly string[]): SlackMessage {
  const ran = output.length > 0 ? `\nCommand output: ${output.map((o) => code(o)).join(" → ")}` : "";
  let text: string;
  switch (outcome.status) {
    case "dry_run":
      text = `🔍 *Dry run*: would run ${what(outcome.plan)}; nothing was run.\nPrecondition now: ${outcome.precondition.ok ? "✅" : "❌"} ${escapeMrkdwnInline(outcome.precondition.observed)}`;
      break;
    case "world_changed":
      text = `⏸️ *Not run*: the world changed since the button was made.\n${escapeMrkdwnInline(outcome.precondition.observed)}`;
      break;
    case "failed":
      text = `❌ *Failed*: ${what(outcome.plan)}\n${escapeMrkdwnInline(outcome.detail)}`;
      break;
    case "done":
      text = `✅ *Done*: ${what(outcome.plan)}\nPostcondition: ${escapeMrkdwnInline(outcome.postcondition.observed)}${ran}`;
      break;
    case "unverified":
      text = `⚠️ *Ran, but the check failed*: ${what(outcome.plan)}\nPostcondition: ${escapeMrkdwnInline(outcome.postcondition.observed)}${ran}`;
      break;
    case "refused":
      text = "⛔ *Not run*: this approval was already used or has expired.";
      break;
  }
  return { text: truncate(text, SLACK_LIMITS.messageText), blocks: [{ type: "section", text: mrkdwn(truncate(text, SLACK_LIMITS.sectionText)) }] };
}
