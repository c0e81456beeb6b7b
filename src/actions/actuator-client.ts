// The unprivileged side of the actuator: send a grant or a port question over its unix socket, parse the answer.
import { connect } from "node:net";
import type { Duplex } from "node:stream";
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

/** Opens a byte stream to the actuator: its unix socket here, or a channel to it over a host's SSH link. */
export type ActuatorConnect = () => Promise<Duplex>;

/** The unix socket at `socket` on this machine, once connected; rejects with the connect error (EACCES, ENOENT). */
const localSocket = (socket: string): ActuatorConnect => () =>
  new Promise((resolve, reject) => {
    const conn = connect(socket);
    conn.once("connect", () => {
      conn.off("error", reject);
      resolve(conn);
    });
    conn.once("error", reject);
  });

const unreachable = (where: string, e: unknown): ActuatorError => {
  const errno = typeof e === "object" && e !== null && "code" in e && typeof e.code === "string" && /^E[A-Z]+$/.test(e.code) ? e.code : undefined;
  const [first = "", ...rest] = (e instanceof Error ? e.message : String(e)).split("\n");
  // A HostError (the SSH side) says what sshd answered and what to check, in its own hint.
  const hint = errno === "EACCES" ? "add firewatch's user to the actuator socket's group (guard.actuator.group)" : errno === "ENOENT" || errno === "ECONNREFUSED" ? "start it: systemctl start firewatch-actuator" : rest.join(" ").replace(/^\s*hint:\s*/, "") || undefined;
  return new ActuatorError("unreachable", `cannot reach the actuator at ${where}: ${errno ?? first}`, { cause: e, ...(hint === undefined ? {} : { hint }) });
};

/** One request, one answer line; rejects with ActuatorError for a connection that fails or an answer that does not parse. */
async function ask(open: ActuatorConnect, where: string, request: ActuatorRequest, timeoutMs: number): Promise<ActuatorResponse> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new ActuatorError("timeout", `the actuator at ${where} did not answer within ${timeoutMs} ms`)), timeoutMs)));
  const opening = open();
  let conn: Duplex;
  try {
    conn = await Promise.race([opening.catch((e: unknown) => Promise.reject(unreachable(where, e))), late]);
  } catch (e) {
    clearTimeout(timer);
    // A stream that opens after the timeout is not left open.
    void opening.then((c) => c.destroy(), () => undefined);
    throw e;
  }
  try {
    return await Promise.race([exchange(conn, where, request), late]);
  } finally {
    clearTimeout(timer);
    conn.destroy();
  }
}

/** Writes the request line and parses the one answer line the actuator sends before it ends the stream. */
function exchange(conn: Duplex, where: string, request: ActuatorRequest): Promise<ActuatorResponse> {
  return new Promise((resolve, reject) => {
    let buf = "";
    conn.on("error", (e: unknown) => reject(unreachable(where, e)));
    conn.on("data", (b: Buffer) => {
      buf += b.toString("utf8");
      if (buf.length > MAX_ACTUATOR_LINE_BYTES * 8) reject(new ActuatorError("malformed", "the actuator's answer is too long"));
    });
    conn.on("end", () => {
      const line = buf.split("\n")[0] ?? "";
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        return reject(new ActuatorError("malformed", "the actuator's answer is not JSON"));
      }
      const r = ActuatorResponse.safeParse(parsed);
      if (!r.success) return reject(new ActuatorError("malformed", "the actuator's answer does not fit the protocol"));
      resolve(r.data);
    });
    conn.write(`${JSON.stringify(request)}\n`);
  });
}

const refusedError = (r: Extract<ActuatorResponse, { kind: "refused" }>) => new ActuatorError(r.reason, `the actuator refused: ${r.detail}`);

/**
 * A client for the actuator at `socket` (on this machine, or on another through `connect`, with `where` naming it in
 * errors). Executions wait as long as an action may take (a container watched minutes).
 */
export function createActuatorClient(opts: { socket: string; connect?: ActuatorConnect; where?: string; timeoutMs?: number; executeTimeoutMs?: number }): ActuatorClient {
  const quick = opts.timeoutMs ?? 10_000;
  const slow = opts.executeTimeoutMs ?? 180_000;
  const open = opts.connect ?? localSocket(opts.socket);
  const where = opts.where ?? opts.socket;
  return {
    socket: opts.socket,
    async hello() {
      const r = await ask(open, where, { v: 1, op: "hello" }, quick);
      if (r.kind === "hello") return r;
      throw r.kind === "refused" ? refusedError(r) : new ActuatorError("malformed", `the actuator answered hello with ${r.kind}`);
    },
    async execute(grant) {
      const r = await ask(open, where, { v: 1, op: "execute", grant }, slow);
      if (r.kind === "refused") throw refusedError(r);
      if (r.kind !== "outcome") throw new ActuatorError("malformed", `the actuator answered execute with ${r.kind}`);
      const o = decodeOutcome(r.outcome);
      if (!o) throw new ActuatorError("malformed", "the actuator's outcome names a plan that does not validate");
      return o;
    },
    async read(argv) {
      const r = await ask(open, where, { v: 1, op: "read", argv: [...argv] }, quick);
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
  const unix = host.openUnixSocket?.bind(host);
  return {
    name: host.name,
    exec: (argv: readonly string[], opts?: ExecOptions) => (isPrivilegedRead(argv) ? client.read(argv) : host.exec(argv, opts)),
    spawn: (argv, opts) => host.spawn(argv, opts),
    close: () => host.close(),
    ...(unix === undefined ? {} : { openUnixSocket: unix }),
  };
}

/** The part of guard.actuator that says which actuator serves which host. */
export interface ActuatorRoutes {
  readonly socket: string;
  readonly hosts: readonly string[];
  readonly remote?: Readonly<Record<string, string>> | undefined;
}

/** Which actuator serves a host: a client for it, or undefined where firewatch acts with its own rights. */
export type ActuatorLookup = (host: string) => ActuatorClient | undefined;

/**
 * The actuator of each host: the one at `socket` for `hosts` (this machine), and for each `remote` host its own,
 * reached through that host's link (openUnixSocket: a channel on the pinned SSH connection). One client per host.
 */
export function actuatorLookup(actuator: ActuatorRoutes | undefined, host: (name: string) => Host | undefined, local?: ActuatorClient): ActuatorLookup {
  if (actuator === undefined) return () => undefined;
  const here = local ?? createActuatorClient({ socket: actuator.socket });
  const remote = new Map<string, ActuatorClient>();
  return (name) => {
    if (actuator.hosts.includes(name)) return here;
    const path = actuator.remote !== undefined && Object.hasOwn(actuator.remote, name) ? actuator.remote[name] : undefined;
    if (path === undefined) return undefined;
    let c = remote.get(name);
    if (c === undefined) {
      const where = `${path} on ${name} (over SSH)`;
      c = createActuatorClient({
        socket: path, where,
        connect: async () => {
          const h = host(name);
          if (h?.openUnixSocket === undefined) throw new Error(`${name} is not a host firewatch reaches over SSH (guard.actuator.remote names SSH hosts)`);
          return h.openUnixSocket(path);
        },
      });
      remote.set(name, c);
    }
    return c;
  };
}

/**
 * `host` by name, with the port-owner questions of the hosts an actuator serves (guard.actuator: its hosts, and its
 * remote hosts over SSH) asked through that actuator; the same lookup unchanged when none is configured. For the
 * daemon's incident probes and the guard's own.
 */
export function actuatorHosts(actuator: ActuatorRoutes | undefined, host: (name: string) => Host | undefined, client?: ActuatorClient | ActuatorLookup): (name: string) => Host | undefined {
  if (actuator === undefined) return host;
  const lookup = typeof client === "function" ? client : actuatorLookup(actuator, host, client);
  return (name) => {
    const h = host(name);
    const c = lookup(name);
    return h !== undefined && c !== undefined ? withActuatorReads(h, c) : h;
  };
}
