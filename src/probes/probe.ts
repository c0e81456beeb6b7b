// The probe contract: validated params → argv on a Host (read-only, timed, capped) → typed evidence → one rendered line.
import { FirewatchError } from "../errors.js";
import type { ExecResult, Host } from "../hosts/index.js";
import type { z } from "zod";

/** Why a probe gave no evidence; stable, for reports and logs. */
export type ProbeFailure =
  | "invalid_params" // a value failed validation: nothing ran
  | "command_failed" // the command ran and said no (non-zero exit with an error on stderr)
  | "timed_out"
  | "unparseable" // output that is not in the shape the parser knows
  | "host_failed" // the host could not run it (unreachable, command not found)
  | "aborted"; // the caller's AbortSignal fired

export class ProbeError extends FirewatchError {
  readonly reason: ProbeFailure;
  readonly probe: string;
  constructor(probe: string, reason: ProbeFailure, message: string, options?: { cause?: unknown; hint?: string }) {
    super(reason === "invalid_params" ? "usage" : "input_invalid", `${probe}: ${message}`, options);
    this.reason = reason;
    this.probe = probe;
  }
}

/** A process listening on a port, as `ss` names it (no pid: the socket is seen, not its process). */
export interface Listener { readonly pid: number | undefined; readonly name: string | undefined }

/** A port's listeners from an `ss` shared by a probe round (port-owner.ts shareListeners); undefined: ask your own. */
export type PortListeners = (port: number) => Promise<Listener[] | undefined> | undefined;

export interface ProbeContext {
  readonly host: Host;
  readonly signal?: AbortSignal;
  /** `docker -H` for probes that ask Docker; from config (e.g. the dockerd of the host), never from logs. */
  readonly dockerHost?: string;
  /** Overrides each probe's own timeout (ms). */
  readonly timeoutMs?: number;
  /** Where network probes may connect (probes.network.allow); undefined: the host's own loopback only. */
  readonly allowNet?: readonly string[];
  /** port_owner reads its port's listeners here when its round shares one `ss` on this host. */
  readonly listeners?: PortListeners;
}

export interface Probe<P, E> {
  readonly name: string;
  /** The parameter schema: values from logs pass through it before any argv is built. */
  readonly params: z.ZodType<P, unknown>;
  run(ctx: ProbeContext, params: P): Promise<E>;
  /** One line for a report or a Slack thread. */
  render(evidence: E): string;
}

/**
 * Parses params again inside run(): callers such as the guard call a probe's run() directly, and a value must never
 * reach an argv without passing the schema, whoever the caller is.
 */
export function checkParams<P>(probe: string, schema: z.ZodType<P, unknown>, params: unknown): P {
  const r = schema.safeParse(params);
  if (!r.success) throw new ProbeError(probe, "invalid_params", r.error.issues.map((i) => `${i.path.join(".") || "params"}: ${i.message}`).join("; "));
  return r.data;
}

/** Runs argv with the probe's limits; a timeout or truncated output becomes a ProbeError, never a half-parsed answer. */
export async function execProbe(
  probe: string,
  ctx: ProbeContext,
  argv: readonly string[],
  limits: { timeoutMs: number; maxOutputBytes: number },
): Promise<ExecResult> {
  const timeoutMs = ctx.timeoutMs ?? limits.timeoutMs;
  const r = await ctx.host.exec(argv, { timeoutMs, maxOutputBytes: limits.maxOutputBytes, ...(ctx.signal ? { signal: ctx.signal } : {}) }).catch((e: unknown) => {
    if (ctx.signal?.aborted) throw new ProbeError(probe, "aborted", `${argv[0] ?? ""} on ${ctx.host.name} was cancelled`, { cause: e });
    throw new ProbeError(probe, "host_failed", `${argv[0] ?? ""} on ${ctx.host.name}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  });
  if (r.timedOut) throw new ProbeError(probe, "timed_out", `${argv[0] ?? ""} on ${ctx.host.name} took longer than ${timeoutMs} ms`);
  if (r.truncated) throw new ProbeError(probe, "unparseable", `${argv[0] ?? ""} printed more than ${limits.maxOutputBytes} bytes`);
  return r;
}

/** The first line of stderr (or stdout), for error messages. */
export function firstLine(r: ExecResult): string {
  return (r.stderr.trim() || r.stdout.trim()).split("\n")[0] ?? "";
}
