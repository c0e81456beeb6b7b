// What the model is sent: the incident's structured findings (JSON) and bounded, redacted evidence, within a token budget.
import { z } from "zod";
import type { Incident } from "../../incidents/index.js";
import type { Rule } from "../../rules/index.js";
import { createTimeFormat } from "../clock-format.js";
import { fillOrUnknown } from "../fill.js";
import { findingViews } from "../finding-view.js";
import type { Redactor } from "../../redact/index.js";

/** The model's answer. Lengths are checked after parsing: strict structured output accepts no length keywords. */
export const DraftAnswerShape = z
  .object({
    executive_summary: z.string().describe("2-4 sentences for the on-call engineer"),
    root_cause_analysis: z.string().describe("One paragraph: the most likely cause and why the evidence points there"),
    next_steps: z.array(z.string()).describe("3-6 concrete next steps"),
  })
  .strict();
export const DraftAnswerSchema = DraftAnswerShape.extend({
  executive_summary: z.string().trim().min(1).max(3000),
  root_cause_analysis: z.string().trim().min(1).max(6000),
  next_steps: z.array(z.string().trim().min(1).max(600)).min(1).max(10),
}).strict();
export type DraftAnswer = z.infer<typeof DraftAnswerSchema>;

/** The JSON schema sent as response_format (draft 7, without the $schema key that endpoints reject). */
export function answerJsonSchema(): Record<string, unknown> {
  const { $schema: _drop, ...schema } = z.toJSONSchema(DraftAnswerShape, { target: "draft-7" });
  return schema;
}

export interface ChatMessage {
  readonly role: "system" | "user";
  readonly content: string;
}

export interface Prompt {
  readonly messages: readonly ChatMessage[];
  /** Everything the model was given (redacted): its figures are the only ones its text may use. */
  readonly groundText: string;
  /** Evidence lines left out to fit the budget. */
  readonly trimmedLines: number;
  readonly estimatedTokens: number;
}

/** Characters per token, a deliberately low estimate so the budget holds for log text (many short tokens). */
const CHARS_PER_TOKEN = 3;
/** No evidence line is sent longer than this (the line cap of the report itself is larger). */
const MAX_LINE_CHARS = 400;
const cutLine = (t: string) => (t.length > MAX_LINE_CHARS ? `${t.slice(0, MAX_LINE_CHARS)}…` : t);

export const SYSTEM_PROMPT = [
  "You draft three parts of an incident report for the on-call engineer who runs these services: the executive summary,",
  "the root cause analysis narrative and the next steps. The user message is JSON: the incident, its findings (what",
  "firewatch's rules concluded, with the rule authors' knowledge) and evidence (log lines, verbatim).",
  "Use only facts in that JSON. Quote every number, PID, port, path, id and time exactly as it appears there; never",
  "compute, convert, round or guess a figure, and never name a figure that is not there: a sentence with an unknown",
  "figure is removed. Placeholders such as <SECRET_1>, <EMAIL_1> or <IP_1> stand for redacted values: keep them as",
  "they are. Say what is not known rather than inventing it. Plain sentences, no markdown.",
  'Answer with one JSON object: {"executive_summary": string, "root_cause_analysis": string, "next_steps": [string]}.',
].join("\n");

interface EvidenceLine {
  time: string | undefined;
  text: string;
}

/** Builds the messages for one incident; every string in them has been through the redactor. */
export function buildPrompt(
  incident: Incident,
  rules: ReadonlyMap<string, Rule>,
  opts: { redactor: Redactor; maxInputTokens: number; timeZone?: string },
): Prompt {
  const fmt = createTimeFormat(opts.timeZone);
  const views = findingViews(incident, rules, fmt);
  const r = (s: string) => opts.redactor.redact(s);
  const fill = (t: string, values: Readonly<Record<string, string>>) => fillOrUnknown(t, values, (v) => v);
  const evidence: EvidenceLine[][] = views.map((v) =>
    v.finding.evidence.map((e) => ({
      time: e.time === undefined ? undefined : fmt.stamp(e.time),
      // Redacted whole, then cut: cut first, a key whose END line falls after the cut was sent whole (issue 13).
      text: cutLine(r(e.text)),
    })),
  );
  const findings = views.map((v, i) => {
    const k = v.knowledge;
    const f = v.finding;
    return {
      number: v.number,
      rule: f.rule,
      title: r(v.plainTitle),
      severity: f.severity,
      state: f.state,
      values: Object.fromEntries(Object.entries(v.values).map(([key, val]) => [key, r(val)])),
      cadence: f.cadence ? { steady: f.cadence.steady, interval: v.values["interval"], span: v.values["span"] } : undefined,
      recovered: f.recoveredAt === undefined ? undefined : fmt.stamp(f.recoveredAt),
      table: f.table ? { title: r(f.table.title), columns: f.table.columns.map(r), rows: f.table.rows.map((row) => row.map(r)), omitted: f.table.omitted } : undefined,
      knowledge: {
        summary: k.summary === undefined ? undefined : r(fill(k.summary, v.values)),
        hypothesis: k.hypothesis === undefined ? undefined : r(fill(k.hypothesis, v.values)),
        possible_causes: k.possible_causes.map((c) => r(fill(c, v.values))),
        next_steps: k.next_steps.map((c) => r(fill(c, v.values))),
      },
      evidence: evidence[i] ?? [],
    };
  });
  const head = {
    incident: {
      id: incident.id,
      title: r(incident.title),
      severity: incident.severity,
      status: incident.status,
      host: incident.host === undefined ? undefined : r(incident.host),
      service: incident.service === undefined ? undefined : r(incident.service),
      firstSeen: incident.firstSeen === undefined ? undefined : fmt.stamp(incident.firstSeen),
      lastSeen: incident.lastSeen === undefined ? undefined : fmt.stamp(incident.lastSeen),
      timeZone: opts.timeZone ?? "UTC",
    },
  };
  const budgetChars = opts.maxInputTokens * CHARS_PER_TOKEN - SYSTEM_PROMPT.length;
  const render = () => JSON.stringify({ ...head, findings }, null, 1);
  let user = render();
  let trimmed = 0;
  // Over budget: drop evidence lines from the middle of the longest list (first and last lines say the most).
  while (user.length > budgetChars) {
    const longest = findings.reduce((a, b) => (b.evidence.length > a.evidence.length ? b : a), findings[0] ?? { evidence: [] });
    if (longest.evidence.length === 0) break;
    longest.evidence.splice(Math.floor(longest.evidence.length / 2), 1);
    trimmed += 1;
    user = render();
  }
  const messages: ChatMessage[] = [
    { role: "system", content: SYSTEM_PROMPT },
    { role: "user", content: user },
  ];
  return { messages, groundText: user, trimmedLines: trimmed, estimatedTokens: Math.ceil((SYSTEM_PROMPT.length + user.length) / CHARS_PER_TOKEN) };
}
