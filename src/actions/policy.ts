// Who may run which action, from which channel, on which hosts and targets: the guard's allow-lists as zod config.
import { userInfo } from "node:os";
import { z } from "zod";
import { Duration } from "../time.js";
import { ActionId } from "./definitions.js";
import type { HolderView } from "./probes.js";

/** An exact name or a glob with `*` (any run of characters) and `?` (one character); nothing else is special. */
const Pattern = z.string().min(1).max(256).describe('Exact name or glob with * and ?, e.g. "transcription-*.service"');

export const ActionPolicySchema = z
  .object({
    users: z.array(z.string().min(1)).default([]).describe("Slack user ids (or local user names for the CLI) allowed to request and approve"),
    groups: z.array(z.string().min(1)).default([]).describe("Slack user group ids whose members are allowed"),
    channels: z.array(z.string().min(1)).default([]).describe("Slack channel ids the request may come from"),
    hosts: z.array(Pattern).min(1).describe("Hosts the action may touch"),
    targets: z.array(Pattern).min(1).describe("Units, containers or queues the action may touch"),
    ports: z
      .array(z.union([z.number().int().min(1).max(65535), z.string().regex(/^\d{1,5}(?:-\d{1,5})?$/, 'a port or a range like "9000-9010"')]))
      .default([])
      .describe("kill_port_owner: ports whose holder may be stopped (9003, \"9000-9010\")"),
    executables: z.array(Pattern).default([]).describe("kill_port_owner: programs (name or path, glob) that may be stopped whatever the port"),
    processUsers: z.array(Pattern).default([]).describe("kill_port_owner: users whose processes may be stopped besides firewatch's own user"),
    categories: z
      .array(Pattern)
      .default([])
      .describe("clean_failed_jobs from `firewatch jobs clean`: the job categories (label or rule id, glob) it may remove; empty: any category"),
    destructive: z.boolean().optional().describe("Require a second person's approval even for an action that is not destructive by default (clean_failed_jobs)"),
    rateLimit: z
      .object({ max: z.number().int().min(1).default(3), per: Duration.default(3_600_000) })
      .strict()
      .default({ max: 3, per: 3_600_000 })
      .describe("At most `max` runs per action and host within `per`"),
    approvalWithin: Duration.default(600_000).describe("How long a destructive request waits for a second person"),
  })
  .strict();
export type ActionPolicy = z.infer<typeof ActionPolicySchema>;

export const GuardConfigSchema = z
  .object({
    tokenTtl: Duration.default(900_000).describe("How long a button's token stays valid"),
    secret: z.string().min(32).optional().describe("Server secret the action tokens are signed with, at least 32 bytes (env FIREWATCH_GUARD__SECRET only)"),
    secretFile: z.string().min(1).optional().describe("File holding the token secret (mode 0600), instead of FIREWATCH_GUARD__SECRET"),
    actions: z.partialRecord(ActionId, ActionPolicySchema).default({}).describe("Actions not listed here are refused"),
    sudo: z.array(Pattern).default([]).describe("Hosts where restarts run as `sudo -n systemctl restart …` / `sudo -n docker restart …`, allowed by the rules `firewatch doctor --sudoers` writes"),
    actuator: z
      .object({
        socket: z.string().min(1).default("/run/firewatch/actuator.sock").describe("The actuator's unix socket (`firewatch actuator` listens, the daemon and the CLI connect)"),
        group: z.string().min(1).default("firewatch").describe("Group of the socket file (mode 0660, owner root): firewatch's user must be in it"),
        user: z.string().min(1).default("firewatch").describe("The user firewatch's daemon runs as: the actuator treats its processes as firewatch's own"),
        hosts: z.array(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,252}$/, "not a host name")).optional().describe("Hosts whose actions and port questions go through the actuator at `socket`: the machine it runs on (default [local]; [] when `remote` is set)"),
        remote: z
          .record(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,252}$/, "not a host name"), z.string().regex(/^\/[^\0]*$/, "an absolute path of the socket on that host"))
          .default({})
          .describe("SSH hosts that run their own `firewatch actuator`: host name → its socket path there, reached through the host's SSH link (e.g. web1: /run/firewatch/actuator.sock)"),
      })
      .strict()
      // Only remote actuators named: this machine has none unless `hosts` says so (its port questions stay its own).
      .transform(({ hosts, ...a }) => ({ ...a, hosts: hosts ?? (Object.keys(a.remote).length > 0 ? [] : ["local"]) }))
      .refine((a) => !a.hosts.some((h) => Object.hasOwn(a.remote, h)), { message: "a host is served either by the actuator at `socket` (hosts) or by its own over SSH (remote), not both", path: ["remote"] })
      .optional()
      .describe("Run actions and privileged probes through `firewatch actuator` (least privilege); absent: firewatch runs them itself"),
    people: z
      .record(z.string().regex(/^[a-z][a-z0-9_.-]{0,63}$/, "a person's name: lowercase letters, digits, _ . -"), z.array(z.string().min(1)).min(1))
      .default({})
      .describe('Identities that are one person, e.g. alice: [U012ALICE, "cli:alice"]: two-person approval counts people'),
  })
  .strict()
  .superRefine((c, ctx) => {
    // One identity, one person: else "two people" could be one person listed twice.
    const owner = new Map<string, string>();
    for (const [person, ids] of Object.entries(c.people)) {
      for (const id of ids) {
        const other = owner.get(id);
        if (other !== undefined && other !== person) ctx.addIssue({ code: "custom", path: ["people", person], message: `${id} is listed under ${other} too: an identity belongs to one person` });
        owner.set(id, person);
      }
    }
    // Log text names the port: without a list of its own, kill_port_owner could be pointed at anything listening.
    const k = c.actions.kill_port_owner;
    if (k && k.ports.length === 0 && k.executables.length === 0 && k.processUsers.length === 0) {
      ctx.addIssue({ code: "custom", path: ["actions", "kill_port_owner", "ports"], message: "kill_port_owner needs `ports` (or `executables` or `processUsers`): the holders it may stop" });
    }
  });
export type GuardConfig = z.infer<typeof GuardConfigSchema>;

/** Who is asking, as the edge (Slack or the CLI) established it. */
export interface Requester {
  readonly user: string;
  readonly groups: readonly string[];
  readonly channel: string;
}

function globToRegExp(glob: string): RegExp {
  const body = [...glob].map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&"))).join("");
  return new RegExp(`^${body}$`, "s");
}

/** Whether `name` is one of the patterns (exact or glob). */
export function matchesAny(patterns: readonly string[], name: string): boolean {
  return patterns.some((p) => (p.includes("*") || p.includes("?") ? globToRegExp(p).test(name) : p === name));
}

export type PolicyRefusal = "user_not_allowed" | "channel_not_allowed" | "host_not_allowed" | "target_not_allowed";

/** The person an identity belongs to (guard.people), or the identity itself when it is listed under nobody. */
export function personOf(config: Pick<GuardConfig, "people">, identity: string): string {
  for (const [person, ids] of Object.entries(config.people)) if (ids.includes(identity)) return `person:${person}`;
  return identity;
}

/** Checks a requester against an action's lists: user or one of their groups, then the channel. */
export function checkRequester(policy: ActionPolicy, who: Requester): PolicyRefusal | undefined {
  const userOk = policy.users.includes(who.user) || who.groups.some((g) => policy.groups.includes(g));
  if (!userOk) return "user_not_allowed";
  if (!policy.channels.includes(who.channel)) return "channel_not_allowed";
  return undefined;
}

/** What firewatch itself is on this machine: never a kill_port_owner target (its PID, its children, its listeners and store). */
export interface SelfScope {
  readonly pid: number;
  /** The OS user firewatch runs as: another user's process is stopped only when `processUsers` lists that user. */
  readonly user: string;
  /** firewatch's own listeners and dependencies (health port, Slack receiver, the store's Redis). */
  readonly ports: readonly number[];
}


/** This process as SelfScope; `ports`: its own listeners and store (see ownPortsOf in kit.ts). */
export function selfScope(ports: readonly number[] = [], user: string = userInfo().username): SelfScope {
  return { pid: process.pid, user, ports };
}

const inPorts = (entries: readonly (number | string)[], port: number) =>
  entries.some((e) => {
    if (typeof e === "number") return e === port;
    const [lo = "", hi = lo] = e.split("-");
    return port >= Number(lo) && port <= Number(hi);
  });

/**
 * Why kill_port_owner must not stop this holder (a sentence), or undefined: it is allowed. The port, its program or its
 * user must be on the action's lists; firewatch's own process, children and ports never are; a process of another
 * OS user only when `processUsers` names that user.
 */
export function vetHolder(policy: ActionPolicy, self: SelfScope, h: HolderView): string | undefined {
  if (h.pid === self.pid || h.ppid === self.pid) return `PID ${h.pid} is firewatch itself or its child: never stopped`;
  if (self.ports.includes(h.port)) return `port ${h.port} is firewatch's own (its store, health or Slack listener): never stopped`;
  const path = (h.command ?? "").trim().split(/\s+/)[0] ?? "";
  const program = path.slice(path.lastIndexOf("/") + 1);
  const userListed = h.user !== undefined && matchesAny(policy.processUsers, h.user);
  if (h.user === undefined) return `the user of PID ${h.pid} is unknown: not stopped`;
  if (h.user !== self.user && !userListed) return `PID ${h.pid} belongs to ${h.user}, not to firewatch's user ${self.user}, and processUsers does not list it`;
  const listed = inPorts(policy.ports, h.port) || (program !== "" && (matchesAny(policy.executables, program) || matchesAny(policy.executables, path))) || userListed;
  if (!listed) return `port ${h.port} (${program || "?"}, user ${h.user}) is not on kill_port_owner's ports, executables or processUsers`;
  return undefined;
}

/** Checks the host and the target (unit, container, queue) the action would touch. */
export function checkScope(policy: ActionPolicy, host: string, target: string): PolicyRefusal | undefined {
  if (!matchesAny(policy.hosts, host)) return "host_not_allowed";
  if (!matchesAny(policy.targets, target)) return "target_not_allowed";
  return undefined;
}
