// What a postmortem opens with (first failing line, detected, acknowledged, fixed, resolved, and the times between)
// and the "Remediation" section (who asked, who approved, the exact argv, host, output, postcondition, times),
// from the stored incident's lifecycle and the guard's audit entries. Live incidents only: `analyze` has neither.
import { formatDuration } from "../time.js";
import type { Incident } from "../incidents/index.js";
import type { AuditEntry, StoredIncident } from "../store/index.js";
import type { TimeFormat } from "./clock-format.js";
import { codeBlock, escapeCell, escapeInline } from "./escape.js";

/** The parts of a stored incident the postmortem reads. */
export type Lifecycle = Pick<StoredIncident, "createdAt" | "acknowledged" | "resolved" | "history">;

/** How an action ended, in the audit's words, as the section shows it. */
const ENDED: Readonly<Record<string, string>> = {
  "action.done": "✅ done: the postcondition holds",
  "action.unverified": "⚠️ ran, but the postcondition does not hold",
  "action.failed": "❌ failed",
  "action.world_changed": "⏸️ not run: the precondition no longer held",
};

const str = (e: AuditEntry, k: string): string | undefined => {
  const v = e.details[k];
  return typeof v === "string" && v !== "" ? v : undefined;
};

/** The argv as it ran, from the audit's JSON array ("kill -TERM 4242"); the raw text when it is not one. */
function argvText(e: AuditEntry): string | undefined {
  const raw = str(e, "command");
  if (raw === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(raw);
    if (Array.isArray(parsed) && parsed.every((a) => typeof a === "string")) return parsed.join(" ");
  } catch {
    // Not JSON: shown as it was written.
  }
  return raw;
}

/** One execution of an action and the entries that led to it (the request, the approval). */
interface Execution {
  readonly ended: AuditEntry;
  readonly requested: AuditEntry | undefined;
  readonly allowed: AuditEntry | undefined;
}

/** The executions of the incident's actions, oldest first, each with the request and approval of the same command. */
function executions(audit: readonly AuditEntry[]): Execution[] {
  const sorted = [...audit].sort((a, b) => a.at - b.at);
  const out: Execution[] = [];
  for (const [i, e] of sorted.entries()) {
    if (!(e.action in ENDED)) continue;
    const same = (x: AuditEntry) => str(x, "action") === str(e, "action") && str(x, "host") === str(e, "host") && str(x, "command") === str(e, "command");
    const before = sorted.slice(0, i).filter(same);
    const allowed = before.filter((x) => x.action === "action.allowed").at(-1);
    const requested = before.filter((x) => x.action === "action.approval_requested" && (allowed === undefined || x.at <= allowed.at)).at(-1);
    out.push({ ended: e, requested, allowed });
  }
  return out;
}

/** The first moment the fix held: the earliest execution whose postcondition passed. */
function fixedAt(audit: readonly AuditEntry[]): number | undefined {
  return audit.filter((e) => e.action === "action.done").reduce<number | undefined>((t, e) => (t === undefined || e.at < t ? e.at : t), undefined);
}

/** "Remediation": each action run for this incident, and requests still waiting; undefined when there was none. */
export function renderRemediation(audit: readonly AuditEntry[], fmt: TimeFormat): string | undefined {
  const runs = executions(audit);
  const ran = new Set(runs.flatMap((r) => (r.requested ? [r.requested.id] : [])));
  const waiting = audit.filter((e) => e.action === "action.approval_requested" && !ran.has(e.id));
  if (runs.length === 0 && waiting.length === 0) return undefined;
  const parts: string[] = [];
  for (const [n, r] of runs.entries()) {
    const e = r.ended;
    const requester = str(e, "requestedBy") ?? r.requested?.actor ?? r.allowed?.actor;
    const approver = str(e, "approvedBy");
    const rows: [string, string][] = [
      ["Requested by", requester === undefined ? "unknown" : `${escapeCell(requester)}${r.requested ? ` at ${fmt.stamp(r.requested.at)}` : ""}`],
      ["Approved by", approver === undefined ? "no second person (not a destructive action)" : `${escapeCell(approver)}${r.allowed ? ` at ${fmt.stamp(r.allowed.at)}` : ""}`],
      ["Host", escapeCell(str(e, "host") ?? "unknown")],
      ["Command", argvText(e) === undefined ? "unknown" : `\`${escapeCell(argvText(e) ?? "").replaceAll("`", "'")}\``],
      ["Ran", `${fmt.stamp(e.at)} by ${escapeCell(e.actor)}`],
      ["Result", ENDED[e.action] ?? e.action],
    ];
    const post = str(e, "postcondition") ?? str(e, "precondition");
    if (post !== undefined) rows.push([e.action === "action.world_changed" ? "Precondition" : "Postcondition", escapeCell(post)]);
    const detail = str(e, "detail");
    if (detail !== undefined) rows.push(["Detail", escapeCell(detail)]);
    const table = ["| | |", "|---|---|", ...rows.map(([k, v]) => `| **${k}** | ${v} |`)].join("\n");
    const output = str(e, "output");
    parts.push(`### ${n + 1}. ${escapeInline(str(e, "action") ?? "action")} on ${escapeInline(str(e, "host") ?? "unknown")}\n\n${table}${output === undefined ? "" : `\n\n**Output:**\n${codeBlock(output)}`}`);
  }
  if (waiting.length > 0) {
    const lines = waiting.map((e) => `- ${escapeInline(str(e, "action") ?? "action")} on ${escapeInline(str(e, "host") ?? "unknown")} (\`${escapeInline(argvText(e) ?? "?").replaceAll("`", "'")}\`), requested by ${escapeInline(e.actor)} at ${fmt.stamp(e.at)}: not run`);
    parts.push(`**Requested, not run:**\n${lines.join("\n")}`);
  }
  return parts.join("\n\n");
}

/** "Key Figures": the moments a postmortem opens with and the times between them; every value from the store or the lines. */
export function renderKeyFigures(incident: Incident, life: Lifecycle, audit: readonly AuditEntry[], fmt: TimeFormat, now: number): string {
  const first = incident.firstSeen;
  const acked = life.acknowledged?.at ?? life.history.find((h) => h.event === "acknowledged")?.at;
  const fixed = fixedAt(audit);
  const resolved = life.resolved?.at;
  const between = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined || b < a ? "unknown" : formatDuration(b - a));
  const who = (by: string | undefined) => (by === undefined ? "" : ` by ${escapeCell(by)}`);
  // Down: from the first failing line to the fix that held, else to the resolution, else still.
  const upAgain = fixed ?? resolved;
  const down = first === undefined ? "unknown" : upAgain === undefined ? `${formatDuration(Math.max(0, now - first))} so far` : between(first, upAgain);
  const rows: [string, string][] = [
    ["First failing line", fmt.stamp(first)],
    ["Detected", `${fmt.stamp(life.createdAt)} (time to detect: ${between(first, life.createdAt)})`],
    ["Acknowledged", acked === undefined ? "not acknowledged" : `${fmt.stamp(acked)}${who(life.acknowledged?.by)} (time to acknowledge: ${between(life.createdAt, acked)})`],
    ["Fixed", fixed === undefined ? "no remediation ran" : `${fmt.stamp(fixed)} (see Remediation)`],
    ["Resolved", resolved === undefined ? "not resolved" : `${fmt.stamp(resolved)}${life.resolved?.mergedInto !== undefined ? ` (merged into ${escapeCell(life.resolved.mergedInto)}, the same failure)` : who(life.resolved?.auto === true ? "auto-resolve (quiet)" : life.resolved?.by)} (time to resolve: ${between(life.createdAt, resolved)})`],
    ["Service down", down],
  ];
  return ["| | |", "|---|---|", ...rows.map(([k, v]) => `| **${k}** | ${v} |`)].join("\n");
}
