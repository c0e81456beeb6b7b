// The unprivileged side of the actuator: send a grant or a port question over its unix socket, parse the answer.
import { connect } from "node:net";
import { FirewatchError } from "../errors.js";
import type { ExecOptions, ExecResult, Host } from "../hosts/index.js";
import { ActuatorResponse, decodeOutcome, isPrivilegedRead, MAX_ACTUATOR_LINE_BYTES, type ActuatorRequest } from "./actuator-protocol.js";
import type { ExecutionOutcome } from "./execute.js";

export interface ActuatorClient {
  readonly socket: string;
  /** What the actuator says of itself (its uid, the hosts it serves, the actions its config enables). */
  hello(): Promise<Extract<ActuatorResponse, { kind: "hello" }>>;
  /** Has the actuator run a grant: it takes it, checks it and the precondition itself, runs the command, audits. */
  execute(grant: string): Promise<ExecutionOutcome>;
  /** A read-only command only the actuator may run (isPrivilegedRead). */
  read(argv: readonly string[]): Promise<ExecResult>;
}

/** Raised when the actuator refused or could not be reached: the message says which and what to grant. */
export class ActuatorError extends FirewatchError {
  readonly reason: string;
  constructor(reason: string, message: string, options?: { cause?: unknown; hint?: string }) {
    super("host_command", message, options);
    this.reason = reason;
  }
}

/** One request, one answer line; rejects with ActuatorError for a connection that fails or an answer that does not parse. */
function ask(socket: string, request: ActuatorRequest, timeoutMs: number): Promise<ActuatorResponse> {
  return new Promise((resolve, reject) => {
    const conn = connect(socket);
    let buf = "";
    const fail = (e: ActuatorError) => {
      conn.destroy();
      reject(e);
    };
    const timer = setTimeout(() => fail(new ActuatorError("timeout", `the actuator at ${socket} did not answer within ${timeoutMs} ms`)), timeoutMs);
    conn.on("error", (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const hint = e.code === "EACCES" ? "add firewatch's user to the actuator socket's group (guard.actuator.group)" : e.code === "ENOENT" || e.code === "ECONNREFUSED" ? "start it: systemctl start firewatch-actuator" : undefined;
      fail(new ActuatorError("unreachable", `cannot reach the actuator at ${socket}: ${e.code ?? e.message}`, { cause: e, ...(hint === undefined ? {} : { hint }) }));
    });
    conn.on("data", (b: Buffer) => {
      buf += b.toString("utf8");
      if (buf.length > MAX_ACTUATOR_LINE_BYTES * 8) fail(new ActuatorError("malformed", "the actuator's answer is too long"));
    });
    conn.on("end", () => {
      clearTimeout(timer);
      conn.destroy();
      const line = buf.split("\n")[0] ?? "";
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        return fail(new ActuatorError("malformed", "the actuator's answer is not JSON"));
      }
      const r = ActuatorResponse.safeParse(parsed);
      if (!r.success) return fail(new ActuatorError("malformed", "the actuator's answer does not fit the protocol"));
      resolve(r.data);
    });
    conn.write(`${JSON.stringify(request)}\n`);
  });
}

const refusedError = (r: Extract<ActuatorResponse, { kind: "refused" }>) => new ActuatorError(r.reason, `the actuator refused: ${r.detail}`);

/** A client for the actuator at `socket`. Executions wait as long as an action may take (a container watched minutes). */
export function createActuatorClient(opts: { socket: string; timeoutMs?: number; executeTimeoutMs?: number }): ActuatorClient {
  const quick = opts.timeoutMs ?? 10_000;
  const slow = opts.executeTimeoutMs ?? 180_000;
  return {
    socket: opts.socket,
    async hello() {
      const r = await ask(opts.socket, { v: 1, op: "hello" }, quick);
      if (r.kind === "hello") return r;
      throw r.kind === "refused" ? refusedError(r) : new ActuatorError("malformed", `the actuator answered hello with ${r.kind}`);
    },
    async execute(grant) {
      const r = await ask(opts.socket, { v: 1, op: "execute", grant }, slow);
      if (r.kind === "refused") throw refusedError(r);
      if (r.kind !== "outcome") throw new ActuatorError("malformed", `the actuator answered execute with ${r.kind}`);
      const o = decodeOutcome(r.outcome);
      if (!o) throw new ActuatorError("malformed", "the actuator's outcome names a plan that does not validate");
      return o;
    },
    async read(argv) {
      const r = await ask(opts.socket, { v: 1, op: "read", argv: [...argv] }, quick);
      if (r.kind === "refused") throw refusedError(r);
      if (r.kind !== "read") throw new ActuatorError("malformed", `the actuator answered read with ${r.kind}`);
      return r.result;
    },
  };
}

/**
 * `host` with the port-owner questions (ss -ltnp, lsof) asked through the actuator, which may see every process's
 * sockets; every other command runs on `host` itself, with firewatch's own rights.
 */
export function withActuatorReads(host: Host, client: Pick<ActuatorClient, "read">): Host {
  return {
    name: host.name,
    exec: (argv: readonly string[], opts?: ExecOptions) => (isPrivilegedRead(argv) ? client.read(argv) : host.exec(argv, opts)),
    spawn: (argv, opts) => host.spawn(argv, opts),
    close: () => host.close(),
  };
}

/**
 * `host` by name, with the port-owner questions of the hosts guard.actuator serves asked through the actuator; the
 * same lookup unchanged when no actuator is configured. For the daemon's incident probes and the guard's own.
 */
export function actuatorHosts(actuator: { readonly socket: string; readonly hosts: readonly string[] } | undefined, host: (name: string) => Host | undefined, client?: ActuatorClient): (name: string) => Host | undefined {
  if (actuator === undefined) return host;
  const c = client ?? createActuatorClient({ socket: actuator.socket });
  return (name) => {
    const h = host(name);
    return h !== undefined && actuator.hosts.includes(name) ? withActuatorReads(h, c) : h;
  };
}
