// draftProse: redact, prompt, ask, check every figure, and hand the report the sentences that survived (or why none).
import type { Incident } from "../../incidents/index.js";
import type { Rule } from "../../rules/index.js";
import type { ReportProse } from "../markdown-prose.js";
import { askModel, type Usage } from "./client.js";
import type { LlmConfig } from "./config.js";
import { createGroundCheck, type GroundCheck } from "./ground.js";
import { buildPrompt, type ChatMessage } from "./prompt.js";
import { createRedactor, type RedactionKind } from "../../redact/index.js";

export interface DraftDeps {
  readonly config: LlmConfig;
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly now: () => number;
  readonly signal?: AbortSignal;
  /** The report's time zone: times in the prompt are written as the report writes them. */
  readonly timeZone?: string;
  /** Only builds the prompt (for --show-prompt without --llm): nothing is sent. */
  readonly dryRun?: boolean;
}

export interface DraftResult {
  /** The drafted prose for renderMarkdown's `prose`; undefined when the template must be used. */
  readonly prose: ReportProse | undefined;
  /** Why the model was not used (renderMarkdown's `proseNote`); undefined when it was. */
  readonly reason: string | undefined;
  /** Exactly what was (or would have been) sent: redacted. */
  readonly messages: readonly ChatMessage[];
  readonly usage: Usage;
  /** From usage and the configured prices; undefined without prices. */
  readonly cost: number | undefined;
  readonly estimatedInputTokens: number;
  readonly trimmedEvidenceLines: number;
  readonly redactions: Readonly<Record<RedactionKind, number>>;
  /** The sentences dropped for naming unknown figures, with those figures (for --debug). */
  readonly dropped: readonly { readonly sentence: string; readonly unknown: readonly string[] }[];
}

/** Costs in the configured currency: tokens / 1000 × price, when both prices are set. */
export function reportCost(usage: Usage, config: LlmConfig): number | undefined {
  if (config.pricePer1kInput === undefined || config.pricePer1kOutput === undefined) return undefined;
  return (usage.inputTokens / 1000) * config.pricePer1kInput + (usage.outputTokens / 1000) * config.pricePer1kOutput;
}

/** Drafts the Executive Summary, Root Cause Analysis narrative and Next Steps of one incident; never throws. */
export async function draftProse(incident: Incident, rules: ReadonlyMap<string, Rule>, deps: DraftDeps): Promise<DraftResult> {
  const { config } = deps;
  const redactor = createRedactor({ ips: config.redactIps });
  const prompt = buildPrompt(incident, rules, { redactor, maxInputTokens: config.maxInputTokens, ...(deps.timeZone === undefined ? {} : { timeZone: deps.timeZone }) });
  const base = {
    messages: prompt.messages,
    estimatedInputTokens: prompt.estimatedTokens,
    trimmedEvidenceLines: prompt.trimmedLines,
    redactions: redactor.counts(),
  };
  const none: Usage = { inputTokens: 0, outputTokens: 0, attempts: 0 };
  const without = (reason: string, usage: Usage = none): DraftResult => ({ ...base, prose: undefined, reason, usage, cost: reportCost(usage, config), dropped: [] });
  if (deps.dryRun === true) return without("the prompt was only shown, not sent");
  if (prompt.estimatedTokens > config.maxInputTokens) {
    return without(`the findings alone need about ${prompt.estimatedTokens} tokens, over the budget of ${config.maxInputTokens}`);
  }
  const asked = await askModel(prompt.messages, config, { sleep: deps.sleep, now: deps.now, ...(deps.signal === undefined ? {} : { signal: deps.signal }) });
  if (asked.answer === undefined) return without(asked.reason, asked.usage);
  const ground = createGroundCheck(prompt.groundText);
  const dropped: { sentence: string; unknown: readonly string[] }[] = [];
  const paragraph = (text: string) => {
    const g = ground.check(text);
    dropped.push(...g.dropped);
    return { text: redactor.reveal(g.kept.join(" ")), dropped: g.dropped.length };
  };
  const steps = checkSteps(ground, asked.answer.next_steps, dropped);
  const prose: ReportProse = {
    model: config.model,
    executiveSummary: paragraph(asked.answer.executive_summary),
    rootCauseAnalysis: paragraph(asked.answer.root_cause_analysis),
    nextSteps: { items: steps.items.map((s) => redactor.reveal(s)), dropped: steps.dropped },
  };
  return { ...base, prose, reason: undefined, usage: asked.usage, cost: reportCost(asked.usage, config), dropped };
}

/** A step is kept with the sentences of it that are grounded; a step with none left is dropped. */
function checkSteps(ground: GroundCheck, steps: readonly string[], dropped: { sentence: string; unknown: readonly string[] }[]): { items: string[]; dropped: number } {
  const items: string[] = [];
  let count = 0;
  for (const step of steps) {
    // The report numbers the steps itself: a model's own "1." or "-" would show twice.
    const g = ground.check(step.replace(/^\s*(?:\d{1,2}[.)]|[-*•])\s+/, ""));
    dropped.push(...g.dropped);
    count += g.dropped.length;
    if (g.kept.length > 0) items.push(g.kept.join(" "));
  }
  return { items, dropped: count };
}

/** The messages as --show-prompt prints them. */
export function formatPrompt(messages: readonly ChatMessage[]): string {
  return messages.map((m) => `--- ${m.role} ---\n${m.content}`).join("\n") + "\n--- end of prompt ---\n";
}

/** The --debug line: attempts, tokens against the budget, and the cost when prices are configured. */
export function describeUsage(result: DraftResult, config: LlmConfig): string {
  const u = result.usage;
  const cost = result.cost === undefined ? "cost unknown (set FIREWATCH_LLM__PRICE_PER_1K_INPUT and _OUTPUT)" : `cost ${result.cost.toFixed(6)}`;
  return (
    `llm ${config.model}: ${u.attempts} attempt(s), ${u.inputTokens} input + ${u.outputTokens} output tokens ` +
    `(budget ${config.maxInputTokens} in, estimated ${result.estimatedInputTokens}; ${config.maxTokens} out), ${cost}` +
    (result.trimmedEvidenceLines > 0 ? `; ${result.trimmedEvidenceLines} evidence line(s) trimmed` : "") +
    (result.dropped.length > 0 ? `; ${result.dropped.length} sentence(s) dropped` : "")
  );
}
