// Automatic incident posts: one Slack message per incident, updated in place (coalesced), never lost or posted twice.
import { createHash } from "node:crypto";
import type { webApi } from "@slack/bolt";
import type { Logger } from "pino";
import type { Store, StoredIncident, UpsertResult } from "../store/index.js";
import { formatIso, type Clock } from "../time.js";
import { evidenceMessage, incidentMessage, probesMessage, type Block, type SlackMessage } from "./blocks.js";
import { codeBlockMrkdwn, SLACK_LIMITS } from "./mrkdwn.js";
import { findEarlierPost, hasReplies, METADATA_EVENT_TYPE, POST_INTENT_ACTION } from "./post-adoption.js";
import { channelFor, type SlackRouting } from "./routing.js";
import { createRateGate, createThreadReplies } from "./thread-replies.js";
import { classifySlackError } from "./slack-errors.js";

/** Changes read from the store's feed per follow(); more wait for the next one (bounded work per round). */
const FOLLOW_BATCH = 200;
/** How often the bot reads the store's change feed: a change made by another process shows within about this. */
export const DEFAULT_FOLLOW_INTERVAL_MS = 1_000;
/** Slack allows about one post per second per channel and chat.update at Tier 3; 5 s per incident stays far below. */
export const DEFAULT_MIN_UPDATE_INTERVAL_MS = 5_000;
/** Wait after a failure that is not a rate limit (network, 5xx), doubled per attempt up to 5 minutes. */
const RETRY_BASE_MS = 2_000;
const RETRY_MAX_MS = 300_000;
export { METADATA_EVENT_TYPE, POST_INTENT_ACTION };

export interface PosterOptions {
  readonly client: webApi.WebClient;
  readonly store: Store;
  readonly clock: Clock;
  readonly routing: SlackRouting;
  readonly minUpdateIntervalMs?: number;
  readonly log?: Logger;
  /** Blocks added to an incident's post (the remediation buttons); called on every render, so it must be cheap. */
  readonly extraBlocks?: (s: StoredIncident) => Promise<Block[]>;
  /**
   * Claims `key` for `ttlMs`, atomically across processes (store.claim), true for the one poster that got it. Used for
   * "slack-post:<fingerprint>" (of two posters sharing one store only the claimer posts; the other waits, then updates
   * that post) and for each set of probe results posted in a thread (once, also across restarts).
   */
  readonly claim?: (key: string, ttlMs: number) => Promise<boolean>;
}

/** How long a claim to post an incident holds: far longer than one chat.postMessage, short enough after a crash. */
export const POST_CLAIM_MS = 60_000;
/** How long "these probe results were posted in the thread" is remembered across processes and restarts. */
const PROBES_CLAIM_MS = 7 * 86_400_000;

export interface FlushReport {
  posted: number;
  updated: number;
  /** Still pending: not due yet (coalescing), rate limited, or waiting to retry. */
  deferred: number;
  /** Given up: Slack refused for good (bad token, invalid blocks); logged at error. */
  dropped: number;
}

export interface IncidentPoster {
  /** Takes note of what the store did with a snapshot: created, updated and reopened incidents get posted or updated. */
  notify(result: UpsertResult): void;
  /** A person changed the incident (ack, resolve, silence): update its post at the next flush, without coalescing delay. */
  touch(incidentId: string): void;
  /** Marks every live incident for posting or updating: after a restart, nothing that changed meanwhile is missed. */
  resync(): Promise<void>;
  /**
   * Reads the store's change feed once (changes by any process: CLI ack/resolve/silence/act, another bot, a daemon)
   * and marks the incidents it names; a person's change is urgent, new log activity is coalesced. Returns how many it
   * marked. The first call only notes where the feed is (resync covers what came before).
   */
  follow(): Promise<number>;
  /**
   * Adds a reply to the incident's thread (probe output, an action's result): `title` is trusted mrkdwn, `output` is
   * untrusted text shown in a code block. Sent at the next flush once the incident has a post; false when it has none.
   */
  replyInThread(incidentId: string, title: string, output: string): Promise<boolean>;
  /** Sends what is due. Calls never overlap: a flush waits for the one running. */
  flush(): Promise<FlushReport>;
  /** Incidents waiting to be posted or updated. */
  pending(): number;
}

interface Dirty {
  urgent: boolean;
  reopened: boolean;
  attempts: number;
  retryAt: number;
}

const LIVE = new Set(["open", "acknowledged"]);

const digestOf = (m: SlackMessage) => createHash("sha256").update(JSON.stringify(m)).digest("base64");

export function createIncidentPoster(opts: PosterOptions): IncidentPoster {
  const { client, store, clock } = opts;
  const minInterval = opts.minUpdateIntervalMs ?? DEFAULT_MIN_UPDATE_INTERVAL_MS;
  const log = opts.log?.child({ component: "bot", stage: "poster" });
  const dirty = new Map<string, Dirty>();
  const lastSent = new Map<string, number>();
  // Digest of the message last sent per incident: a message that would not change is not sent again (resync loops).
  const sentDigest = new Map<string, string>();
  // Digest of the probe results last put in each incident's thread.
  const sentProbes = new Map<string, string>();
  let queue: Promise<unknown> = Promise.resolve();
  const gate = createRateGate(clock);
  const replies = createThreadReplies({ client, gate, log });
  // A resolved incident offers no remediation: its buttons go with the update that shows it resolved.
  const render = async (s: StoredIncident): Promise<SlackMessage> => incidentMessage(s, opts.extraBlocks && s.status !== "resolved" ? await opts.extraBlocks(s) : []);
  let feedMark: string | undefined;
  let followedAt = clock.now();

  const mark = (id: string, change: Partial<Pick<Dirty, "urgent" | "reopened">>) => {
    const d = dirty.get(id) ?? { urgent: false, reopened: false, attempts: 0, retryAt: 0 };
    d.urgent ||= change.urgent ?? false;
    d.reopened ||= change.reopened ?? false;
    dirty.set(id, d);
  };
  const blocked = (method: string) => gate.blocked(method);
  const drop = (id: string, report: FlushReport) => {
    dirty.delete(id);
    report.dropped += 1;
  };

  /** What to do after a failed call; returns "drop" when retrying cannot help. */
  function onFailure(id: string, d: Dirty, method: string, e: unknown): "keep" | "drop" | "gone" {
    const f = classifySlackError(e);
    if (f.kind === "rate_limited") {
      gate.block(method, f.retryAfterMs);
      log?.warn({ incidentId: id, method, retryAfterMs: f.retryAfterMs }, "Slack rate limited a call; it is retried after Retry-After.");
      return "keep";
    }
    if (f.kind === "gone") return "gone";
    if (f.kind === "fatal") {
      log?.error({ incidentId: id, method, errorType: f.error }, "Slack refused the incident post; it is not retried.");
      return "drop";
    }
    d.attempts += 1;
    d.retryAt = clock.now() + Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** (d.attempts - 1));
    log?.warn({ incidentId: id, method, errorType: f.error, attempts: d.attempts }, "A Slack call failed; it is retried later.");
    return "keep";
  }

  async function post(s: StoredIncident, d: Dirty, report: FlushReport, replacing: boolean): Promise<void> {
    const id = s.incident.id;
    const channel = channelFor(s.incident, opts.routing);
    if (blocked("chat.postMessage") || blocked("conversations.history")) return;
    let ts: string | undefined;
    try {
      ts = replacing ? undefined : await findEarlierPost({ client, store }, s.incident.id, channel);
    } catch (e) {
      if (onFailure(id, d, "conversations.history", e) === "drop") drop(id, report);
      return;
    }
    const adopted = ts !== undefined;
    if (ts === undefined) {
      if (opts.claim && !(await opts.claim(`slack-post:${s.incident.fingerprint}`, POST_CLAIM_MS))) {
        // Another poster is posting it: once its ts is stored, the next round updates that post instead.
        d.retryAt = clock.now() + RETRY_BASE_MS;
        log?.debug({ incidentId: id }, "Another firewatch process is posting this incident; waiting for its post.");
        return;
      }
      await store.appendAudit({ actor: "firewatch", action: POST_INTENT_ACTION, target: id, details: { channel } });
      const msg = await render(s);
      try {
        const res = await client.chat.postMessage({
          channel,
          ...msg,
          unfurl_links: false,
          unfurl_media: false,
          metadata: { event_type: METADATA_EVENT_TYPE, event_payload: { incident_id: id, fingerprint: s.incident.fingerprint } },
        });
        ts = res.ts;
      } catch (e) {
        if (onFailure(id, d, "chat.postMessage", e) === "drop") drop(id, report);
        return;
      }
      if (ts === undefined) return void log?.error({ incidentId: id }, "Slack answered a post without its ts; it is retried.");
    }
    const stored = await store.setSlackRef(id, { channel, ts });
    lastSent.set(id, clock.now());
    if (adopted) {
      // The post exists but may show an older state: update it now. Its evidence reply may never have been sent.
      log?.info({ incidentId: id, channel, ts }, "Found the incident's earlier post in Slack; updating it instead of posting again.");
      dirty.set(id, { ...d, urgent: true, attempts: 0, retryAt: 0 });
      if (!(await hasReplies(client, channel, ts, log))) await thread(stored, evidenceMessage(stored).blocks, `Evidence for ${id}`);
      return;
    }
    dirty.delete(id);
    sentDigest.set(id, digestOf(await render(stored)));
    report.posted += 1;
    await thread(stored, evidenceMessage(stored).blocks, `Evidence for ${id}`);
    await probesReply(stored);
  }

  /** The probe results in the thread, once per distinct set (the post shows them too, one line each). */
  async function probesReply(s: StoredIncident): Promise<void> {
    if (!s.slack || s.probes.length === 0) return;
    const id = s.incident.id;
    const digest = createHash("sha256").update(JSON.stringify(s.probes.map((p) => [p.probe, p.host, p.ok, p.summary]))).digest("hex").slice(0, 16);
    if (sentProbes.get(id) === digest) return;
    sentProbes.set(id, digest);
    if (opts.claim && !(await opts.claim(`slack-probes:${s.incident.fingerprint}:${digest}`, PROBES_CLAIM_MS))) return;
    const m = probesMessage(s);
    await thread(s, m.blocks, m.text);
  }

  /** A reply in the incident's thread, retried after a 429 or 5xx (in this process; the post itself is never lost). */
  async function thread(s: StoredIncident, blocks: SlackMessage["blocks"], text: string): Promise<void> {
    if (s.slack) await replies.send({ channel: s.slack.channel, thread_ts: s.slack.ts, text, blocks });
  }

  async function update(s: StoredIncident, d: Dirty, report: FlushReport): Promise<void> {
    const id = s.incident.id;
    const ref = s.slack;
    if (!ref || blocked("chat.update")) return;
    const msg = await render(s);
    const digest = digestOf(msg);
    if (sentDigest.get(id) === digest && !d.reopened) return void dirty.delete(id);
    if (!d.urgent && clock.now() < (lastSent.get(id) ?? 0) + minInterval) return;
    try {
      await client.chat.update({ channel: ref.channel, ts: ref.ts, ...msg });
    } catch (e) {
      const what = onFailure(id, d, "chat.update", e);
      if (what === "drop") drop(id, report);
      // Someone deleted the post: post it again, and the new ts replaces the old one in the store.
      if (what === "gone") await post(s, d, report, true);
      return;
    }
    lastSent.set(id, clock.now());
    sentDigest.set(id, digest);
    dirty.delete(id);
    report.updated += 1;
    await probesReply(s);
    if (d.reopened) {
      const last = s.history.filter((h) => h.event === "reopened").at(-1);
      await thread(s, [{ type: "section", text: { type: "mrkdwn", text: `🔁 Reopened${last ? ` at ${formatIso(last.at)}` : ""}: new events after it was resolved.` } }], `Reopened ${id}`);
    }
  }

  async function doFlush(): Promise<FlushReport> {
    const report: FlushReport = { posted: 0, updated: 0, deferred: 0, dropped: 0 };
    await replies.retry();
    for (const [id, d] of [...dirty]) {
      if (d.retryAt > clock.now()) continue;
      const s = await store.get(id);
      if (!s) {
        dirty.delete(id);
        continue;
      }
      if (s.slack) await update(s, d, report);
      else if (LIVE.has(s.status) && s.silencedBy === undefined) await post(s, d, report, false);
      else dirty.delete(id); // never posted and not worth a post (observed, resolved, silenced)
    }
    report.deferred = dirty.size;
    return report;
  }

  return {
    notify(result) {
      const { outcome, incident } = result;
      if (outcome === "created" || outcome === "updated" || outcome === "reopened") mark(incident.incident.id, { reopened: outcome === "reopened" });
      // A silenced incident already posted still gets its figures updated, quietly (no thread reply).
      else if (outcome === "suppressed" && incident.slack) mark(incident.incident.id, {});
    },
    touch(id) {
      mark(id, { urgent: true });
    },
    async replyInThread(id, title, output) {
      const s = await store.get(id);
      if (!s?.slack) return false;
      const text = `${title}\n${codeBlockMrkdwn(output, SLACK_LIMITS.sectionText - title.length - 1)}`;
      return replies.enqueue({ channel: s.slack.channel, thread_ts: s.slack.ts, text: title, blocks: [{ type: "section", text: { type: "mrkdwn", text, verbatim: true } }] });
    },
    async resync() {
      for (const s of await store.list({ status: ["open", "acknowledged"] })) mark(s.incident.id, {});
    },
    async follow() {
      const since = followedAt;
      const now = clock.now();
      const first = feedMark === undefined;
      const batch = await store.changes(feedMark, FOLLOW_BATCH);
      feedMark = batch.next;
      followedAt = now;
      if (first) return 0;
      let marked = 0;
      for (const c of batch.changes) {
        // Its own post reference (this poster's or another's) changes nothing on the post.
        if (c.kind === "slack") continue;
        mark(c.incident, { urgent: c.kind !== "activity" });
        marked += 1;
      }
      if (batch.lost) {
        // The feed was trimmed past our mark: every posted incident changed since the last read is looked at again.
        log?.warn({ errorType: "feed_lost" }, "The store's change feed moved on without this poster; re-reading every recently changed incident.");
        for (const s of await store.list()) {
          if (!s.slack || s.updatedAt < since) continue;
          mark(s.incident.id, { urgent: true });
          marked += 1;
        }
      }
      return marked;
    },
    flush() {
      const run = queue.then(doFlush, doFlush);
      queue = run.catch(() => undefined);
      return run;
    },
    pending: () => dirty.size,
  };
}
