// ActionProbes answered by the real probes floor on named hosts: the adapter between the guard and src/probes.
import type { Host } from "../hosts/index.js";
import { containerState, portOwner, ProbeError, unitStatus } from "../probes/index.js";
import type { ActionProbes } from "./probes.js";

export interface HostProbeDeps {
  /** The configured host by name; undefined for a host firewatch does not know (the probe then rejects). */
  host(name: string): Host | undefined;
  /** `docker -H` for container questions, from config: one for every host, or per host (undefined: docker's default). */
  readonly dockerHost?: string | ((host: string) => string | undefined);
  /** Failed jobs of a queue (the jobs floor's queue reader); injected because it talks to Redis, not to a host. */
  failedJobCount(host: string, queue: string): Promise<number>;
}

/** Builds the guard's probe door from the probes floor; every question runs read-only argv on the named host. */
export function createHostProbes(deps: HostProbeDeps): ActionProbes {
  const ctx = (name: string) => {
    const host = deps.host(name);
    if (!host) throw new ProbeError("guard", "host_failed", `no configured host named ${JSON.stringify(name)}`);
    const docker = typeof deps.dockerHost === "function" ? deps.dockerHost(name) : deps.dockerHost;
    return docker === undefined ? { host } : { host, dockerHost: docker };
  };
  return {
    async portHolder(host, port, unit, container) {
      const o = await portOwner.run(ctx(host), { port: Number(port), ...(unit === undefined ? {} : { unit }), ...(container === undefined ? {} : { container }) });
      if (!o.listening || o.pid === undefined) return undefined;
      // MainPID or cgroup: either one makes it the unit's; both unknown stays unknown (and the guard will not kill).
      const inUnit = o.isMainPid === true || o.inUnit === true ? true : o.isMainPid === false && o.inUnit === false ? false : undefined;
      const others = o.holders.filter((h) => h !== o.pid).map(String);
      return { pid: String(o.pid), command: o.command ?? "?", inUnit, inContainer: o.inContainer, otherHolders: others, ppid: o.ppid === undefined ? undefined : String(o.ppid), user: o.user };
    },
    async unitState(host, unit, scope) {
      const s = await unitStatus.run(ctx(host), { unit, user: scope === "user" });
      if (s.loadState === "not-found") return undefined;
      return { mainPid: String(s.mainPid ?? 0), activeState: s.activeState ?? "unknown", subState: s.subState ?? "unknown", nRestarts: s.nRestarts ?? 0 };
    },
    async containerState(host, container) {
      try {
        const c = await containerState.run(ctx(host), { container });
        return { running: c.running, restarting: c.restarting, restartCount: c.restartCount, exitCode: c.exitCode };
      } catch (e) {
        // `docker inspect` of a container that does not exist says "No such container/object": that is an answer.
        if (e instanceof ProbeError && e.reason === "command_failed" && /no such (?:container|object)/i.test(e.message)) return undefined;
        throw e;
      }
    },
    failedJobCount: (host, queue) => deps.failedJobCount(host, queue),
  };
}
