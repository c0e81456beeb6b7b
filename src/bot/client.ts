// Builds the Slack Web API client the bot uses: its own retries off, so rate limits and failures reach the poster.
import type { webApi } from "@slack/bolt";
import { bolt } from "./bolt.js";

export interface SlackClientOptions {
  readonly token: string;
  /** Base URL of the Web API ("https://slack.com/api/" by default); tests point it at the local fake. */
  readonly apiUrl?: string;
  /** Per-call timeout, ms. */
  readonly timeoutMs?: number;
}

/**
 * A WebClient that throws on 429 (with Retry-After) instead of sleeping inside the call, and does not retry by itself:
 * the poster decides what waits, what is coalesced and what is retried, and nothing blocks a flush for minutes.
 */
export function createSlackClient(opts: SlackClientOptions): webApi.WebClient {
  const { webApi: api } = bolt();
  return new api.WebClient(opts.token, {
    ...(opts.apiUrl === undefined ? {} : { slackApiUrl: opts.apiUrl }),
    rejectRateLimitedCalls: true,
    retryConfig: { retries: 0 },
    timeout: opts.timeoutMs ?? 10_000,
    logLevel: api.LogLevel.ERROR,
  });
}
