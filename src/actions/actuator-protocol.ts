// The actuator's wire: one JSON line each way per connection, every message parsed by zod on arrival.
import { z } from "zod";
import type { ExecResult } from "../hosts/index.js";
import { ACTIONS, ActionId } from "./definitions.js";
import type { ExecutionOutcome } from "./execute.js";
import { HostName } from "./params.js";
import type { Plan } from "./plan.js";

/** A request or an answer longer than this is refused unread: a grant id and a few argv words are all it carries. */
export const MAX_ACTUATOR_LINE_BYTES = 64 * 1024;

/**
 * The read-only commands the actuator runs for an unprivileged firewatch: exactly the argv the port-owner probe builds
 * (ss with process columns, lsof as its fallback), with a port and nothing else free. Anything else is refused.
 */
const PRIVILEGED_READS: readonly RegExp[][] = [
  [/^ss$/, /^-ltnpH$/, /^sport = :[1-9][0-9]{0,4}$/],
  [/^lsof$/, /^-nP$/, /^-iTCP:[1-9][0-9]{0,4}$/, /^-sTCP:LISTEN$/, /^-F$/, /^pcLu$/],
];

/** Whether argv is one of the read-only commands the actuator runs on a caller's behalf. */
export function isPrivilegedRead(argv: readonly string[]): boolean {
  return PRIVILEGED_READS.some((shape) => shape.length === argv.length && shape.every((re, i) => re.test(argv[i] ?? "")));
}

const GrantId = z.string().regex(/^[0-9a-f]{20}$/, "a grant id is 20 hex digits");

export const ActuatorRequest = z.discriminatedUnion("op", [
  /** Who is this, what can it do: for `firewatch doctor` and the client's first contact. */
  z.object({ v: z.literal(1), op: z.literal("hello") }).strict(),
  /** Run a grant the guard issued: the actuator takes it from the store, checks it and the precondition itself. */
  z.object({ v: z.literal(1), op: z.literal("execute"), grant: z.string().max(64) }).strict(),
  /** A read-only command that needs the actuator's rights (who holds a port another user's process listens on). */
  z.object({ v: z.literal(1), op: z.literal("read"), argv: z.array(z.string().max(256)).min(1).max(8) }).strict(),
]);
export type ActuatorRequest = z.infer<typeof ActuatorRequest>;

/** Why the actuator ran nothing before the guard was even asked. */
export type ActuatorRefusal = "malformed" | "peer_not_allowed" | "peer_unknown" | "not_allowed_read" | "host_not_served";

const Check = z
  .object({
    ok: z.boolean(),
    observed: z.string(),
    value: z.number().optional(),
    holder: z.object({ port: z.number(), pid: z.number(), ppid: z.number().optional(), command: z.string().optional(), user: z.string().optional() }).strict().optional(),
  })
  .strict();

// The plan travels as what it was made of (action, params, host, people); the command is rebuilt from the params,
// like a stored grant, so the answer cannot name a command the action would not build.
const WirePlan = z
  .object({
    incident: z.string(),
    action: ActionId,
    params: z.record(z.string(), z.string()),
    host: HostName,
    requestedBy: z.string(),
    approvedBy: z.string().optional(),
  })
  .strict();

const WireOutcome = z.discriminatedUnion("status", [
  z.object({ status: z.literal("dry_run"), plan: WirePlan, precondition: Check }).strict(),
  z.object({ status: z.literal("world_changed"), plan: WirePlan, precondition: Check }).strict(),
  z.object({ status: z.literal("failed"), plan: WirePlan, detail: z.string() }).strict(),
  z.object({ status: z.literal("done"), plan: WirePlan, postcondition: Check }).strict(),
  z.object({ status: z.literal("unverified"), plan: WirePlan, postcondition: Check }).strict(),
  z.object({ status: z.literal("refused"), reason: z.literal("unknown_grant") }).strict(),
]);

const ReadResult = z
  .object({ code: z.number().int().nullable(), signal: z.string().nullable(), stdout: z.string(), stderr: z.string(), truncated: z.boolean(), timedOut: z.boolean() })
  .strict();

export const ActuatorResponse = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("hello"), uid: z.number().int(), hosts: z.array(z.string()), reads: z.boolean(), actions: z.array(ActionId) }).strict(),
  z.object({ kind: z.literal("outcome"), outcome: WireOutcome }).strict(),
  z.object({ kind: z.literal("read"), result: ReadResult }).strict(),
  z.object({ kind: z.literal("refused"), reason: z.enum(["malformed", "peer_not_allowed", "peer_unknown", "not_allowed_read", "host_not_served"]), detail: z.string() }).strict(),
]);
export type ActuatorResponse = z.infer<typeof ActuatorResponse>;

const wirePlan = (p: Plan): z.infer<typeof WirePlan> => ({
  incident: p.incident, action: p.action, params: { ...p.params }, host: p.host, requestedBy: p.requestedBy, ...(p.approvedBy === undefined ? {} : { approvedBy: p.approvedBy }),
});

const wireCheck = (c: { ok: boolean; observed: string; value?: number | undefined; holder?: { port: number; pid: number; ppid: number | undefined; command: string | undefined; user: string | undefined } | undefined }): z.infer<typeof Check> => ({
  ok: c.ok, observed: c.observed, ...(c.value === undefined ? {} : { value: c.value }),
  ...(c.holder === undefined ? {} : { holder: { port: c.holder.port, pid: c.holder.pid, ...(c.holder.ppid === undefined ? {} : { ppid: c.holder.ppid }), ...(c.holder.command === undefined ? {} : { command: c.holder.command }), ...(c.holder.user === undefined ? {} : { user: c.holder.user }) } }),
});

/** An outcome as the actuator sends it. */
export function encodeOutcome(o: ExecutionOutcome): ActuatorResponse {
  switch (o.status) {
    case "refused": return { kind: "outcome", outcome: o };
    case "failed": return { kind: "outcome", outcome: { status: o.status, plan: wirePlan(o.plan), detail: o.detail } };
    case "dry_run":
    case "world_changed": return { kind: "outcome", outcome: { status: o.status, plan: wirePlan(o.plan), precondition: wireCheck(o.precondition) } };
    case "done":
    case "unverified": return { kind: "outcome", outcome: { status: o.status, plan: wirePlan(o.plan), postcondition: wireCheck(o.postcondition) } };
  }
}

function planOf(w: z.infer<typeof WirePlan>): Plan | undefined {
  const action = ACTIONS[w.action];
  const params = action.params.safeParse(w.params);
  if (!params.success) return undefined;
  return { incident: w.incident, action: w.action, params: params.data, host: w.host, command: action.command(params.data, w.host), destructive: action.destructive, requestedBy: w.requestedBy, approvedBy: w.approvedBy };
}

const checkOf = (c: z.infer<typeof Check>) => ({
  ok: c.ok, observed: c.observed, ...(c.value === undefined ? {} : { value: c.value }),
  ...(c.holder === undefined ? {} : { holder: { port: c.holder.port, pid: c.holder.pid, ppid: c.holder.ppid, command: c.holder.command, user: c.holder.user } }),
});

/** The outcome the actuator answered, rebuilt; undefined when its plan does not validate as the action's. */
export function decodeOutcome(w: Extract<ActuatorResponse, { kind: "outcome" }>["outcome"]): ExecutionOutcome | undefined {
  if (w.status === "refused") return w;
  const plan = planOf(w.plan);
  if (!plan) return undefined;
  switch (w.status) {
    case "failed": return { status: "failed", plan, detail: w.detail };
    case "dry_run":
    case "world_changed": return { status: w.status, plan, precondition: checkOf(w.precondition) };
    case "done":
    case "unverified": return { status: w.status, plan, postcondition: checkOf(w.postcondition) };
  }
}

/** A read's ExecResult as sent. */
export const encodeRead = (r: ExecResult): ActuatorResponse => ({ kind: "read", result: { code: r.code, signal: r.signal, stdout: r.stdout, stderr: r.stderr, truncated: r.truncated, timedOut: r.timedOut } });

export { GrantId };
