// Finding firewatch's own earlier post of an incident after a crash or a lost answer, so it is adopted, not posted twice.
import type { webApi } from "@slack/bolt";
import type { Logger } from "pino";
import { z } from "zod";
import type { Store } from "../store/index.js";
import { classifySlackError } from "./slack-errors.js";

/** Audit action written before each chat.postMessage: after a crash it says a post may exist already. */
export const POST_INTENT_ACTION = "slack_post_attempt";
/** Message metadata event type: how firewatch finds its own post for an incident in a channel's history. */
export const METADATA_EVENT_TYPE = "firewatch_incident";

const HistoryReply = z.object({
  messages: z
    .array(z.object({ ts: z.string(), metadata: z.object({ event_type: z.string(), event_payload: z.record(z.string(), z.unknown()) }).optional() }).loose())
    .default([]),
});

const RepliesReply = z.object({ messages: z.array(z.object({ ts: z.string() }).loose()).default([]) });

/** Our earlier post for this incident in `channel`, found by its metadata (a post whose ts was never stored). */
export async function findEarlierPost(deps: { client: webApi.WebClient; store: Store }, incidentId: string, channel: string): Promise<string | undefined> {
  const intents = await deps.store.listAudit({ target: incidentId, action: POST_INTENT_ACTION });
  const since = intents.filter((a) => a.details["channel"] === channel).at(-1)?.at;
  if (since === undefined) return undefined;
  const reply = HistoryReply.parse(
    await deps.client.conversations.history({ channel, oldest: String(Math.floor(since / 1000) - 60), include_all_metadata: true, limit: 200 }),
  );
  return reply.messages.find((m) => m.metadata?.event_type === METADATA_EVENT_TYPE && m.metadata.event_payload["incident_id"] === incidentId)?.ts;
}

/** Whether a post has thread replies; on doubt (the call fails) it says yes, so nothing is posted twice. */
export async function hasReplies(client: webApi.WebClient, channel: string, ts: string, log: Logger | undefined): Promise<boolean> {
  try {
    const res = RepliesReply.parse(await client.conversations.replies({ channel, ts, limit: 2 }));
    return res.messages.some((m) => m.ts !== ts);
  } catch (e) {
    log?.warn({ errorType: classifySlackError(e).kind, channel }, "Could not read the thread of an adopted post; its evidence reply is not sent.");
    return true;
  }
}
