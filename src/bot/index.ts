// The bot floor's public surface: Slack request verification, Block Kit for incidents, posts updated in place, /firewatch.

/** createRequestVerifier(opts): a v0 signature check with a 5-minute window and a bounded replay cache; signSlackRequest signs like Slack. */
export {
  createRequestVerifier,
  signSlackRequest,
  MAX_REQUEST_AGE_MS,
  DEFAULT_REPLAY_CACHE_SIZE,
  type SignedRequest,
  type VerifierOptions,
  type VerifyOutcome,
  type VerifyRefusal,
} from "./verify.js";
/** incidentMessage(stored): the post updated in place; evidenceMessage(stored): its thread; both within Block Kit limits. */
export { incidentMessage, evidenceMessage, ACTION_IDS, type Block, type SlackMessage } from "./blocks.js";
/** Escaping of log text for mrkdwn (no mentions, links or markup from logs) and Slack's limits. */
export { escapeMrkdwn, escapeMrkdwnInline, codeBlockMrkdwn, truncate, truncatePlain, SLACK_LIMITS } from "./mrkdwn.js";
/** createIncidentPoster(opts): one post per incident, updated in place (coalesced), 429-aware, idempotent across restarts. */
export {
  createIncidentPoster,
  DEFAULT_MIN_UPDATE_INTERVAL_MS,
  METADATA_EVENT_TYPE,
  POST_INTENT_ACTION,
  type FlushReport,
  type IncidentPoster,
  type PosterOptions,
} from "./poster.js";
/** channelFor(incident, routing): the channel by rule, then severity, then default; SlackRoutingSchema validates routing. */
export { channelFor, SlackRoutingSchema, type SlackRouting } from "./routing.js";
/** classifySlackError(e): rate_limited (with Retry-After), gone, transient or fatal. */
export { classifySlackError, type SlackFailure } from "./slack-errors.js";
/** createSlackClient(opts): a WebClient that surfaces 429s and failures instead of retrying inside the call. */
export { createSlackClient, type SlackClientOptions } from "./client.js";
/** runCommand(text, caller, deps): one /firewatch subcommand → a reply; usage on bad input, never a stack trace. */
export { runCommand, USAGE, MAX_SILENCE_MS, type CommandDeps, type CommandReply, type Caller } from "./slash-command.js";
/** checkAccess(access, subcommand, caller): user and channel allow-lists per subcommand. */
export { checkAccess, GUARDED_SUBCOMMANDS, openAccessWarning, SlackAccessSchema, SUBCOMMANDS, type SlackAccess, type Subcommand, type Allow } from "./access.js";
/** SlackConfigSchema: tokens, receiver, routing, access; slackOffReason(env) says why Slack is off. */
export { SlackConfigSchema, SlackJobsSchema, slackConfigFromEnv, slackOffReason, type SlackConfig, type SlackJobs } from "./config.js";
/** SignedHttpReceiver: Bolt receiver that verifies every request (signature, window, replay) before Bolt sees it. */
export { SignedHttpReceiver, MAX_BODY_BYTES, type SignedHttpReceiverOptions } from "./http-receiver.js";
/** createBot(config, deps): the Bolt app with /firewatch, the buttons and the poster loop, HTTP or Socket Mode. */
export { createBot, type Bot, type BotDeps } from "./app.js";
/** startSlack(config, deps): what `firewatch bot` and `firewatch watch` start — receiver, buttons, poster loop. */
export { startSlack, type SlackService } from "./slack-service.js";
/** Remediation buttons: the guard bundle startSlack takes, the click handlers, and their Block Kit. */
export { registerRemediation, DENIED_ACTION, type RemediationDeps, type SlackGuard } from "./action-clicks.js";
export { remediationBlocks, offerCommand, outcomeMessage, approvalRequestMessage, REMEDIATION_IDS, MAX_OFFERS, type RemediationOffer } from "./action-blocks.js";
/** Signed button tokens kept until they near expiry, so unchanged posts are not re-sent. */
export { createTokenShelf, type TokenShelf } from "./token-shelf.js";
/** The guard's Slack user groups a user is in (usergroups.users.list, cached a minute). */
export { createGroupResolver, policyGroups, GROUP_CACHE_MS } from "./user-groups.js";
/** `/firewatch jobs` over the configured BullMQ queues. */
export { createJobsText, NO_QUEUE_CONFIGURED } from "./jobs-text.js";
/** slackGuardFrom(config, store, clock): the guard kit for startSlack from firewatch.yaml's guard and hosts, or why not. */
export { slackGuardFrom, type GuardSetupConfig, type SlackGuardSetup } from "./guard-setup.js";
