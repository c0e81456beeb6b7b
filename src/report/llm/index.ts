// Optional LLM drafting of the report's prose: configuration, redaction, prompt, grounding and the draft itself.
export { readLlmConfig, LlmConfigSchema, type LlmConfig, type LlmConfigResult } from "./config.js";
export { createRedactor, type Redactor, type RedactionKind } from "../../redact/index.js";
export { createGroundCheck, splitSentences, type GroundCheck, type GroundedText } from "./ground.js";
export { buildPrompt, DraftAnswerSchema, SYSTEM_PROMPT, type ChatMessage, type DraftAnswer, type Prompt } from "./prompt.js";
export { askModel, retryAfterMs, MAX_RETRY_AFTER_MS, type AskResult, type Usage } from "./client.js";
export { draftProse, describeUsage, formatPrompt, reportCost, type DraftDeps, type DraftResult } from "./draft.js";
export { draftReports, MAX_DRAFTED_REPORTS, type IncidentProse, type DraftReportsOptions, type DraftReportsIo } from "./draft-reports.js";
