// Configured hosts handed out at once and opened on their first command (SSH keys are read and the link made then).
import type { Clock } from "../time.js";
import { openHost, type HostConfig } from "./config.js";
import { HostError, type Host } from "./host.js";

export interface LazyHosts {
  /** The named configured host, or undefined for a name firewatch.yaml does not list. */
  host(name: string): Host | undefined;
  /** Closes the hosts that were opened (SSH links, their remote processes). */
  close(): Promise<void>;
}

/**
 * Commands that act or probe now and then (act, probe, the Slack guard and /firewatch probe) need a host only when
 * they reach it: a host that is never asked is never connected. With `implicitLocal`, "local" is this machine even
 * when the config lists only SSH hosts (incidents from local sources name it).
 */
export function lazyHosts(configs: Readonly<Record<string, HostConfig>>, deps: { clock?: Clock; implicitLocal?: boolean } = {}): LazyHosts {
  const opened = new Map<string, Promise<Host>>();
  const open = (name: string, entry: HostConfig): Promise<Host> => {
    let p = opened.get(name);
    if (p === undefined) {
      p = openHost(name, entry, deps.clock === undefined ? {} : { clock: deps.clock });
      opened.set(name, p);
    }
    return p;
  };
  return {
    host(name) {
      const entry = Object.hasOwn(configs, name) ? configs[name] : name === "local" && deps.implicitLocal === true ? ({ kind: "local" } as const) : undefined;
      if (entry === undefined) return undefined;
      const get = () => open(name, entry);
      return {
        name, exec: async (argv, o) => (await get()).exec(argv, o), spawn: async (argv, o) => (await get()).spawn(argv, o), close: async () => (await get()).close(),
        async openUnixSocket(path, signal) {
          const h = await get();
          if (h.openUnixSocket === undefined) throw new HostError(name, "invalid_argument", `${name} is this machine: connect to ${path} directly, not through a host link`);
          return h.openUnixSocket(path, signal);
        },
      };
    },
    async close() {
      await Promise.allSettled([...opened.values()].map(async (p) => (await p).close()));
    },
  };
}
