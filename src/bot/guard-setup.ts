// The guard behind the remediation buttons, from firewatch.yaml's guard and hosts: hosts opened on first use, the secret.
import { createGuardKit, dockerHostOf, type DockerSources, type GuardConfig, type GuardKit } from "../actions/index.js";
import { isFirewatchError } from "../errors.js";
import { openHost, type Host, type HostConfig } from "../hosts/index.js";
import type { Store } from "../store/index.js";
import type { Clock } from "../time.js";

export interface SlackGuardSetup {
  /** The guard for startSlack, or why the remediation buttons are off (one sentence). */
  readonly kit: GuardKit | undefined;
  readonly off: string | undefined;
  /** Closes the hosts the guard opened. */
  close(): Promise<void>;
}

/** The parts of firewatch.yaml the guard needs (FirewatchConfig has them). */
export interface GuardSetupConfig {
  readonly guard: GuardConfig;
  readonly hosts: Readonly<Record<string, HostConfig>>;
  /** The docker sources say where each host's Docker daemon listens; container probes and restarts ask that one. */
  readonly sources?: DockerSources["sources"];
}

/**
 * For `firewatch bot --config` and `firewatch watch` alike. Wires the guard when firewatch.yaml enables an action: configured hosts (opened when a probe or an action first needs
 * them), the store for approvals, grants and nonces, and the token secret. A missing or weak secret turns the buttons
 * off with the reason rather than stopping the bot: /firewatch and the posts work without them.
 */
export async function slackGuardFrom(config: GuardSetupConfig, store: Store, clock: Clock): Promise<SlackGuardSetup> {
  const opened: Promise<Host>[] = [];
  const close = async () => void (await Promise.allSettled(opened.map(async (h) => (await h).close())));
  if (Object.keys(config.guard.actions).length === 0) return { kit: undefined, off: "no action is enabled in the guard section of firewatch.yaml", close };
  const hosts = new Map<string, Promise<Host>>();
  const host = (name: string): Host | undefined => {
    const entry = config.hosts[name];
    if (!entry) return undefined;
    const get = (): Promise<Host> => {
      let p = hosts.get(name);
      if (!p) {
        p = openHost(name, entry, { clock });
        hosts.set(name, p);
        opened.push(p);
      }
      return p;
    };
    return { name, exec: async (argv, o) => (await get()).exec(argv, o), spawn: async (argv, o) => (await get()).spawn(argv, o), close: async () => (await get()).close() };
  };
  try {
    const dockerHost = config.sources === undefined ? undefined : dockerHostOf({ sources: config.sources });
    return { kit: await createGuardKit({ config: config.guard, store, clock, host, ...(dockerHost === undefined ? {} : { dockerHost }) }), off: undefined, close };
  } catch (e) {
    if (isFirewatchError(e) && e.code === "config_invalid") return { kit: undefined, off: e.message.split("\n")[0] ?? e.code, close };
    throw e;
  }
}
