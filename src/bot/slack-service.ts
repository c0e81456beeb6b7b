// What `firewatch bot` and `firewatch watch` start when Slack is configured: the app, its receiver, buttons and the poster.
import { lazyHosts, type HostConfig } from "../hosts/index.js";
import type { UpsertResult } from "../store/index.js";
import type { SlackGuard } from "./action-clicks.js";
import { openAccessWarning } from "./access.js";
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
    throw e;
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
