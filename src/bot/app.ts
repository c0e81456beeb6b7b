// The Bolt app: /firewatch and the post's buttons on the HTTP receiver (verified) or Socket Mode, plus the poster loop.
import type { App, Logger as SlackLogger, LogLevel, RespondFn, webApi } from "@slack/bolt";
import type { Logger } from "pino";
import { z } from "zod";
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { offerActions, type GuardConfig, type SelfScope } from "../actions/index.js";
import type { Host } from "../hosts/index.js";
import { runIncidentProbes } from "../probes/index.js";
import type { Rule } from "../rules/index.js";
import type { Store, StoredIncident, StoredProbe } from "../store/index.js";
import type { Clock } from "../time.js";
import { remediationBlocks, type NotOffered, type RemediationOffer } from "./action-blocks.js";
import { registerRemediation, type SlackGuard } from "./action-clicks.js";
import type { Block } from "./blocks.js";
import { ACTION_IDS } from "./blocks.js";
import type { SlackConfig } from "./config.js";
import { SignedHttpReceiver } from "./http-receiver.js";
import { bolt } from "./bolt.js";
import { SLACK_LIMITS, codeBlockMrkdwn } from "./mrkdwn.js";
import { createIncidentPoster, DEFAULT_FOLLOW_INTERVAL_MS, type IncidentPoster } from "./poster.js";
import { runCommand, type CommandDeps, type CommandReply } from "./slash-command.js";
import { createTokenShelf } from "./token-shelf.js";
import { createGroupResolver } from "./user-groups.js";

export interface BotDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly log: Logger;
  readonly rules: () => Promise<ReadonlyMap<string, Rule>>;
  /** The live job queues as text for `/firewatch jobs` (src/jobs); optional. */
  readonly jobsText?: () => Promise<string>;
  /** Model-drafted prose for `/firewatch report` (src/report draftProse); optional. */
  readonly draft?: CommandDeps["draft"];
  /** The guard behind the remediation buttons; without it posts carry no remediation buttons. */
  readonly guard?: SlackGuard;
  /** The remediations an incident allows; default src/actions offerActions. Called on every render of its post. */
  readonly offers?: (s: StoredIncident, rules: ReadonlyMap<string, Rule>, config: GuardConfig, self?: SelfScope) => readonly RemediationOffer[];
  /**
   * firewatch.yaml's hosts by name, for `/firewatch probe ID` (the daemon passes the hosts it opened); without it
   * `probe` answers that the bot needs --config. Undefined for a name: that host is unknown, its probes fail as such.
   */
  readonly probeHosts?: (name: string) => Host | undefined;
  /** `docker -H` per host for container probes (src/actions dockerHostOf); default: the docker CLI's own. */
  readonly probeDockerHost?: (host: string) => string | undefined;
  /** probes.network.allow: where `/firewatch probe` may connect; default each host's loopback. */
  readonly probeAllowNet?: readonly string[];
  /** Names this process in post claims (default: host name, PID and a random part). */
  readonly instanceId?: string;
}


/** The offers whose action cannot run on their host with firewatch's rights there, each with why and what to grant. */
async function notRunnable(list: readonly RemediationOffer[], readiness: SlackGuard["readiness"]): Promise<NotOffered[]> {
  if (!readiness) return [];
  const out: NotOffered[] = [];
  for (const offer of list) {
    const verdict = (await readiness(offer.host))?.find((r) => r.action === offer.action);
    if (verdict && !verdict.ok) out.push({ offer, why: verdict.how, ...(verdict.grant === undefined ? {} : { grant: verdict.grant }) });
  }
  return out;
}

export interface Bot {
  readonly app: App;
  readonly poster: IncidentPoster;
  /** Connects (auth.test, then the receiver); resolves with the HTTP port, or undefined in Socket Mode. */
  start(): Promise<number | undefined>;
  /** Reads the store for live incidents every `everyMs` and posts/updates them, until stop(). */
  runPoster(everyMs: number): void;
  stop(): Promise<void>;
}

/** Bolt logs through pino, so the bot's logs stay structured on stderr like the rest of firewatch. */
function slackLogger(log: Logger): SlackLogger {
  const child = log.child({ component: "bot", stage: "bolt" });
  const say = (level: "debug" | "info" | "warn" | "error") => (...msg: unknown[]) => child[level](msg.map(String).join(" "));
  let level: LogLevel = bolt().LogLevel.INFO;
  return { debug: say("debug"), info: say("info"), warn: say("warn"), error: say("error"), setLevel: (l) => void (level = l), getLevel: () => level, setName: () => undefined };
}

/** A click on one of the post's buttons: only the fields we use, parsed (the payload is input). */
const ButtonPayload = z.object({
  user: z.object({ id: z.string() }),
  channel: z.object({ id: z.string() }).optional(),
  container: z.object({ channel_id: z.string().optional() }).loose().optional(),
  actions: z.array(z.object({ action_id: z.string(), value: z.string().max(SLACK_LIMITS.buttonValue) })).min(1),
});

const BUTTON_COMMAND: Readonly<Record<string, string>> = {
  [ACTION_IDS.acknowledge]: "ack",
  [ACTION_IDS.resolve]: "resolve",
  [ACTION_IDS.silence1h]: "silence",
  [ACTION_IDS.report]: "report",
};

/** The report as snippet sections when a file upload is not possible (no files:write, a DM the bot is not in). */
function snippetBlocks(content: string): Block[] {
  const size = SLACK_LIMITS.sectionText - 200;
  const blocks: Block[] = [];
  for (let at = 0; at < content.length && blocks.length < SLACK_LIMITS.blocks - 1; at += size) {
    blocks.push({ type: "section", text: { type: "mrkdwn", text: codeBlockMrkdwn(content.slice(at, at + size), SLACK_LIMITS.sectionText), verbatim: true } });
  }
  if (blocks.length * size < content.length) {
    blocks.push({ type: "context", elements: [{ type: "mrkdwn", text: "… the report is longer than one message: use `firewatch report ID` for all of it." }] });
  }
  return blocks;
}

async function deliver(reply: CommandReply, respond: RespondFn, client: webApi.WebClient, channelId: string, log: Logger): Promise<void> {
  if (reply.file) {
    try {
      await client.files.uploadV2({ channel_id: channelId, filename: reply.file.filename, title: reply.file.title, content: reply.file.content, initial_comment: reply.text });
      return;
    } catch (e) {
      log.warn({ component: "bot", errorType: e instanceof Error ? e.message : "upload_failed" }, "Could not upload the report as a file; posting it as a snippet.");
      await respond({ response_type: "ephemeral", text: reply.text, blocks: snippetBlocks(reply.file.content) });
      return;
    }
  }
  await respond({ response_type: "ephemeral", replace_original: false, text: reply.text, ...(reply.blocks ? { blocks: reply.blocks } : {}) });
}

/**
 * `/firewatch probe`: the incident's probes on its own host, with that host's Docker daemon for container probes. A
 * second request for an incident whose probes are running gets the same run: a few people typing it at once (or one
 * person impatient) must not multiply the commands run on a production host.
 */
function probeOnDemand(deps: BotDeps, host: (name: string) => Host | undefined): NonNullable<CommandDeps["probe"]> {
  const running = new Map<string, Promise<StoredProbe[]>>();
  return (stored, rules) => {
    const fp = stored.incident.fingerprint;
    const inFlight = running.get(fp);
    if (inFlight) return inFlight;
    const dockerHost = deps.probeDockerHost?.(stored.incident.host ?? "local");
    const run = runIncidentProbes(stored, rules, { host, clock: deps.clock, ...(dockerHost === undefined ? {} : { dockerHost }), ...(deps.probeAllowNet === undefined ? {} : { allowNet: deps.probeAllowNet }) }).finally(() => running.delete(fp));
    running.set(fp, run);
    return run;
  };
}

export function createBot(config: SlackConfig, deps: BotDeps): Bot {
  const logger = slackLogger(deps.log);
  const clientOptions: webApi.WebClientOptions = {
    ...(config.apiUrl === undefined ? {} : { slackApiUrl: config.apiUrl }),
    rejectRateLimitedCalls: true,
    retryConfig: { retries: 0 },
    timeout: 10_000,
  };
  const instanceId = deps.instanceId ?? `${hostname()}:${process.pid}:${randomBytes(4).toString("hex")}`;
  // Seen signatures live in the store, so a captured request replayed after a restart is still refused.
  const remember = async (signature: string, ttlMs: number): Promise<boolean> => {
    try {
      return (await deps.store.claim(`slack-sig:${signature.replace(/^v0=/, "")}`, instanceId, ttlMs)).claimed;
    } catch (e) {
      deps.log.warn({ err: e, component: "bot" }, "Could not record a Slack request signature in the store; replays are refused by this process only.");
      return true;
    }
  };
  const receiver = config.socketMode
    ? undefined
    : new SignedHttpReceiver({ signingSecret: config.signingSecret ?? "", clock: deps.clock, logger, port: config.port, host: config.host, remember });
  // Built here rather than by App so that its own WebClient (apps.connections.open) gets the same API URL.
  const { App, SocketModeReceiver } = bolt();
  const boltReceiver = receiver ?? new SocketModeReceiver({ appToken: config.appToken ?? "", logger, installerOptions: { clientOptions } });
  const app = new App({ token: config.botToken, logger, clientOptions, deferInitialization: true, receiver: boltReceiver });
  const guard = deps.guard;
  const shelf = guard ? createTokenShelf({ tokens: guard.tokens, clock: deps.clock, ttlMs: guard.config.tokenTtl }) : undefined;
  const offers = deps.offers ?? offerActions;
  // Two bots on one Redis store: only the one that claims an incident's first post sends it (the store's claim is atomic).
  const claim = async (key: string, ttlMs: number): Promise<boolean> => {
    const r = await deps.store.claim(key, instanceId, ttlMs);
    return r.claimed || r.owner === instanceId;
  };
  const extraBlocks =
    guard && shelf
      ? async (s: StoredIncident): Promise<Block[]> => {
          try {
            const list = offers(s, await deps.rules(), guard.config, guard.self);
            // An action firewatch cannot run on that host (doctor's verdict) gets no button, and the post says why.
            const blocked = await notRunnable(list, guard.readiness);
            const runnable = list.filter((o) => !blocked.some((b) => b.offer === o));
            return remediationBlocks(s, runnable, (o) => shelf.tokenFor({ incident: s.incident.id, action: o.action, params: o.params, host: o.host }), blocked);
          } catch (e) {
            deps.log.warn({ err: e, component: "bot", incidentId: s.incident.id }, "Could not build the remediation buttons; the post goes without them.");
            return [];
          }
        }
      : undefined;
  const poster = createIncidentPoster({
    client: app.client, store: deps.store, clock: deps.clock, routing: config.routing, minUpdateIntervalMs: config.minUpdateInterval, log: deps.log,
    ...(extraBlocks ? { extraBlocks } : {}),
    claim,
  });
  const refresh = (id: string) => {
    poster.touch(id);
    poster.flush().catch((e: unknown) => deps.log.warn({ err: e, incidentId: id }, "Could not update the incident post after a change; the loop retries."));
  };
  const commandDeps: CommandDeps = {
    store: deps.store,
    clock: deps.clock,
    access: config.access,
    rules: deps.rules,
    ...(deps.draft === undefined ? {} : { draft: deps.draft }),
    log: deps.log,
    ...(deps.jobsText ? { jobsText: deps.jobsText } : {}),
    ...(deps.probeHosts === undefined ? {} : { probe: probeOnDemand(deps, deps.probeHosts) }),
    // A person acted: update the post now rather than at the next loop.
    onChange: refresh,
  };
  if (guard && shelf) {
    const groupsOf = createGroupResolver({ client: app.client, clock: deps.clock, config: guard.config, log: deps.log });
    registerRemediation(app, { guard, store: deps.store, clock: deps.clock, log: deps.log, shelf, groupsOf, refresh });
  }

  // ack() at once (Slack wants it within 3 s), then the work, answered through response_url.
  app.command("/firewatch", async ({ command, ack, respond, client }) => {
    await ack();
    const reply = await runCommand(command.text, { userId: command.user_id, channelId: command.channel_id }, commandDeps);
    await deliver(reply, respond, client, command.channel_id, deps.log);
  });

  app.action(new RegExp(`^(${Object.keys(BUTTON_COMMAND).join("|")})$`), async ({ body, ack, respond, client }) => {
    await ack();
    const click = ButtonPayload.safeParse(body);
    if (!click.success) return void (await respond({ response_type: "ephemeral", replace_original: false, text: "⚠️ That button's payload was not understood." }));
    const action = click.data.actions[0];
    const channelId = click.data.channel?.id ?? click.data.container?.channel_id ?? "";
    const sub = action ? BUTTON_COMMAND[action.action_id] : undefined;
    if (!action || !sub) return;
    // The value is only a lookup key: runCommand validates it as an incident id and checks the clicker's access.
    const text = sub === "silence" ? `silence ${action.value} 1h` : `${sub} ${action.value}`;
    const reply = await runCommand(text, { userId: click.data.user.id, channelId }, commandDeps);
    await deliver(reply, respond, client, channelId, deps.log);
  });

  let loop: AbortController | undefined;
  return {
    app,
    poster,
    async start() {
      // init() checks the token with auth.test; start() starts the receiver (or opens the socket).
      await app.init();
      await app.start();
      return receiver?.port;
    },
    runPoster(everyMs) {
      loop?.abort();
      const ctl = new AbortController();
      loop = ctl;
      void (async () => {
        while (!ctl.signal.aborted) {
          try {
            await poster.resync();
            await poster.flush();
          } catch (e) {
            deps.log.error({ err: e, component: "bot" }, "A poster round failed; incident posts wait for the next round.");
          }
          await deps.clock.sleep(everyMs, ctl.signal).catch(() => undefined);
        }
      })();
      // The store's change feed, read often and cheaply: what another process changed shows on the post in seconds.
      void (async () => {
        while (!ctl.signal.aborted) {
          try {
            if ((await poster.follow()) > 0) await poster.flush();
          } catch (e) {
            deps.log.warn({ err: e, component: "bot" }, "Reading the store's change feed failed; the next round retries.");
          }
          await deps.clock.sleep(DEFAULT_FOLLOW_INTERVAL_MS, ctl.signal).catch(() => undefined);
        }
      })();
    },
    async stop() {
      loop?.abort();
      await app.stop();
    },
  };
}
