// The guard behind the remediation buttons, from firewatch.yaml's guard and hosts: hosts opened on first use, the secret.
import { createGuardKit, dockerHostOf, ownPortsOf, type DockerSources, type GuardConfig, type GuardKit, type GuardKitDeps } from "../actions/index.js";
import { isFirewatchError } from "../errors.js";
import { lazyHosts, type Host, type HostConfig } from "../hosts/index.js";
import type { JobsSide, QueuePlacesConfig } from "../jobs/index.js";
import type { Rule } from "../rules/index.js";
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
  /** Where firewatch's own store and health endpoint listen (their holders are never killed). */
  readonly store?: { readonly url?: string | undefined };
  readonly health?: { readonly port: number };
  /** The Slack receiver's port (HTTP mode). */
  readonly slackReceiver?: { readonly port: number; readonly socketMode: boolean };
  readonly hosts: Readonly<Record<string, HostConfig>>;
  /**
   * The docker sources say where each host's Docker daemon listens; container probes and restarts ask that one.
   * The bullmq sources say where each host's job queues are: clean_failed_jobs and its counts use them.
   */
  readonly sources?: readonly (DockerSources["sources"][number] & NonNullable<QueuePlacesConfig["sources"]>[number])[];
  /** `/firewatch jobs`' queues: used for clean_failed_jobs on any host when no bullmq source names the queue. */
  readonly slack?: QueuePlacesConfig["slack"];
  /** Rule directories added to the built-ins (which categories a clean may remove comes from the rules). */
  readonly rules?: { readonly dirs: readonly string[] };
}

/**
 * clean_failed_jobs for the buttons, over the configured queues. The jobs floor (and bullmq, ~0.3 s to import) is
 * loaded on the first count or clean, never by a bot that has no queue to clean.
 */
function jobsSideFor(config: GuardSetupConfig, store: Store, host: (name: string) => Host | undefined): NonNullable<GuardKitDeps["jobs"]> & { close(): Promise<void> } {
  let side: Promise<JobsSide> | undefined;
  const get = (): Promise<JobsSide> =>
    (side ??= Promise.all([import("../jobs/index.js"), import("../rules/index.js")]).then(([jobs, rulesFloor]) => {
      let loaded: Promise<{ rules: Rule[]; match: ReturnType<typeof rulesFloor.createMatcher> }> | undefined;
      return jobs.createJobsSide({
        places: jobs.queuePlaces(config),
        rules: () =>
          (loaded ??= rulesFloor.loadRules({ dirs: [...(config.rules?.dirs ?? [])] }).then((rules) => ({ rules, match: rulesFloor.createMatcher(rulesFloor.compileRules(rules)) }))),
        host,
        appendAudit: (e) => store.appendAudit(e),
        actor: "firewatch:guard",
      });
    }));
  return {
    failedJobCount: async (h, queue) => (await get()).failedJobCount(h, queue),
    cleanFailedJobs: async (h, queue) => (await get()).cleanFailedJobs(h, queue),
    close: async () => {
      if (side) await (await side).close();
    },
  };
}

/**
 * For `firewatch bot --config` and `firewatch watch` alike. Wires the guard when firewatch.yaml enables an action: configured hosts (opened when a probe or an action first needs
 * them), the store for approvals, grants and nonces, and the token secret. A missing or weak secret turns the buttons
 * off with the reason rather than stopping the bot: /firewatch and the posts work without them.
 */
export async function slackGuardFrom(config: GuardSetupConfig, store: Store, clock: Clock): Promise<SlackGuardSetup> {
  const hosts = lazyHosts(config.hosts, { clock });
  const host = (name: string): Host | undefined => hosts.host(name);
  let jobs: ReturnType<typeof jobsSideFor> | undefined;
  const close = async () => void (await Promise.allSettled([hosts.close(), jobs?.close()]));
  if (Object.keys(config.guard.actions).length === 0) return { kit: undefined, off: "no action is enabled in the guard section of firewatch.yaml", close };
  try {
    const dockerHost = config.sources === undefined ? undefined : dockerHostOf({ sources: config.sources });
    // Without a configured queue the kit's own "no job queue is configured" stays the answer.
    // (The places themselves are built with the jobs floor, loaded on first use; this only asks whether any exist.)
    const anyQueue = (config.sources ?? []).some((src) => src.kind === "bullmq" && src.redis !== undefined) || config.slack?.jobs !== undefined;
    if (anyQueue) jobs = jobsSideFor(config, store, host);
    const ownPorts = ownPortsOf({ ...(config.store ? { store: config.store } : {}), ...(config.health ? { health: config.health } : {}), ...(config.slackReceiver ? { slack: config.slackReceiver } : {}) });
    const kit = await createGuardKit({ config: config.guard, store, clock, host, ownPorts, ...(dockerHost === undefined ? {} : { dockerHost }), ...(jobs === undefined ? {} : { jobs }) });
    return { kit, off: undefined, close };
  } catch (e) {
    if (isFirewatchError(e) && e.code === "config_invalid") return { kit: undefined, off: e.message.split("\n")[0] ?? e.code, close };
    throw e;
  }
}
