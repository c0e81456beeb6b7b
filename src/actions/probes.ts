import type { Clock } from "../time.js";

// The read-only questions an action's pre- and postcondition ask; src/probes answers them, tests answer with fakes.

/** Who listens on a port, as the port-owner probe sees it. */
export interface PortHolder {
  readonly pid: string;
  readonly command: string;
  /**
   * True when the holder is the unit's MainPID or runs inside the unit's cgroup (then it is not a rogue); undefined
   * when the probe could not tell. Only `false` lets kill_port_owner act: what is not shown to be a rogue is not killed.
   */
  readonly inUnit: boolean | undefined;
  /**
   * Asked with a container (kill_port_owner's container form): true when the holder is the container's main PID or in
   * its cgroup; undefined when not asked or the probe could not tell. Only `false` lets the container form act.
   */
  readonly inContainer?: boolean | undefined;
  /** Other PIDs listening on the same port (workers sharing the socket, a v6 listener): then one kill frees nothing. */
  readonly otherHolders: readonly string[];
  /** Its parent PID and OS user, when the probe could read them (kill_port_owner's lists are checked against them). */
  readonly ppid?: string | undefined;
  readonly user?: string | undefined;
}

/** The listener kill_port_owner would stop, as the port-owner probe saw it (what its allow-lists are checked against). */
export interface HolderView {
  readonly port: number;
  readonly pid: number;
  readonly ppid: number | undefined;
  readonly command: string | undefined;
  readonly user: string | undefined;
}

export interface UnitState {
  readonly mainPid: string;
  readonly activeState: string;
  readonly subState: string;
  readonly nRestarts: number;
}

export interface ContainerState {
  readonly running: boolean;
  readonly restarting: boolean;
  readonly restartCount: number;
  readonly exitCode: number;
}

/**
 * The small door the guard needs to the probes floor. Each method answers for one host; `undefined` means the
 * thing does not exist there (no listener, no such unit or container). A probe that cannot run rejects.
 */
export interface ActionProbes {
  /** Who holds `port`; `unit` and `container` name the owner the port is meant for (inUnit / inContainer answer it). */
  portHolder(host: string, port: string, unit: string | undefined, container?: string): Promise<PortHolder | undefined>;
  unitState(host: string, unit: string, scope: "system" | "user"): Promise<UnitState | undefined>;
  containerState(host: string, container: string): Promise<ContainerState | undefined>;
  failedJobCount(host: string, queue: string): Promise<number>;
}

/** What a pre- or postcondition found: ok or not, and in words what the world looks like (shown to the user). */
export interface Check {
  readonly ok: boolean;
  readonly observed: string;
  /** A figure the postcondition compares with (restart count, failed jobs) when it has one. */
  readonly value?: number;
  /** kill_port_owner's precondition: the holder it would stop, for the guard's allow-list check. */
  readonly holder?: HolderView;
}

/** A condition over validated parameters, asked through the probes of the action's host. */
export type Precondition<P> = (params: P, host: string, probes: ActionProbes) => Promise<Check>;
/** A result check, given what the precondition saw before the action ran; `clock` for checks that watch over time. */
export type Postcondition<P> = (params: P, host: string, probes: ActionProbes, before: Check, clock: Clock) => Promise<Check>;
