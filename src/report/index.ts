// The report floor's public surface: the markdown incident report, the JSON contract and the terminal summary.

/** renderMarkdown(incident, rules, opts): the incident report in the documented format (seed 000); every figure from the incident. */
export { renderMarkdown, SECTION_TITLES, type MarkdownOptions } from "./markdown.js";
/** renderJson(incidents): the stable JSON contract; toReportJson gives the object before serialising. */
export { renderJson, renderStoredJson, toReportJson, type JsonOptions } from "./json.js";
/** The zod schema of the JSON output, for consumers and tests. */
export {
  ReportJsonSchema,
  IncidentJsonSchema,
  FindingJsonSchema,
  EvidenceJsonSchema,
  ProbeJsonSchema,
  StoreJsonSchema,
  type StoreJson,
  type ProbeJson,
  type ReportJson,
  type IncidentJson,
  type FindingJson,
} from "./json-schema.js";
/** renderText(incidents, opts): a short terminal summary, colour only when opts.color is true. */
export { renderText, type TextOptions } from "./text.js";
/** firewatch's own version from package.json (undefined when unreadable), as "Reported By" prints it. */
export { firewatchVersion } from "./version.js";
/** Escaping of untrusted log text for markdown and terminals; other outputs (Slack) may reuse it. */
export { escapeInline, escapeCell, codeBlock, escapeTerminal, escapeTerminalDocument } from "./escape.js";
/** Prose a model drafted, as renderMarkdown's `prose` option takes it. */
export type { ReportProse, DraftedText, DraftedList } from "./markdown-prose.js";
/** draftProse(incident, rules, deps): the model's summary, analysis and next steps, redacted out and figure-checked back; never throws. */
export { draftProse, describeUsage, formatPrompt, type DraftDeps, type DraftResult } from "./llm/index.js";
/** The model's configuration from FIREWATCH_LLM__* (and OPENAI_API_KEY); a reason instead when unset or invalid. */
export { readLlmConfig, type LlmConfig, type LlmConfigResult } from "./llm/index.js";
/** Stable placeholders for secrets, e-mail addresses and (optionally) IPs in text bound for a model. */
export { createRedactor, type Redactor } from "./llm/index.js";
/** draftReports(incidents, rules, opts, io): --llm/--show-prompt for a run: at most 10 drafts, one line per outcome to io.err. */
export { draftReports, MAX_DRAFTED_REPORTS, type IncidentProse, type DraftReportsOptions, type DraftReportsIo } from "./llm/index.js";
/** Probe results as report evidence (markdown block and the data excerpt); renderMarkdown's `probes` option uses them. */
export { dataExcerpt, renderProbeBlock } from "./probe-evidence.js";
