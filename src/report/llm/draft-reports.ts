// Drafts the prose of a run's reports (firewatch analyze --llm, and the Slack report command): bounded calls, one line per outcome.
import type { Incident } from "../../incidents/index.js";
import type { Rule } from "../../rules/index.js";
import type { ReportProse } from "../markdown-prose.js";
import { LlmConfigSchema, readLlmConfig } from "./config.js";
import { describeUsage, draftProse, formatPrompt } from "./draft.js";

/** A model's draft for one incident's report (renderMarkdown's `prose`), or the one line saying why there is none (`proseNote`). */
export interface IncidentProse {
  readonly prose?: ReportProse;
  readonly note?: string;
}

/** Each incident is one request: a run over a large log is bounded in calls (and cost) too. */
export const MAX_DRAFTED_REPORTS = 10;

/** Used by --show-prompt when no model is configured: the prompt is built with the default budget, nothing is sent. */
const PROMPT_ONLY = LlmConfigSchema.parse({ model: "(not configured)", apiKey: "-" });

export interface DraftReportsOptions {
  /** Send the prompts (--llm); without it they are only built, for showPrompt. */
  readonly llm: boolean;
  /** Write each redacted prompt to `err` (--show-prompt). */
  readonly showPrompt: boolean;
  /** Write tokens, cost and dropped sentences to `err` (--debug). */
  readonly debug: boolean;
  readonly env: NodeJS.ProcessEnv;
  readonly timeZone?: string;
}

export interface DraftReportsIo {
  /** Where the lines for the operator go (the CLI's stderr); each ends with a newline. */
  readonly err: (line: string) => void;
  readonly now: () => number;
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly signal?: AbortSignal;
}

/** Drafts each incident's prose, or says in one line (to `err` and in the report) why not; never throws for a model failure. */
export async function draftReports(
  incidents: readonly Incident[],
  rules: ReadonlyMap<string, Rule>,
  opts: DraftReportsOptions,
  io: DraftReportsIo,
): Promise<Map<string, IncidentProse>> {
  const out = new Map<string, IncidentProse>();
  const read = readLlmConfig(opts.env);
  if (opts.llm && read.config === undefined) {
    io.err(`firewatch: --llm: report prose from templates: ${read.reason}\n`);
    for (const i of incidents) out.set(i.id, { note: `the model was not used: ${read.reason}` });
    if (!opts.showPrompt) return out;
  }
  const config = read.config ?? PROMPT_ONLY;
  const send = opts.llm && read.config !== undefined;
  let cost = 0;
  let costKnown = true;
  for (const [n, incident] of incidents.entries()) {
    if (send && n >= MAX_DRAFTED_REPORTS) {
      out.set(incident.id, { note: `the model was not used: only the first ${MAX_DRAFTED_REPORTS} incidents of a run are drafted by the model` });
      continue;
    }
    const draft = await draftProse(incident, rules, {
      config,
      sleep: io.sleep,
      now: io.now,
      dryRun: !send,
      ...(opts.timeZone === undefined ? {} : { timeZone: opts.timeZone }),
      ...(io.signal === undefined ? {} : { signal: io.signal }),
    });
    if (opts.showPrompt) {
      const r = draft.redactions;
      io.err(`firewatch: prompt for ${incident.id} (redacted: ${r.SECRET} secret(s), ${r.EMAIL} e-mail address(es), ${r.IP} IP(s); about ${draft.estimatedInputTokens} tokens)\n${formatPrompt(draft.messages)}`);
    }
    if (!send) continue;
    if (draft.prose !== undefined) out.set(incident.id, { prose: draft.prose });
    else {
      const reason = draft.reason ?? "no answer";
      io.err(`firewatch: ${incident.id}: report prose from templates: ${reason}\n`);
      out.set(incident.id, { note: `the model was not used: ${reason}` });
    }
    if (opts.debug) {
      io.err(`firewatch: ${incident.id}: ${describeUsage(draft, config)}\n`);
      for (const d of draft.dropped) io.err(`firewatch: ${incident.id}: dropped a drafted sentence naming ${d.unknown.join(", ")} (not in the logs)\n`);
    }
    if (draft.cost === undefined) costKnown = false;
    else cost += draft.cost;
  }
  if (send && opts.debug && incidents.length > 1) io.err(`firewatch: llm total cost ${costKnown ? cost.toFixed(6) : "unknown (no prices configured)"}\n`);
  return out;
}
