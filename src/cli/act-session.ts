// What one `firewatch act` run works with: its io, the OS user it acts as, and the config/store/hosts/guard session.
import { localActor } from "./actor.js";
import { createGuardKit, dockerHostOf, ownPortsOf, type GuardKit, type Requester } from "../actions/index.js";
import { loadConfig, type FirewatchConfig } from "../config/index.js";
import { lazyHosts, type Host } from "../hosts/index.js";
import { openStore, parseStoreSpec, type Store } from "../store/index.js";
import { systemClock, type Clock } from "../time.js";
import { openActJobs, type ActJobs, type ActJobsRequest } from "./act-jobs.js";

/** Where the command reads and writes; tests pass their own. */
export interface ActIo {
  readonly stdout: { write(s: string): unknown };
  /** Where the plan and progress go with --format json (stdout then carries one JSON object); default stderr. */
  readonly stderr?: { write(s: string): unknown };
  readonly stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  readonly env: NodeJS.ProcessEnv;
  readonly clock: Clock;
  readonly setExitCode: (code: number) => void;
}

export const defaultIo = (setExitCode: (c: number) => void): ActIo => ({ stdout: process.stdout, stdin: process.stdin, env: process.env, clock: systemClock, setExitCode });

/** The flags every `act` form takes. */
export interface CommonFlags {
  config?: string;
  store?: string;
  namespace: string;
  yes?: boolean;
  format: "text" | "json";
}

/** The CLI's requester: the OS user, no groups, channel "cli" (list "cli" in an action's channels to allow the CLI). */
export const requester = (): Requester => ({ user: localActor(), groups: [], channel: "cli" });

export interface Session {
  readonly config: FirewatchConfig;
  /** A file store admits one process at a time: a waiting requester would lock the approver out (SQLite, Redis: shared). */
  readonly shared: boolean;
  readonly store: Store;
  readonly kit: GuardKit;
  readonly close: () => Promise<void>;
}

/** Loads the config, opens the store and the configured hosts (lazily), and wires the guard; close() releases all. */
export async function openSession(io: ActIo, f: CommonFlags, jobsFor?: ActJobsRequest): Promise<Session> {
  const config = await loadConfig({ file: f.config, env: io.env });
  const spec = parseStoreSpec(f.store ?? config.store.url ?? io.env.FIREWATCH_STORE, io.env);
  const store = await openStore(spec, { clock: io.clock }, { namespace: f.namespace, unavailableAfterMs: 5_000 });
  const hosts = lazyHosts(config.hosts, { clock: io.clock });
  const hostOf = (name: string): Host | undefined => hosts.host(name);
  let jobs: ActJobs | undefined;
  try {
    jobs = jobsFor ? await openActJobs(jobsFor, { config, store, actor: localActor(), host: hostOf }) : undefined;
    const kit = await createGuardKit({
      config: config.guard, store, clock: io.clock, host: hostOf,
      // Each host's container questions and docker commands go to the daemon its docker source reads.
      dockerHost: dockerHostOf(config), ownPorts: ownPortsOf(config), ...(jobs === undefined ? {} : { jobs }),
    });
    const close = async () => {
      await hosts.close();
      await jobs?.close();
      await store.close();
    };
    return { config, store, kit, shared: spec.kind !== "file", close };
  } catch (e) {
    await jobs?.close();
    await store.close();
    throw e;
  }
}
