// `/firewatch list|show|report|ack|resolve|silence|jobs|probe|help`: text in, a reply out; bad input gets usage, never a stack.
import type { Logger } from "pino";
import { isFirewatchError } from "../errors.js";
import { renderMarkdown, type ReportProse } from "../report/index.js";
import type { Incident } from "../incidents/index.js";
import { mergeProbeHistory } from "../probes/index.js";
import type { Rule } from "../rules/index.js";
import type { Store, StoredIncident, StoredProbe } from "../store/index.js";
import { formatDuration, formatIso, parseDuration, type Clock } from "../time.js";
import { checkAccess, SUBCOMMANDS, type SlackAccess, type Subcommand } from "./access.js";
import { incidentMessage, probesMessage, type Block } from "./blocks.js";
import { NO_QUEUE_CONFIGURED } from "./jobs-text.js";
import { slackSafe, slackSafeIncident } from "./outgoing.js";
import { codeBlockMrkdwn, escapeMrkdwn, escapeMrkdwnInline, SLACK_LIMITS, truncate } from "./mrkdwn.js";

export interface CommandReply {
  readonly text: string;
  readonly blocks?: Block[];
  /** `report`: the markdown postmortem, uploaded as a file (or posted as a snippet when uploading fails). */
  readonly file?: { readonly filename: string; readonly title: string; readonly content: string };
}

export interface CommandDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly access: SlackAccess;
  /** The rules the report's knowledge comes from (loaded once by the caller). */
  readonly rules: () => Promise<ReadonlyMap<string, Rule>>;
  /**
   * The live job queues as text (e.g. `renderJobsText(await inspectJobs(...))` from src/jobs), for `jobs`; without it
   * `jobs` lists only the stored incidents about failed jobs.
   */
  readonly jobsText?: () => Promise<string>;
  /**
   * Drafts the report's prose with the configured model (issue 8), or says why not; without it the report is the
   * template report. `report` renders whatever comes back: the template stays complete either way.
   */
  readonly draft?: (incident: Incident, rules: ReadonlyMap<string, Rule>) => Promise<{ prose?: ReportProse; note?: string }>;
  /**
   * Runs the incident's probes again now on the configured hosts (src/probes runIncidentProbes), for `probe`; without
   * it `probe` answers PROBES_OFF: the bot was started without firewatch.yaml's hosts.
   */
  readonly probe?: (stored: StoredIncident, rules: ReadonlyMap<string, Rule>) => Promise<readonly StoredProbe[]>;
  /** A person changed this incident (ack, resolve, probe): its post should be updated. */
  readonly onChange?: (incidentId: string) => unknown;
  readonly log?: Logger;
}

export interface Caller {
  readonly userId: string;
  readonly channelId: string;
}

/** Longest silence a slash command may set: a forgotten silence must not hide an incident for months. */
export const MAX_SILENCE_MS = 30 * 86_400_000;
const ID_RE = /^(fw-[0-9a-f]{8}|[0-9a-f]{64})$/;
const RULE_RE = /^[a-z][a-z0-9_]{0,99}$/;
const JOB_RULES = new Set(["stale_job_queue", "job_failure_categories"]);

export const USAGE = [
  "*Usage:* `/firewatch <subcommand>`",
  "• `list` — live incidents (open and acknowledged)",
  "• `show ID` — one incident: figures, status, buttons",
  "• `report ID` — the markdown postmortem, as a file",
  "• `ack ID` / `resolve ID` — acknowledge or resolve an incident",
  "• `silence RULE|ID DURATION` — e.g. `silence eaddrinuse_loop 2h` or `silence fw-1a2b3c4d 30m`",
  "• `jobs` — failed jobs now (the configured queues) and incidents about them",
  "• `probe ID` — run the incident's read-only probes again now; the post and report show the new results",
  "• `help` — this text",
  "IDs look like `fw-1a2b3c4d` (see `list`).",
].join("\n");

/** `probe`'s answer when the bot was given no hosts to probe on. */
export const PROBES_OFF = "Probes need firewatch.yaml's hosts: run `firewatch bot --config firewatch.yaml` or `firewatch watch --config firewatch.yaml`.";

const usage = (problem?: string): CommandReply => ({ text: problem ? `${problem}\n\n${USAGE}` : USAGE });
const isSubcommand = (s: string): s is Subcommand => (SUBCOMMANDS as readonly string[]).includes(s);

function line(s: StoredIncident): string {
  const i = s.incident;
  const where = `${i.host ?? "?"}/${i.service ?? "?"}`;
  return `• \`${i.id}\` ${i.severity.toUpperCase()} ${s.status} — ${escapeMrkdwnInline(i.title)} (${escapeMrkdwnInline(where)}, last seen ${i.lastSeen === undefined ? "?" : formatIso(i.lastSeen)})`;
}

function listReply(title: string, list: readonly StoredIncident[], empty: string): CommandReply {
  if (list.length === 0) return { text: empty };
  const text = truncate(`*${title}* (${list.length})\n${list.map(line).join("\n")}`, SLACK_LIMITS.sectionText, (n) => `\n… (${n} more characters: use \`firewatch incidents list\`)`);
  return { text, blocks: [{ type: "section", text: { type: "mrkdwn", text, verbatim: true } }] };
}

async function findIncident(store: Store, id: string): Promise<StoredIncident | CommandReply> {
  const found = await store.get(id);
  return found ?? { text: `No incident \`${escapeMrkdwn(id)}\` in the store. \`/firewatch list\` shows the live ones.` };
}

const isReply = (v: StoredIncident | CommandReply): v is CommandReply => "text" in v;

async function execute(sub: Subcommand, args: readonly string[], who: Caller, deps: CommandDeps): Promise<CommandReply> {
  const by = `slack:${who.userId}`;
  const needId = (): string | CommandReply => {
    const id = args[0];
    if (args.length !== 1 || id === undefined) return usage(`\`${sub}\` takes one incident id.`);
    return ID_RE.test(id) ? id : usage(`\`${escapeMrkdwn(id)}\` is not an incident id.`);
  };
  switch (sub) {
    case "help":
      return usage();
    case "list":
      if (args.length > 0) return usage("`list` takes no arguments.");
      return listReply("Live incidents", await deps.store.list({ status: ["open", "acknowledged"] }), "No live incidents. 🎉");
    case "jobs": {
      if (args.length > 0) return usage("`jobs` takes no arguments.");
      const all = await deps.store.list({ status: ["open", "acknowledged", "observed"] });
      const jobs = all.filter((s) => s.incident.findings.some((f) => JOB_RULES.has(f.rule)));
      const tables = jobs.flatMap((s) => s.incident.findings.filter((f) => JOB_RULES.has(f.rule) && f.table).map((f) => `\`${s.incident.id}\` ${f.table?.title ?? ""}: ${f.table?.rows.length ?? 0} row(s)`));
      const listed = listReply("Job incidents", jobs, "No incidents about failed jobs.");
      const reply = tables.length === 0 ? listed : { ...listed, text: truncate(`${listed.text}\n${escapeMrkdwn(tables.join("\n"))}`, SLACK_LIMITS.sectionText) };
      const head: Block = { type: "section", text: { type: "mrkdwn", text: truncate(reply.text, SLACK_LIMITS.sectionText), verbatim: true } };
      if (!deps.jobsText) return { text: `${reply.text}\n${NO_QUEUE_CONFIGURED}`, blocks: [head, { type: "context", elements: [{ type: "mrkdwn", text: NO_QUEUE_CONFIGURED }] }] };
      const queues = await deps.jobsText();
      const blocks: Block[] = [head, { type: "section", text: { type: "mrkdwn", text: `*Job queues now*\n${codeBlockMrkdwn(queues, SLACK_LIMITS.sectionText - 20)}`, verbatim: true } }];
      return { text: reply.text, blocks };
    }
    case "show": {
      const id = needId();
      if (typeof id !== "string") return id;
      const found = await findIncident(deps.store, id);
      return isReply(found) ? found : incidentMessage(found);
    }
    case "report": {
      const id = needId();
      if (typeof id !== "string") return id;
      const found = await findIncident(deps.store, id);
      if (isReply(found)) return found;
      const rules = await deps.rules();
      const drafted = deps.draft === undefined ? {} : await deps.draft(found.incident, rules);
      // Rendered from the redacted incident (a cut evidence line cannot keep half a secret), then checked whole.
      const content = renderMarkdown(slackSafeIncident(found).incident, rules, {
        now: deps.clock.now(),
        ...(drafted.prose === undefined ? {} : { prose: drafted.prose }),
        ...(drafted.note === undefined ? {} : { proseNote: drafted.note }),
      });
      return { text: `Incident report for \`${id}\``, file: { filename: `${found.incident.id}.md`, title: `Incident report ${found.incident.id}`, content } };
    }
    case "probe": {
      const id = needId();
      if (typeof id !== "string") return id;
      if (deps.probe === undefined) return { text: `⚠️ ${PROBES_OFF}` };
      const found = await findIncident(deps.store, id);
      if (isReply(found)) return found;
      const results = await deps.probe(found, await deps.rules());
      if (results.length === 0) return { text: `No rule of \`${found.incident.id}\` names a probe: nothing to run.` };
      // Stored like the daemon's own run: the post shows them and the poster threads this set once.
      const saved = await deps.store.setProbes(found.incident.fingerprint, mergeProbeHistory(found.probes, results));
      await deps.onChange?.(saved.incident.id);
      const failed = results.filter((p) => !p.ok).length;
      const head = `${failed === 0 ? "✅" : "❌"} ${results.length} probe(s) run again for \`${saved.incident.id}\` by <@${who.userId}>: ${failed} failed.`;
      return { text: head, blocks: [{ type: "context", elements: [{ type: "mrkdwn", text: head }] }, ...probesMessage(saved).blocks] };
    }
    case "ack":
    case "resolve": {
      const id = needId();
      if (typeof id !== "string") return id;
      const found = await findIncident(deps.store, id);
      if (isReply(found)) return found;
      const done = sub === "ack" ? await deps.store.acknowledge(id, by) : await deps.store.resolve(id, by);
      await deps.onChange?.(done.incident.id);
      return { text: `\`${done.incident.id}\` ${sub === "ack" ? "acknowledged" : "resolved"} by <@${who.userId}>.` };
    }
    case "silence": {
      const [target, duration] = args;
      if (args.length !== 2 || target === undefined || duration === undefined) return usage("`silence` takes a rule id or incident id, and a duration.");
      const ms = parseDuration(duration);
      if (ms === undefined || ms <= 0) return usage(`\`${escapeMrkdwn(duration)}\` is not a duration (try \`30m\`, \`2h\`, \`1d\`).`);
      if (ms > MAX_SILENCE_MS) return usage(`A silence lasts at most ${formatDuration(MAX_SILENCE_MS)}.`);
      let match: { rule?: string; fingerprint?: string };
      if (ID_RE.test(target)) {
        const found = await findIncident(deps.store, target);
        if (isReply(found)) return found;
        match = { fingerprint: found.incident.fingerprint };
      } else if (RULE_RE.test(target)) {
        const rules = await deps.rules();
        if (!rules.has(target)) return usage(`No rule \`${escapeMrkdwn(target)}\` is loaded.`);
        match = { rule: target };
      } else return usage(`\`${escapeMrkdwn(target)}\` is neither a rule id nor an incident id.`);
      const s = await deps.store.addSilence({ match, by, durationMs: ms, reason: "from Slack /firewatch silence" });
      return { text: `🔕 Silenced ${match.rule ? `rule \`${match.rule}\`` : `\`${target}\``} until ${formatIso(s.expiresAt)} (\`${s.id}\`).` };
    }
  }
}

/** Runs one `/firewatch` text for a caller. Never throws: store failures become one sentence, bugs a logged apology. */
export async function runCommand(text: string, who: Caller, deps: CommandDeps): Promise<CommandReply> {
  const [first, ...args] = text.trim().split(/\s+/).filter(Boolean);
  const name = (first ?? "help").toLowerCase();
  if (!isSubcommand(name)) return usage(`Unknown subcommand \`${escapeMrkdwn(truncate(name, 50, () => "…"))}\`.`);
  const refused = checkAccess(deps.access, name, who);
  if (refused !== undefined) return { text: `⛔ ${refused}` };
  try {
    // Replies leave the host: log text in them (titles, evidence, job tables, the report) is redacted.
    return slackSafe(await execute(name, args, who, deps));
  } catch (e) {
    if (isFirewatchError(e)) return { text: `⚠️ ${escapeMrkdwn(e.message.split("\n")[0] ?? e.code)}` };
    deps.log?.error({ err: e, stage: "slash_command", subcommand: name }, "A /firewatch command failed.");
    return { text: "⚠️ Something went wrong on firewatch's side; it is logged. Try again, or use the CLI." };
  }
}
