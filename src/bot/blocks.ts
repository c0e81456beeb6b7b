// Block Kit for an incident: the post updated in place (header, figures, status, buttons) and its evidence thread.
import type { types } from "@slack/bolt";
import type { Finding } from "../correlate/index.js";
import type { IncidentStatus } from "../incidents/index.js";
import type { Severity } from "../rules/index.js";
import type { StoredIncident } from "../store/index.js";
import { formatDuration, formatIso } from "../time.js";
import { slackSafeIncident } from "./outgoing.js";
import { SLACK_LIMITS, codeBlockMrkdwn, escapeMrkdwn, escapeMrkdwnInline, truncate, truncatePlain } from "./mrkdwn.js";

export type Block = types.KnownBlock;

export interface SlackMessage {
  /** Notification and accessibility text; log text in it is escaped like in the blocks. */
  readonly text: string;
  readonly blocks: Block[];
}

/** The action_id of each button on an incident post; the value of each is the incident id. */
export const ACTION_IDS = {
  acknowledge: "fw_ack",
  resolve: "fw_resolve",
  silence1h: "fw_silence_1h",
  report: "fw_report",
} as const;

const SEVERITY_LABEL: Readonly<Record<Severity, string>> = {
  critical: "🔴 CRITICAL",
  high: "🟠 HIGH",
  medium: "🟡 MEDIUM",
  low: "🟢 LOW",
  info: "ℹ️ INFO",
};

const STATUS_LABEL: Readonly<Record<IncidentStatus, string>> = {
  open: "🔍 Open",
  observed: "👀 Observed",
  acknowledged: "🛠️ Acknowledged",
  resolved: "✅ Resolved",
};

const MAX_FIGURE_CHARS = 120;
// Shown elsewhere in the post (host, service) or noise beside the key figures.
const NOT_A_FIGURE = new Set(["host", "service", "unit"]);
const FIGURE_LABEL: Readonly<Record<string, string>> = { counter: "restart counter", streams: "stream ids", stream: "stream id" };

/** An actor stored as "slack:U123" is shown as a Slack mention (it is ours, not log text); anyone else as text. */
function actor(by: string): string {
  const m = /^slack:([UW][A-Z0-9]{2,20})$/.exec(by);
  return m ? `<@${m[1] ?? ""}>` : escapeMrkdwn(by);
}

const when = (ms: number | undefined) => (ms === undefined ? "unknown" : formatIso(ms));

function mrkdwn(text: string): types.MrkdwnElement {
  return { type: "mrkdwn", text, verbatim: true };
}

function figures(f: Finding): string {
  const parts = Object.entries(f.fields)
    .filter(([k]) => !NOT_A_FIGURE.has(k))
    // A figure is a number or a name; a long value (a path) is cut so every finding keeps its line.
    .map(([k, v]) => `${FIGURE_LABEL[k] ?? k.replaceAll("_", " ")} *${escapeMrkdwnInline(truncatePlain(v, MAX_FIGURE_CHARS))}*`);
  parts.push(`${f.count} event${f.count === 1 ? "" : "s"}`);
  if (f.cadence?.steady) parts.push(`every ~${formatDuration(f.cadence.medianMs)}`);
  return `• \`${f.rule}\` (${f.state}): ${parts.join(" · ")}`;
}

/** Probe results shown on the post; more than this and the report has the rest. */
const MAX_PROBE_LINES = 6;

/** What the probes found (seed 000's "PID 1573680 (node) holds 9003, PPID 1, outside the unit"), one line each. */
function probeLines(s: StoredIncident): string | undefined {
  if (s.probes.length === 0) return undefined;
  const shown = s.probes.slice(0, MAX_PROBE_LINES).map((p) => `${p.ok ? "🔎" : "⚠️"} \`${escapeMrkdwnInline(p.probe)}\` on ${escapeMrkdwnInline(p.host)}: ${escapeMrkdwnInline(truncatePlain(p.summary, 400))}`);
  const more = s.probes.length - shown.length;
  return `*Probes*\n${shown.join("\n")}${more > 0 ? `\n… ${more} more in \`/firewatch report ${s.incident.id}\`` : ""}`;
}

function statusNote(s: StoredIncident): string | undefined {
  if (s.status === "resolved" && s.resolved?.mergedInto !== undefined) return `🔗 Merged into \`${escapeMrkdwnInline(s.resolved.mergedInto)}\` (the same failure) at ${when(s.resolved.at)}: follow it there`;
  if (s.status === "resolved" && s.resolved) return `✅ Resolved ${s.resolved.auto ? "automatically after quiet time" : `by ${actor(s.resolved.by)}`} at ${when(s.resolved.at)}`;
  if (s.status === "acknowledged" && s.acknowledged) return `🛠️ Acknowledged by ${actor(s.acknowledged.by)} at ${when(s.acknowledged.at)}`;
  return undefined;
}

function button(text: string, actionId: string, value: string, style?: "primary" | "danger"): types.Button {
  return {
    type: "button",
    text: { type: "plain_text", text: truncatePlain(text, SLACK_LIMITS.buttonText), emoji: true },
    action_id: actionId,
    value: truncatePlain(value, SLACK_LIMITS.buttonValue),
    ...(style ? { style } : {}),
  };
}

/**
 * The incident post: one message, re-rendered from the stored incident on every update (chat.update replaces it).
 * `extra` (the remediation buttons) goes after the incident's own buttons, as long as the post stays within 50 blocks.
 */
export function incidentMessage(stored: StoredIncident, extra: readonly Block[] = []): SlackMessage {
  const s = slackSafeIncident(stored);
  const i = s.incident;
  const reopened = s.reopenCount > 0 && (s.status === "open" || s.status === "observed");
  const blocks: Block[] = [
    { type: "header", text: { type: "plain_text", text: truncatePlain(`${SEVERITY_LABEL[i.severity]} ${i.title}`, SLACK_LIMITS.headerText), emoji: true } },
  ];
  if (reopened) blocks.push({ type: "context", elements: [mrkdwn(`🔁 *Reopened* (${s.reopenCount} time${s.reopenCount === 1 ? "" : "s"})${s.flapping ? " — flapping" : ""}`)] });
  const field = (label: string, value: string) => mrkdwn(truncate(`*${label}*\n${value}`, SLACK_LIMITS.sectionField));
  blocks.push({
    type: "section",
    fields: [
      field("Severity", SEVERITY_LABEL[i.severity]),
      field("Status", STATUS_LABEL[s.status]),
      field("Host", escapeMrkdwn(i.host ?? "unknown")),
      field("Service", escapeMrkdwn(i.service ?? "unknown")),
      field("First seen", when(i.firstSeen)),
      field("Last seen", when(i.lastSeen)),
    ],
  });
  if (i.findings.length > 0) {
    blocks.push({ type: "section", text: mrkdwn(truncate(`*Key figures*\n${i.findings.map(figures).join("\n")}`, SLACK_LIMITS.sectionText)) });
  }
  const probes = probeLines(s);
  if (probes !== undefined) blocks.push({ type: "section", text: mrkdwn(truncate(probes, SLACK_LIMITS.sectionText)) });
  const note = statusNote(s);
  const context = [`\`${i.id}\``, ...(note ? [note] : []), ...(s.silencedBy ? [`🔕 silenced by \`${escapeMrkdwn(s.silencedBy)}\``] : [])];
  blocks.push({ type: "context", elements: [mrkdwn(truncate(context.join(" · "), SLACK_LIMITS.sectionText))] });
  const buttons: types.Button[] = [];
  if (s.status !== "acknowledged" && s.status !== "resolved") buttons.push(button("Acknowledge", ACTION_IDS.acknowledge, i.id, "primary"));
  if (s.status !== "resolved") buttons.push(button("Resolve", ACTION_IDS.resolve, i.id));
  buttons.push(button("Silence 1h", ACTION_IDS.silence1h, i.id), button("Full report", ACTION_IDS.report, i.id));
  blocks.push({ type: "actions", block_id: `fw_incident_${i.id}`.slice(0, SLACK_LIMITS.blockId), elements: buttons });
  if (blocks.length + extra.length <= SLACK_LIMITS.blocks) blocks.push(...extra);
  // The notification text is mrkdwn too: escaped, and cut without splitting an entity.
  const text = truncate(`${SEVERITY_LABEL[i.severity]} ${STATUS_LABEL[s.status]}: ${escapeMrkdwnInline(i.title)} (${i.id})`, SLACK_LIMITS.messageText);
  return { text, blocks };
}

/**
 * The evidence for the incident's thread: per finding, its first and last lines verbatim in a code block. Long
 * evidence is cut with a note; past Slack's 50 blocks, the findings left out are counted in a last block.
 */
export function evidenceMessage(stored: StoredIncident): SlackMessage {
  const s = slackSafeIncident(stored);
  const i = s.incident;
  const blocks: Block[] = [];
  const room = SLACK_LIMITS.blocks - 1;
  const withEvidence = i.findings.filter((f) => f.evidence.length > 0);
  for (const f of withEvidence) {
    if (blocks.length >= room) break;
    const head = `*Evidence* \`${f.rule}\` — ${f.evidence.length} line${f.evidence.length === 1 ? "" : "s"} kept of ${f.count} event${f.count === 1 ? "" : "s"}\n`;
    const fenced = codeBlockMrkdwn(f.evidence.map((e) => e.text).join("\n"), SLACK_LIMITS.sectionText - head.length);
    blocks.push({ type: "section", text: mrkdwn(head + fenced) });
  }
  const shown = blocks.length;
  if (shown < withEvidence.length) {
    blocks.push({ type: "context", elements: [mrkdwn(`… evidence of ${withEvidence.length - shown} more finding(s) not shown: \`/firewatch report ${i.id}\` has all of it`)] });
  }
  if (blocks.length === 0) blocks.push({ type: "context", elements: [mrkdwn("No evidence lines were kept for this incident.")] });
  return { text: `Evidence for ${i.id}`, blocks };
}

/** The probe results for the incident's thread: every result, one line each, as untrusted text in a code block. */
export function probesMessage(stored: StoredIncident): SlackMessage {
  const s = slackSafeIncident(stored);
  const lines = s.probes.map((p) => `${p.ok ? "ok    " : "FAILED"} ${p.probe} on ${p.host} at ${formatIso(p.at)}: ${p.summary}`);
  const head = `🔎 *Probes* for \`${s.incident.id}\` (read-only)\n`;
  return { text: `Probe results for ${s.incident.id}`, blocks: [{ type: "section", text: mrkdwn(head + codeBlockMrkdwn(lines.join("\n"), SLACK_LIMITS.sectionText - head.length)) }] };
}
