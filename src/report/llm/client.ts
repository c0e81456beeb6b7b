// Asks an OpenAI-compatible endpoint for the answer: structured output, bounded retries with backoff, every failure a reason.
import type { APIError } from "openai";
import type { LlmConfig } from "./config.js";
import { answerJsonSchema, DraftAnswerSchema, type ChatMessage, type DraftAnswer } from "./prompt.js";

export interface Usage {
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly attempts: number;
}

/** Either the validated answer, or one line saying why there is none. Usage counts every attempt that was billed. */
export type AskResult = { readonly answer: DraftAnswer; readonly usage: Usage; readonly reason?: undefined } | { readonly answer?: undefined; readonly usage: Usage; readonly reason: string };

export interface AskDeps {
  /** Waits between attempts; tests record the waits instead of sleeping. */
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** The wall clock, for a Retry-After given as an HTTP date. */
  readonly now: () => number;
  readonly signal?: AbortSignal;
}

/** First wait after a retryable failure; doubled per attempt. */
const BACKOFF_MS = 500;
/** A Retry-After longer than this is not waited for: the report is written from templates instead. */
export const MAX_RETRY_AFTER_MS = 20_000;

/** Parses retry-after-ms (OpenAI's) or Retry-After (seconds or an HTTP date) into milliseconds. */
export function retryAfterMs(headers: Headers | undefined, now: number): number | undefined {
  const ms = Number(headers?.get("retry-after-ms") ?? NaN);
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const raw = headers?.get("retry-after");
  if (raw == null || raw === "") return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** What a request may leave out or rename when an endpoint or model rejects it with a 400 that names it. */
interface RequestShape {
  structured: boolean;
  /** Newer OpenAI models take max_completion_tokens and reject max_tokens; most compatible servers take max_tokens. */
  tokenParam: "max_tokens" | "max_completion_tokens";
  temperature: boolean;
}

/** The request adjusted to a 400 that names one of its parameters, or undefined when the 400 is about something else. */
function adjustTo(e: APIError, shape: RequestShape): RequestShape | undefined {
  if (e.status !== 400) return undefined;
  const m = e.message;
  if (shape.structured && /response_format|json_schema|structured/i.test(m)) return { ...shape, structured: false };
  if (shape.tokenParam === "max_tokens" && /max_tokens/.test(m)) return { ...shape, tokenParam: "max_completion_tokens" };
  if (shape.temperature && /temperature/i.test(m)) return { ...shape, temperature: false };
  return undefined;
}

function short(text: string): string {
  // An error may quote the URL it was given: never its user and password (scheme://user:pw@host).
  const flat = text.replace(/\s+/g, " ").replace(/(\b[a-z][a-z0-9+.-]*:\/\/)[^\s/@]*@/gi, "$1***@").trim();
  return flat.length > 160 ? `${flat.slice(0, 160)}…` : flat;
}

/** The answer out of message content: the JSON object, also when wrapped in a ```json fence or a sentence. */
function parseContent(content: string): unknown {
  try {
    return JSON.parse(content);
  } catch {
    const start = content.indexOf("{");
    const end = content.lastIndexOf("}");
    if (start === -1 || end <= start) throw new Error("no JSON object in the answer");
    return JSON.parse(content.slice(start, end + 1));
  }
}

/** Sends the prompt and returns the validated answer, or the reason the template must be used. Never throws. */
export async function askModel(messages: readonly ChatMessage[], config: LlmConfig, deps: AskDeps): Promise<AskResult> {
  // The SDK is loaded by the first question, not with the report floor: a run without --llm never pays for it.
  const { default: OpenAI, APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } = await import("openai");
  const client = new OpenAI({
    // The SDK insists on a key; an endpoint that needs none ignores the header.
    apiKey: config.apiKey ?? "none",
    ...(config.baseUrl === undefined ? {} : { baseURL: config.baseUrl }),
    timeout: config.timeoutMs,
    // Retries are ours: bounded, Retry-After honoured with a ceiling, and each wait observable in tests.
    maxRetries: 0,
  });
  let inputTokens = 0;
  let outputTokens = 0;
  let attempts = 0;
  let shape: RequestShape = { structured: true, tokenParam: "max_tokens", temperature: true };
  const usage = (): Usage => ({ inputTokens, outputTokens, attempts });
  const fail = (reason: string): AskResult => ({ reason, usage: usage() });
  let lastFailure = "no attempt made";
  while (attempts < config.maxAttempts) {
    attempts += 1;
    let retryWait: number | undefined;
    try {
      const completion = await client.chat.completions.create(
        {
          model: config.model,
          messages: messages.map((m) => ({ role: m.role, content: m.content })),
          [shape.tokenParam]: config.maxTokens,
          ...(shape.temperature ? { temperature: 0.2 } : {}),
          ...(shape.structured ? { response_format: { type: "json_schema" as const, json_schema: { name: "incident_prose", strict: true, schema: answerJsonSchema() } } } : {}),
        },
        deps.signal === undefined ? {} : { signal: deps.signal },
      );
      inputTokens += completion.usage?.prompt_tokens ?? 0;
      outputTokens += completion.usage?.completion_tokens ?? 0;
      const choice = completion.choices[0];
      if (choice === undefined) return fail("the model returned no answer");
      if (choice.message.refusal) return fail(`the model refused: ${short(choice.message.refusal)}`);
      if (choice.finish_reason === "content_filter") return fail("the model's answer was withheld by its content filter");
      const content = choice.message.content;
      if (content == null || content.trim() === "") return fail("the model returned an empty answer");
      let json: unknown;
      try {
        json = parseContent(content);
      } catch {
        return fail(choice.finish_reason === "length" ? `the answer was cut at ${config.maxTokens} tokens before its JSON ended` : "the model's answer was not JSON");
      }
      const parsed = DraftAnswerSchema.safeParse(json);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        return fail(`the model's answer did not match the schema (${issue?.path.join(".") || "answer"}: ${issue?.message ?? "invalid"})`);
      }
      return { answer: parsed.data, usage: usage() };
    } catch (e) {
      if (e instanceof APIUserAbortError) return fail("the request was cancelled");
      if (e instanceof APIConnectionTimeoutError) {
        lastFailure = `the endpoint did not answer within ${config.timeoutMs} ms`;
      } else if (e instanceof APIConnectionError) {
        lastFailure = `the endpoint could not be reached (${short(e.cause instanceof Error ? e.cause.message : e.message)})`;
      } else if (e instanceof APIError) {
        const adjusted = adjustTo(e, shape);
        if (adjusted !== undefined) {
          // Not a spent attempt: ask again without what the endpoint lacks (each adjustment happens once, so this ends).
          // Without structured output the schema is still in the system prompt, and the JSON is read from the text.
          shape = adjusted;
          attempts -= 1;
          continue;
        }
        const status = e.status ?? 0;
        if (status !== 429 && status !== 408 && status < 500) return fail(`the endpoint refused the request (HTTP ${status}: ${short(e.message)})`);
        lastFailure = status === 429 ? "the endpoint rate-limited the request (HTTP 429)" : `the endpoint failed (HTTP ${status})`;
        const after = retryAfterMs(e.headers, deps.now());
        if (after !== undefined && after > MAX_RETRY_AFTER_MS) return fail(`${lastFailure} and asked to wait ${Math.ceil(after / 1000)} s, longer than ${MAX_RETRY_AFTER_MS / 1000} s`);
        retryWait = after;
      } else {
        return fail(`the request failed (${short(e instanceof Error ? e.message : String(e))})`);
      }
    }
    if (attempts >= config.maxAttempts) break;
    try {
      await deps.sleep(retryWait ?? BACKOFF_MS * 2 ** (attempts - 1), deps.signal);
    } catch {
      return fail("the request was cancelled");
    }
  }
  return fail(`${lastFailure}; gave up after ${attempts} attempt${attempts === 1 ? "" : "s"}`);
}
