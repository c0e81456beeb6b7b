// Builds the guard with everything it runs with (tokens, probes, executor) from config: for `act`, `watch` and `bot`.
import type { Host } from "../hosts/index.js";
import type { Clock } from "../time.js";
import { actuatorHosts, actuatorLookup, createActuatorClient, type ActuatorClient } from "./actuator-client.js";
import type { Executor } from "./execute.js";
import { createGuard, type Guard } from "./guard.js";
import { APPROVAL_NS, GRANT_NS, openApproval, openGrant, type GuardStore } from "./guard-store.js";
import { auditEvent } from "./plan.js";
import { createHostExecutor } from "./host-executor.js";
import { matchesAny, selfScope, type GuardConfig, type SelfScope } from "./policy.js";
import { createReadinessCache, type ActionReadiness } from "./rights.js";
import { createHostProbes } from "./probe-door.js";
import type { ActionProbes } from "./probes.js";
import { readGuardSecret } from "./secret.js";
import { createStoreNonceLedger } from "./store-nonce-ledger.js";
import { createTokenService, type TokenService } from "./token.js";

/** The part of firewatch.yaml that says where each host's Docker daemon listens: its docker sources. */
export interface DockerSources {
  readonly sources: readonly { readonly kind: string; readonly host?: string | undefined; readonly socketPath?: string | undefined }[];
}

/**
 * `docker -H` per host, from the socketPath of a docker source on that host (undefined: the docker CLI's default,
 * DOCKER_HOST or /var/run/docker.sock there). Containers are asked where the logs are read.
 */
export function dockerHostOf(config: DockerSources): (host: string) => string | undefined {
  return (host) => {
    const s = config.sources.find((x) => x.kind === "docker" && (x.host ?? "local") === host && x.socketPath !== undefined);
    return s?.socketPath === undefined ? undefined : `unix://${s.socketPath}`;
  };
}

export interface GuardKitDeps {
  readonly config: GuardConfig;
  readonly store: GuardStore;
  readonly clock: Clock;
  /** Configured hosts by name (undefined: unknown, nothing runs there). */
  host(name: string): Host | undefined;
  /** `docker -H` for container probes and docker commands, from config: one URL, or per host (see dockerHostOf). */
  readonly dockerHost?: string | ((host: string) => string | undefined);
  /** The job queue side of clean_failed_jobs; absent: that action fails with a reason, nothing is removed. */
  readonly jobs?: {
    failedJobCount(host: string, queue: string): Promise<number>;
    cleanFailedJobs(host: string, queue: string): Promise<{ removed: number; detail: string }>;
  };
  /** Per command of the executor; default 30 s. */
  readonly timeoutMs?: number;
  /** firewatch's own ports (ownPortsOf): kill_port_owner never stops their holders. */
  readonly ownPorts?: readonly number[];
  /** The user whose processes count as firewatch's own (the actuator: the daemon's user); default this process's. */
  readonly selfUser?: string;
}

/** The ports firewatch itself depends on or listens on: its store's Redis, the health endpoint, the Slack receiver. */
export function ownPortsOf(config: { store?: { url?: string | undefined }; health?: { port: number }; slack?: { port?: number; socketMode?: boolean } | undefined }): number[] {
  const ports: number[] = [];
  const url = config.store?.url;
  if (url !== undefined && /^rediss?:\/\//.test(url)) {
    try {
      ports.push(Number(new URL(url).port || "6379"));
    } catch {
      // An unparseable URL fails when the store opens; nothing to protect here.
    }
  }
  if (config.health && config.health.port > 0) ports.push(config.health.port);
  const slackPort = config.slack?.port;
  if (slackPort !== undefined && config.slack?.socketMode !== true && slackPort > 0) ports.push(slackPort);
  return ports;
}

/** What `startSlack`'s `guard` option and `firewatch act` need (interfaces.md sections 4 and 6). */
export interface GuardKit {
  readonly guard: Guard;
  readonly tokens: TokenService;
  readonly executor: Executor;
  readonly probes: ActionProbes;
  readonly config: GuardConfig;
  /** firewatch itself, for offerActions: never offered a kill of its own process, children or ports. */
  readonly self: SelfScope;
  /** The actuator on this machine (guard.actuator.socket), when configured; remote ones are reached per host. */
  readonly actuator: ActuatorClient | undefined;
  /** Whether each enabled action can run on a host with the rights firewatch has there (read once per few minutes). */
  readonly readiness: (host: string) => Promise<readonly ActionReadiness[] | undefined>;
}

const noJobs = {
  failedJobCount: (): Promise<number> => Promise.reject(new Error("no job queue is configured for this firewatch")),
  cleanFailedJobs: (): Promise<{ removed: number; detail: string }> => Promise.reject(new Error("no job queue is configured for this firewatch")),
};

/** Reads the token secret (rejects with config_invalid when there is none) and wires one guard over the store. */
export async function createGuardKit(deps: GuardKitDeps): Promise<GuardKit> {
  const secret = await readGuardSecret(deps.config);
  const jobs = deps.jobs ?? noJobs;
  const tokens = createTokenService({ clock: deps.clock, secret, nonces: createStoreNonceLedger({ clock: deps.clock, store: deps.store }) });
  const a = deps.config.actuator;
  const actuator = a === undefined ? undefined : createActuatorClient({ socket: a.socket });
  // Each served host's actuator: the one on this machine, or the host's own reached over its SSH link.
  const actuatorOf = actuatorLookup(a, (n) => deps.host(n), actuator);
  // Probes keep firewatch's own rights; only "who holds this port" is asked through the actuator, which can see it.
  const probeHost = actuatorHosts(a, (n) => deps.host(n), actuatorOf);
  const probes = createHostProbes({ host: probeHost, failedJobCount: jobs.failedJobCount, ...(deps.dockerHost === undefined ? {} : { dockerHost: deps.dockerHost }) });
  const executor = createHostExecutor({
    host: (n) => deps.host(n), cleanFailedJobs: jobs.cleanFailedJobs, sudo: (n) => matchesAny(deps.config.sudo, n),
    ...(deps.timeoutMs === undefined ? {} : { timeoutMs: deps.timeoutMs }), ...(deps.dockerHost === undefined ? {} : { dockerHost: deps.dockerHost }),
  });
  const self = selfScope(deps.ownPorts ?? [], deps.selfUser);
  const own = createGuard({ clock: deps.clock, store: deps.store, tokens, probes, config: deps.config, self });
  const readiness = createReadinessCache({ config: deps.config, host: (n) => deps.host(n), clock: deps.clock, actuator: actuatorOf, dockerHost: deps.dockerHost });
  if (a === undefined) return { guard: own, tokens, executor, probes, config: deps.config, self, actuator, readiness };
  // A grant for a host the actuator serves is run there (it takes the grant, checks it and the precondition with its
  // own rights, runs the command, audits); this process only reads it to know where it goes.
  const guard: Guard = {
    authorize: (r) => own.authorize(r),
    // An approval here is run here: without a way to the actuator it would be used up for a run that cannot happen.
    async approve(r) {
      const pending = openApproval(tokens, r.approvalId, await deps.store.getRecord(APPROVAL_NS, r.approvalId));
      const there = pending === undefined ? undefined : actuatorOf(pending.plan.host);
      if (pending !== undefined && there !== undefined) {
        const down = await there.hello().then(() => undefined, (e: unknown) => (e instanceof Error ? e.message.split("\n")[0] ?? "" : String(e)));
        if (down !== undefined) {
          const detail = `${down}; the request stays pending for an approver whose firewatch can reach the actuator`;
          await auditEvent({ clock: deps.clock, store: deps.store }, r.requester.user, "refused", pending.plan, { result: "refused", reason: "executor_unavailable", detail });
          return { kind: "refused", reason: "executor_unavailable", detail };
        }
      }
      return own.approve(r);
    },
    async execute(grantId, ex) {
      const g = openGrant(tokens, grantId, await deps.store.getRecord(GRANT_NS, grantId));
      const there = g === undefined ? undefined : actuatorOf(g.plan.host);
      if (g === undefined || there === undefined) return own.execute(grantId, ex);
      try {
        return await there.execute(grantId);
      } catch (e) {
        const detail = e instanceof Error ? e.message.split("\n")[0] ?? "" : String(e);
        await auditEvent({ clock: deps.clock, store: deps.store }, g.plan.approvedBy ?? g.plan.requestedBy, "failed", g.plan, { result: "failed", stage: "actuator", detail });
        return { status: "failed", plan: g.plan, detail };
      }
    },
  };
  return { guard, tokens, executor, probes, config: deps.config, self, actuator, readiness };
}
