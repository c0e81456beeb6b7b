// Who may run which action, from which channel, on which hosts and targets: the guard's allow-lists as zod config.
import { z } from "zod";
import { Duration } from "../time.js";
import { ActionId } from "./definitions.js";

/** An exact name or a glob with `*` (any run of characters) and `?` (one character); nothing else is special. */
const Pattern = z.string().min(1).max(256).describe('Exact name or glob with * and ?, e.g. "transcription-*.service"');

export const ActionPolicySchema = z
  .object({
    users: z.array(z.string().min(1)).default([]).describe("Slack user ids (or local user names for the CLI) allowed to request and approve"),
    groups: z.array(z.string().min(1)).default([]).describe("Slack user group ids whose members are allowed"),
    channels: z.array(z.string().min(1)).default([]).describe("Slack channel ids the request may come from"),
    hosts: z.array(Pattern).min(1).describe("Hosts the action may touch"),
    targets: z.array(Pattern).min(1).describe("Units, containers or queues the action may touch"),
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
  })
  .strict();
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

/** Checks a requester against an action's lists: user or one of their groups, then the channel. */
export function checkRequester(policy: ActionPolicy, who: Requester): PolicyRefusal | undefined {
  const userOk = policy.users.includes(who.user) || who.groups.some((g) => policy.groups.includes(g));
  if (!userOk) return "user_not_allowed";
  if (!policy.channels.includes(who.channel)) return "channel_not_allowed";
  return undefined;
}

/** Checks the host and the target (unit, container, queue) the action would touch. */
export function checkScope(policy: ActionPolicy, host: string, target: string): PolicyRefusal | undefined {
  if (!matchesAny(policy.hosts, host)) return "host_not_allowed";
  if (!matchesAny(policy.targets, target)) return "target_not_allowed";
  return undefined;
}
