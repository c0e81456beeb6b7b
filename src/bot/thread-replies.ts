// Replies in incident threads (evidence, reopen notes, probe output): sent at once, or kept and retried after 429/5xx.
import type { webApi } from "@slack/bolt";
import type { Logger } from "pino";
import type { Clock } from "../time.js";
import type { SlackMessage } from "./blocks.js";
import { classifySlackError } from "./slack-errors.js";

/** Per Web API method: no call before Slack's Retry-After has passed. Shared by everything that calls one client. */
export interface RateGate {
  blocked(method: string): boolean;
  block(method: string, ms: number): void;
}

export function createRateGate(clock: Clock): RateGate {
  const until = new Map<string, number>();
  return {
    blocked: (method) => (until.get(method) ?? 0) > clock.now(),
    block: (method, ms) => void until.set(method, Math.max(until.get(method) ?? 0, clock.now() + ms)),
  };
}

export interface ThreadReply {
  readonly channel: string;
  readonly thread_ts: string;
  readonly text: string;
  readonly blocks: SlackMessage["blocks"];
}

/** Replies kept for a retry at most; past it a reply is lost (and logged): its content is also in the report. */
export const MAX_PENDING_REPLIES = 1_000;

export interface ThreadReplies {
  /** Sends now, or keeps it for `retry()` when Slack is rate limiting or failing for a while. */
  send(reply: ThreadReply): Promise<void>;
  /** Keeps it for the next `retry()`; false when the queue is full. */
  enqueue(reply: ThreadReply): boolean;
  /** Sends the kept replies, oldest first, until Slack rate limits again. */
  retry(): Promise<void>;
  pending(): number;
}

export function createThreadReplies(deps: { client: webApi.WebClient; gate: RateGate; log?: Logger | undefined }): ThreadReplies {
  const queue: ThreadReply[] = [];
  const enqueue = (r: ThreadReply) => (queue.length < MAX_PENDING_REPLIES ? (queue.push(r), true) : false);

  /** True when sent; false when it should be kept for later; undefined when it is lost. */
  async function attempt(r: ThreadReply): Promise<boolean | undefined> {
    if (deps.gate.blocked("chat.postMessage")) return false;
    try {
      await deps.client.chat.postMessage({ ...r, unfurl_links: false, unfurl_media: false });
      return true;
    } catch (e) {
      const f = classifySlackError(e);
      if (f.kind === "rate_limited") deps.gate.block("chat.postMessage", f.retryAfterMs);
      if (f.kind === "rate_limited" || f.kind === "transient") return false;
      deps.log?.warn({ errorType: f.error }, "Could not reply in an incident's thread; the reply is lost.");
      return undefined;
    }
  }

  return {
    enqueue,
    async send(r) {
      if ((await attempt(r)) === false && !enqueue(r)) deps.log?.warn({ errorType: "queue_full" }, "Could not reply in an incident's thread; the reply is lost.");
    },
    async retry() {
      const due = queue.splice(0, queue.length);
      for (const [n, r] of due.entries()) {
        if ((await attempt(r)) === false) {
          // Keep this one and the rest, in order, for the next round.
          queue.unshift(...due.slice(n));
          return;
        }
      }
    },
    pending: () => queue.length,
  };
}
