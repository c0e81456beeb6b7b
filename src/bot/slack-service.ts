// What `firewatch bot` and `firewatch watch` start when Slack is configured: the app, its receiver, buttons and the poster.
import { lazyHosts, type HostConfig } from "../hosts/index.js";
import type { UpsertResult } from "../store/index.js";
import type { SlackGuard } from "./action-clicks.js";
import { FirewatchError } from "../errors.js";
import { openAccessWarning } from "./access.js";
import { classifySlackError } from "./slack-errors.js";
import { createBot, type BotDeps } from "./app.js";
import type { SlackConfig } from "./config.js";
import { createJobsText } from "./jobs-text.js";

export interface SlackService {
  /** The HTTP receiver's port; undefined in Socket Mode. */
  readonly port: number | undefined;
  /** A snapshot was stored (the daemon's commit): its post is created or updated now rather than at the next poll. */
  notify(result: UpsertResult): void;
  /** Stops the poster loop and the receiver (or socket). */
  stop(): Promise<void>;
}

/** What startSlack takes: the bot's deps, the guard, and firewatch.yaml's hosts when no opened ones are passed. */
export type SlackServiceDeps = BotDeps & {
  guard?: SlackGuard;
  /**
   * firewatch.yaml's hosts, for `/firewatch probe` when `probeHosts` is not given (`firewatch bot --config`): each is
   * opened on its first probe and closed by stop(). A daemon that opened its hosts passes `probeHosts` instead.
   */
  hosts?: Readonly<Record<string, HostConfig>>;
};

const TOKEN_REFUSALS = new Set(["invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired", "not_allowed_token_type"]);

/** Slack refusing the bot token at start is a configuration error (exit 2, one line), not a crash. */
function refusedToken(e: unknown): FirewatchError | undefined {
  // Bolt wraps the auth.test failure; the Web API error is the cause (or the error itself).
  for (let cur: unknown = e, depth = 0; cur !== undefined && depth < 4; depth++) {
    const f = classifySlackError(cur);
    if (f.kind === "fatal" && TOKEN_REFUSALS.has(f.error)) {
      return new FirewatchError("config_invalid", `Slack refused the bot token (${f.error})`, { cause: e, hint: "check FIREWATCH_SLACK__BOT_TOKEN (a bot token, xoxb-, of an installed app)" });
    }
    const text = cur instanceof Error ? cur.message : "";
    const code = [...TOKEN_REFUSALS].find((c) => text.includes(c));
    if (code !== undefined) return new FirewatchError("config_invalid", `Slack refused the bot token (${code})`, { cause: e, hint: "check FIREWATCH_SLACK__BOT_TOKEN (a bot token, xoxb-, of an installed app)" });
    cur = cur instanceof Error ? cur.cause : undefined;
  }
  return undefined;
}

/**
 * Starts Slack: checks the token (auth.test), starts the receiver, registers /firewatch and the buttons (remediation
 * ones only with `guard`), and runs the poster every `config.poll` ms. `/firewatch jobs` reads `config.jobs` queues
 * unless `deps.jobsText` is given. `/firewatch probe` runs on `deps.probeHosts`, else on `deps.hosts` opened lazily. Rejects when Slack refuses the token or the port is taken.
 */
export async function startSlack(config: SlackConfig, deps: SlackServiceDeps): Promise<SlackService> {
  const jobsText = deps.jobsText ?? (config.jobs ? createJobsText(config.jobs, { rules: deps.rules }) : undefined);
  const { hosts, ...botDeps } = deps;
  const lazy = botDeps.probeHosts === undefined && hosts !== undefined ? lazyHosts(hosts, { clock: deps.clock, implicitLocal: true }) : undefined;
  const bot = createBot(config, { ...botDeps, ...(jobsText ? { jobsText } : {}), ...(lazy ? { probeHosts: (n: string) => lazy.host(n) } : {}) });
  const stop = async () => {
    try {
      await bot.stop();
    } finally {
      await lazy?.close();
    }
  };
  let port: number | undefined;
  try {
    port = await bot.start();
  } catch (e) {
    await stop().catch(() => undefined);
    throw refusedToken(e) ?? e;
  }
  bot.runPoster(config.poll);
  let scheduled = false;
  const log = deps.log.child({ component: "bot" });
  const open = openAccessWarning(config.access);
  if (open !== undefined) log.warn({ errorType: "access_open" }, open);
  return {
    port,
    notify(result) {
      bot.poster.notify(result);
      if (scheduled) return;
      // One flush for a whole commit's worth of results (they arrive in the same tick).
      scheduled = true;
      void Promise.resolve()
        .then(() => {
          scheduled = false;
          return bot.poster.flush();
        })
        .catch((e: unknown) => log.warn({ err: e }, "A poster flush failed; the loop retries."));
    },
    stop,
  };
}
