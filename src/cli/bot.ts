// `firewatch bot`: the Slack app alone — /firewatch, the post buttons, and incident posts from the store.
import { readFile } from "node:fs/promises";
import { once } from "node:events";
import { Command, Option } from "commander";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { dockerHostOf } from "../actions/index.js";
import { SlackConfigSchema, slackConfigFromEnv, slackGuardFrom, slackOffReason, startSlack, type BotDeps, type SlackConfig } from "../bot/index.js";
import { loadConfig, storeSpecOf, type FirewatchConfig } from "../config/index.js";
import { draftProse, readLlmConfig } from "../report/index.js";
import { FirewatchError } from "../errors.js";
import { loadRules, type Rule } from "../rules/index.js";
import { openStore, parseStoreSpec, type StoreSpec } from "../store/index.js";
import { parseDuration, systemClock, type Clock } from "../time.js";
import { createLogger, type Logger } from "./logger.js";

/** Where `bot` reads and writes; tests pass their own (and a signal to stop it). */
/**
 * `/firewatch report` with model-drafted prose when a model is configured (FIREWATCH_LLM__*, docs/llm.md), the same
 * drafting `analyze --llm` uses; a failed draft leaves the complete template report with one line saying why.
 */
export function reportDrafting(io: Pick<BotIo, "env" | "clock">): { draft?: NonNullable<BotDeps["draft"]> } {
  const read = readLlmConfig(io.env);
  const config = "config" in read ? read.config : undefined;
  if (config === undefined) return {};
  return {
    draft: async (incident, rules) => {
      const result = await draftProse(incident, rules, { config, now: () => io.clock.now(), sleep: (ms, signal) => io.clock.sleep(ms, signal) });
      return result.prose !== undefined ? { prose: result.prose } : { note: `the model was not used: ${result.reason ?? "no draft"}` };
    },
  };
}

export interface BotIo {
  readonly env: NodeJS.ProcessEnv;
  readonly stderr: { write(s: string): unknown };
  readonly clock: Clock;
  readonly log?: Logger;
  /** Stops the bot; by default SIGINT or SIGTERM. */
  readonly signal?: AbortSignal;
  /** Called once it listens (HTTP port) or is connected (Socket Mode: undefined). */
  readonly onReady?: (port: number | undefined) => void;
}

const defaultIo: BotIo = { env: process.env, stderr: process.stderr, clock: systemClock };

const Section = z.record(z.string(), z.unknown());

async function readSection(file: string | undefined): Promise<Record<string, unknown>> {
  if (file === undefined) return {};
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    throw new FirewatchError("input_missing", `cannot read ${file}`, { cause: e });
  }
  const doc = Section.safeParse(parseYaml(text) ?? {});
  if (!doc.success) throw new FirewatchError("config_invalid", `${file}: expected a YAML mapping`);
  // Accept either a whole firewatch.yaml (with a `slack:` key) or just the slack section.
  const slack = Section.safeParse(doc.data["slack"]);
  return slack.success ? slack.data : doc.data;
}

interface BotFlags {
  config?: string;
  slackConfig?: string;
  poll: string;
  store?: string;
  namespace: string;
  onCorrupt: "refuse" | "move-aside";
}

interface BotSetup {
  readonly slack: SlackConfig;
  readonly store: StoreSpec;
  /** The whole firewatch.yaml when --config was given (guard, hosts, rules). */
  readonly config: FirewatchConfig | undefined;
}

/** The Slack config and store from firewatch.yaml (--config), or from FIREWATCH_SLACK__* and --slack-config. */
async function setupOf(o: BotFlags, io: BotIo): Promise<BotSetup> {
  if (o.config !== undefined) {
    const config = await loadConfig({ file: o.config, env: io.env });
    if (config.slack === undefined) throw new FirewatchError("usage", `Slack is off: ${o.config} has no slack section`, { hint: "install the app from slack-app.yaml; docs/slack.md says how" });
    return { slack: config.slack, store: o.store !== undefined ? parseStoreSpec(o.store, io.env) : storeSpecOf(config, io.env), config };
  }
  const off = slackOffReason(io.env);
  if (off !== undefined) throw new FirewatchError("usage", off, { hint: "install the app from slack-app.yaml; docs/slack.md says how" });
  const parsed = SlackConfigSchema.safeParse(slackConfigFromEnv(io.env, await readSection(o.slackConfig)));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new FirewatchError("config_invalid", `slack.${issue?.path.join(".") ?? ""}: ${issue?.message ?? "invalid"}`, { hint: "see docs/slack.md" });
  }
  return { slack: parsed.data, store: parseStoreSpec(o.store ?? io.env["FIREWATCH_STORE"], io.env), config: undefined };
}

function stopSignal(io: BotIo): AbortSignal {
  if (io.signal) return io.signal;
  const ctl = new AbortController();
  for (const sig of ["SIGINT", "SIGTERM"] as const) process.once(sig, () => ctl.abort());
  return ctl.signal;
}

/** Registers `bot` on the program. */
export function registerBot(program: Command, io: BotIo = defaultIo): void {
  program
    .command("bot")
    .summary("Run the Slack app: /firewatch, the incident post buttons, and posts updated in place")
    .option("--config <file>", "firewatch.yaml: its slack, store, guard and hosts sections (the guard enables the remediation buttons)")
    .option("--slack-config <file>", "without --config: YAML with routing and access (a firewatch.yaml with a slack: section, or the section alone)")
    .option("--poll <duration>", "how often to read the store for new or changed incidents", "10s")
    .option("--store <spec>", "sqlite:FILE, file:DIR or redis://HOST:PORT (default: firewatch.db in $FIREWATCH_DATA_DIR or ~/.local/state/firewatch)")
    .option("--namespace <ns>", "Redis key namespace", "firewatch")
    .addOption(new Option("--on-corrupt <mode>", "a corrupt state file: refuse, or move it aside and start empty").choices(["refuse", "move-aside"]).default("refuse"))
    .addHelpText(
      "after",
      `
Tokens come from the environment, never from flags:
  FIREWATCH_SLACK__BOT_TOKEN (xoxb-...), FIREWATCH_SLACK__SIGNING_SECRET (HTTP),
  FIREWATCH_SLACK__APP_TOKEN (xapp-..., with FIREWATCH_SLACK__SOCKET_MODE=true), FIREWATCH_SLACK__CHANNEL (C...).

Examples:
  FIREWATCH_SLACK__BOT_TOKEN=xoxb-... FIREWATCH_SLACK__SIGNING_SECRET=... FIREWATCH_SLACK__CHANNEL=C0123ABC firewatch bot --store redis://127.0.0.1:6379
  firewatch bot --slack-config /etc/firewatch/firewatch.yaml --poll 30s
  FIREWATCH_GUARD__SECRET=... firewatch bot --config /etc/firewatch/firewatch.yaml   # with remediation buttons

Exit codes: 0 stopped by SIGINT/SIGTERM, 2 Slack not configured, bad config or store error`,
    )
    .action(async (o: BotFlags) => {
      const pollMs = parseDuration(o.poll);
      if (pollMs === undefined || pollMs < 1000) throw new FirewatchError("usage", `--poll ${o.poll}: expected a duration of at least 1s`);
      const setup = await setupOf(o, io);
      const log = io.log ?? createLogger({ debug: false });
      const store = await openStore(setup.store, { clock: io.clock, log }, { onCorrupt: o.onCorrupt, namespace: o.namespace });
      let rules: Promise<ReadonlyMap<string, Rule>> | undefined;
      const signal = stopSignal(io);
      const guard = setup.config ? await slackGuardFrom({ ...setup.config, ...(setup.config.slack ? { slackReceiver: setup.config.slack } : {}) }, store, io.clock).catch(async (e: unknown) => { await store.close(); throw e; }) : undefined;
      try {
        const off = guard ? guard.off : "start the bot with --config firewatch.yaml (a guard section) to offer them";
        if (off !== undefined) io.stderr.write(`firewatch bot: remediation buttons are off: ${off}\n`);
        const slack = await startSlack({ ...setup.slack, poll: pollMs }, {
          store,
          clock: io.clock,
          log,
          rules: () => (rules ??= loadRules({ dirs: setup.config?.rules.dirs ?? [] }).then((list) => new Map(list.map((r) => [r.id, r])))),
          ...reportDrafting(io),
          ...(guard?.kit ? { guard: guard.kit } : {}),
          ...(setup.config ? { hosts: setup.config.hosts, probeDockerHost: dockerHostOf(setup.config), probeAllowNet: setup.config.probes.network.allow } : {}),
        });
        try {
          io.stderr.write(
            slack.port === undefined
              ? "firewatch bot: connected to Slack over Socket Mode\n"
              : `firewatch bot: listening on http://${setup.slack.host}:${slack.port}/slack/events\n`,
          );
          io.onReady?.(slack.port);
          if (!signal.aborted) await once(signal, "abort");
        } finally {
          await slack.stop().catch(() => undefined);
        }
      } finally {
        await guard?.close();
        await store.close();
      }
    });
}
