// Sorts what the Slack Web API client throws into what the caller must do: wait, re-post, retry later, or give up.
import { z } from "zod";

export type SlackFailure =
  /** 429: wait `retryAfterMs` before calling this method again (Slack's Retry-After). */
  | { readonly kind: "rate_limited"; readonly retryAfterMs: number }
  /** The message (or its channel) is gone: a deleted post is posted again. */
  | { readonly kind: "gone"; readonly error: string }
  /** Network, 5xx, timeouts: the call may or may not have happened; retry later. */
  | { readonly kind: "transient"; readonly error: string }
  /** Retrying will not help (bad token, invalid blocks, missing scope): a human must act. */
  | { readonly kind: "fatal"; readonly error: string };

// The client's errors are input from a library: read only the fields we rely on.
const ClientError = z.object({
  code: z.string().optional(),
  retryAfter: z.number().optional(),
  data: z.object({ error: z.string().optional() }).loose().optional(),
  statusCode: z.number().optional(),
  message: z.string().optional(),
}).loose();

const GONE = new Set(["message_not_found", "thread_not_found", "cant_update_message", "edit_window_closed"]);
const TRANSIENT = new Set(["internal_error", "fatal_error", "service_unavailable", "request_timeout", "ratelimited"]);

/** Classifies an error thrown by a WebClient call. */
export function classifySlackError(e: unknown): SlackFailure {
  const parsed = ClientError.safeParse(e);
  if (!parsed.success) return { kind: "transient", error: String(e) };
  const err = parsed.data;
  if (err.code === "slack_webapi_rate_limited_error") return { kind: "rate_limited", retryAfterMs: Math.max(1, err.retryAfter ?? 1) * 1000 };
  if (err.code === "slack_webapi_platform_error") {
    const code = err.data?.error ?? "unknown_error";
    if (GONE.has(code)) return { kind: "gone", error: code };
    if (TRANSIENT.has(code)) return { kind: "transient", error: code };
    return { kind: "fatal", error: code };
  }
  // slack_webapi_http_error (5xx), slack_webapi_request_error (connection refused, timeout) and anything else.
  return { kind: "transient", error: err.message ?? err.code ?? "unknown" };
}
