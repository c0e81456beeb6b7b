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
