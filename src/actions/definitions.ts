// The four remediations as data: parameters and validators, destructive or not, the argv, and their checks.
import { z } from "zod";
import { ContainerRef, Pid, Port, QueueName, UnitName, UnitScope } from "./params.js";
import type { Clock } from "../time.js";
import type { ActionProbes, Check, PortHolder, Postcondition, Precondition } from "./probes.js";

export const ACTION_IDS = ["kill_port_owner", "restart_unit", "restart_container", "clean_failed_jobs"] as const;
export const ActionId = z.enum(ACTION_IDS);
export type ActionId = z.infer<typeof ActionId>;

/** What runs: an argv array on a host, or (for the job queue) the queue cleaner; never a shell string. */
export type ActionCommand =
  | { readonly kind: "argv"; readonly host: string; readonly argv: readonly string[] }
  | { readonly kind: "clean_failed_jobs"; readonly host: string; readonly queue: string };

export interface ActionDefinition<P extends object = Readonly<Record<string, string>>> {
  readonly id: ActionId;
  readonly title: string;
  /** Destructive actions need a second person's approval. */
  readonly destructive: boolean;
  readonly params: z.ZodType<P>;
  /** The name the allow-list's `targets` are matched against (unit, container or queue). */
  target(params: P): string;
  command(params: P, host: string): ActionCommand;
  readonly precondition: Precondition<P>;
  readonly postcondition: Postcondition<P>;
  /** A second step after a grace period, run only while `needed` still says so (a TERM that was ignored gets a KILL). */
  readonly escalation?: {
    readonly afterMs: number;
    needed(params: P, host: string, probes: ActionProbes): Promise<boolean>;
    command(params: P, host: string): ActionCommand;
  };
}

const ok = (observed: string, value?: number): Check => (value === undefined ? { ok: true, observed } : { ok: true, observed, value });
const no = (observed: string, value?: number): Check => (value === undefined ? { ok: false, observed } : { ok: false, observed, value });

// Exactly one owner. One strict object (not a union of two) so a refusal names the field that failed validation.
const KillParams = z
  .object({ pid: Pid, port: Port, unit: UnitName.optional(), container: ContainerRef.optional() })
  .strict()
  .refine((p) => (p.unit === undefined) !== (p.container === undefined), { message: "give exactly one of unit and container", path: ["unit"] });
type KillParams = z.infer<typeof KillParams>;

/** The owner the port is meant for, as words and as the portHolder question. */
function ownerOf(p: KillParams) {
  const { unit, container = "" } = p;
  return unit !== undefined
    ? { unit, container: undefined, name: unit, what: unit, holder: (host: string, probes: ActionProbes) => probes.portHolder(host, p.port, unit), mine: (h: PortHolder) => h.inUnit }
    : { unit: undefined, container, name: container, what: `container ${container}`, holder: (host: string, probes: ActionProbes) => probes.portHolder(host, p.port, undefined, container), mine: (h: PortHolder) => h.inContainer };
}

// A container with --restart always backs off (100 ms doubling up to a minute) before each try: give it that long to
// come up once the port is free, then watch it for a while so a container that starts and dies again is not "fixed".
const CONTAINER_UP_MS = 70_000;
const CONTAINER_POLL_MS = 1_000;
const CONTAINER_STABLE_MS = 5_000;

type Watched =
  | { readonly kind: "up"; readonly restartCount: number }
  | { readonly kind: "gone" }
  | { readonly kind: "down"; readonly restarting: boolean; readonly restartCount: number }
  | { readonly kind: "unstable"; readonly first: number; readonly now: number | undefined };

/** Waits for the container to run (up to CONTAINER_UP_MS), then watches it for CONTAINER_STABLE_MS. */
async function watchContainer(container: string, host: string, probes: ActionProbes, clock: Clock): Promise<Watched> {
  const end = clock.now() + CONTAINER_UP_MS;
  let s = await probes.containerState(host, container);
  while ((!s || !s.running || s.restarting) && clock.now() < end) {
    await clock.sleep(CONTAINER_POLL_MS);
    s = await probes.containerState(host, container);
  }
  if (!s) return { kind: "gone" };
  if (!s.running || s.restarting) return { kind: "down", restarting: s.restarting, restartCount: s.restartCount };
  const first = s.restartCount;
  await clock.sleep(CONTAINER_STABLE_MS);
  const again = await probes.containerState(host, container);
  if (!again || !again.running || again.restarting || again.restartCount !== first) return { kind: "unstable", first, now: again?.restartCount };
  return { kind: "up", restartCount: first };
}

/** The watch in words; `notUp` prefixes the "never came up" case (the kill form says the port is free first). */
function watchedCheck(container: string, w: Watched, notUp = ""): Check {
  switch (w.kind) {
    case "up": return ok(`container ${container} is running, RestartCount ${w.restartCount} stable over ${CONTAINER_STABLE_MS / 1000} s`, w.restartCount);
    case "gone": return no(`container ${container} is gone`);
    case "down": return no(`${notUp}container ${container} is ${w.restarting ? "still restarting" : "not running"} after ${CONTAINER_UP_MS / 1000} s`, w.restartCount);
    case "unstable": return no(`container ${container} came up but did not stay up (RestartCount ${w.first} → ${w.now ?? "gone"})`, w.now);
  }
}

// Seed 000: a process outside systemd (PPID 1) holds port 9003 and the unit restarts in a loop; with Docker's host
// networking the same happens to a container. Killing is right only while that same PID still holds the port and is
// shown not to be the owner's own process (unit: MainPID or cgroup; container: its PID or cgroup).
const killPortOwner: ActionDefinition<KillParams> = {
  id: "kill_port_owner",
  title: "Stop the process holding the port",
  destructive: true,
  params: KillParams,
  target: (p) => ownerOf(p).name,
  command: (p, host) => ({ kind: "argv", host, argv: ["kill", "-TERM", p.pid] }),
  precondition: async (p, host, probes) => {
    const o = ownerOf(p);
    const holder = await o.holder(host, probes);
    if (!holder) return no(`nothing listens on port ${p.port} any more`);
    if (holder.pid !== p.pid) return no(`port ${p.port} is now held by PID ${holder.pid} (${holder.command}), not PID ${p.pid}`);
    if (holder.otherHolders.length > 0) return no(`port ${p.port} is also held by PID ${holder.otherHolders.join(", ")}; stopping PID ${p.pid} alone would not free it`);
    const mine = o.mine(holder);
    if (mine === undefined) return no(`cannot tell whether PID ${p.pid} belongs to ${o.what}; not killing what is not shown to be a rogue`);
    if (mine) return no(o.unit !== undefined ? `PID ${p.pid} is now ${o.unit}'s own process (MainPID or in its cgroup)` : `PID ${p.pid} is inside container ${o.container} (its own process)`);
    const view = { port: Number(p.port), pid: Number(p.pid), ppid: holder.ppid === undefined ? undefined : Number(holder.ppid), command: holder.command, user: holder.user };
    return { ...ok(`PID ${p.pid} (${holder.command}) holds port ${p.port} outside ${o.what}`), holder: view };
  },
  postcondition: async (p, host, probes, _before, clock) => {
    const o = ownerOf(p);
    // The container form first waits for the container to come up (then the port's holder is its own process).
    const up = o.container !== undefined ? watchedCheck(o.container, await watchContainer(o.container, host, probes, clock), `port ${p.port} is free of PID ${p.pid} but `) : undefined;
    if (up && !up.ok) return up;
    const holder = await o.holder(host, probes);
    if (holder && holder.pid === p.pid) return no(`PID ${p.pid} still holds port ${p.port}`);
    if (holder && o.mine(holder) !== true) return no(`port ${p.port} is held by another process, PID ${holder.pid} (${holder.command})`);
    if (up) return ok(`port ${p.port} is free of PID ${p.pid}; ${up.observed}`, up.value);
    const unit = await probes.unitState(host, o.name, "system");
    if (!unit || unit.activeState !== "active") return no(`port ${p.port} is free but ${o.name} is ${unit ? unit.activeState : "not found"}`);
    return ok(`port ${p.port} is free of PID ${p.pid}; ${o.name} is active (${unit.subState})`);
  },
  // Issue 7: TERM, wait, then KILL only if that same PID still holds the port (never a PID that replaced it).
  escalation: {
    afterMs: 5_000,
    needed: async (p, host, probes) => {
      const o = ownerOf(p);
      const holder = await o.holder(host, probes);
      return holder !== undefined && holder.pid === p.pid && o.mine(holder) === false;
    },
    command: (p, host) => ({ kind: "argv", host, argv: ["kill", "-KILL", p.pid] }),
  },
};

const UnitParams = z.object({ unit: UnitName, scope: UnitScope.default("system") }).strict();
type UnitParams = z.infer<typeof UnitParams>;

const restartUnit: ActionDefinition<UnitParams> = {
  id: "restart_unit",
  title: "Restart the systemd unit",
  destructive: true,
  params: UnitParams,
  target: (p) => p.unit,
  command: (p, host) => ({ kind: "argv", host, argv: p.scope === "user" ? ["systemctl", "--user", "restart", p.unit] : ["systemctl", "restart", p.unit] }),
  precondition: async (p, host, probes) => {
    const s = await probes.unitState(host, p.unit, p.scope);
    if (!s) return no(`${p.unit} does not exist on ${host}`);
    // A unit that came back by itself needs no restart: restarting it would only interrupt it.
    if (s.activeState === "active" && s.subState === "running") return no(`${p.unit} is active (running) again`, s.nRestarts);
    return ok(`${p.unit} is ${s.activeState} (${s.subState}), restart counter ${s.nRestarts}`, s.nRestarts);
  },
  postcondition: async (p, host, probes) => {
    const s = await probes.unitState(host, p.unit, p.scope);
    if (!s || s.activeState !== "active") return no(`${p.unit} is ${s ? `${s.activeState} (${s.subState})` : "gone"}`);
    return ok(`${p.unit} is active (${s.subState})`, s.nRestarts);
  },
};

const ContainerParams = z.object({ container: ContainerRef }).strict();
type ContainerParams = z.infer<typeof ContainerParams>;

const restartContainer: ActionDefinition<ContainerParams> = {
  id: "restart_container",
  title: "Restart the container",
  destructive: true,
  params: ContainerParams,
  target: (p) => p.container,
  command: (p, host) => ({ kind: "argv", host, argv: ["docker", "restart", p.container] }),
  precondition: async (p, host, probes) => {
    const s = await probes.containerState(host, p.container);
    if (!s) return no(`container ${p.container} does not exist on ${host}`);
    if (s.running && !s.restarting) return no(`container ${p.container} is running again (RestartCount ${s.restartCount})`, s.restartCount);
    return ok(`container ${p.container} is ${s.restarting ? "restarting" : "stopped"}, RestartCount ${s.restartCount}, exit ${s.exitCode}`, s.restartCount);
  },
  // Issue 7: "container running and RestartCount stable", watched over a few seconds, not one look.
  postcondition: async (p, host, probes, _before, clock) => watchedCheck(p.container, await watchContainer(p.container, host, probes, clock)),
};

const QueueParams = z.object({ queue: QueueName }).strict();
type QueueParams = z.infer<typeof QueueParams>;

const cleanFailedJobs: ActionDefinition<QueueParams> = {
  id: "clean_failed_jobs",
  title: "Remove the failed jobs of the queue",
  destructive: false,
  params: QueueParams,
  target: (p) => p.queue,
  command: (p, host) => ({ kind: "clean_failed_jobs", host, queue: p.queue }),
  precondition: async (p, host, probes) => {
    const n = await probes.failedJobCount(host, p.queue);
    return n > 0 ? ok(`${n} failed jobs in ${p.queue}`, n) : no(`no failed jobs left in ${p.queue}`, 0);
  },
  postcondition: async (p, host, probes, before) => {
    const n = await probes.failedJobCount(host, p.queue);
    const was = before.value ?? Number.POSITIVE_INFINITY;
    return n < was ? ok(`${p.queue}: failed jobs ${before.value ?? "?"} → ${n}`, n) : no(`${p.queue}: failed jobs not down (${n})`, n);
  },
};

/** Every action firewatch knows, by id. Widened to the common shape: params are parsed before use. */
export const ACTIONS: Readonly<Record<ActionId, ActionDefinition>> = {
  kill_port_owner: killPortOwner as unknown as ActionDefinition,
  restart_unit: restartUnit as unknown as ActionDefinition,
  restart_container: restartContainer as unknown as ActionDefinition,
  clean_failed_jobs: cleanFailedJobs as unknown as ActionDefinition,
};
