// `firewatch actuator`: the privileged side. A unix socket that runs a guard grant (checked, re-probed, audited) or a
// read-only port question for an unprivileged firewatch, and nothing else.
import { chmod, chown, lstat, mkdir, stat, unlink } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { dirname } from "node:path";
import type { Host } from "../hosts/index.js";
import type { Store } from "../store/index.js";
import type { Clock } from "../time.js";
import { ActuatorRequest, encodeOutcome, encodeRead, isPrivilegedRead, MAX_ACTUATOR_LINE_BYTES, type ActuatorRefusal, type ActuatorResponse } from "./actuator-protocol.js";
import { peerAllowed, type Peer, type PeerOf } from "./actuator-peer.js";
import { ACTION_IDS } from "./definitions.js";
import type { Executor } from "./execute.js";
import type { Guard } from "./guard.js";
import { GRANT_NS, openGrant, type GuardStore } from "./guard-store.js";
import type { GuardConfig } from "./policy.js";
import type { TokenService } from "./token.js";

export interface ActuatorDeps {
  /** The actuator's own guard: the same store and secret as the daemon's, its own probes (its own rights). */
  readonly guard: Guard;
  readonly executor: Executor;
  readonly tokens: Pick<TokenService, "sealRecord">;
  readonly store: Pick<GuardStore, "getRecord"> & Pick<Store, "appendAudit">;
  readonly clock: Clock;
  readonly config: GuardConfig;
  /** The host the privileged reads run on (this machine). */
  readonly host: Host;
  /** Hosts whose grants this actuator runs (its own machine's name in firewatch.yaml, "local" by default). */
  readonly hosts: readonly string[];
}

/** What listenActuator serves: a request from an allowed peer, and the audit of a peer refused before it spoke. */
export interface ActuatorHandler {
  handle(line: string, peer: Peer): Promise<ActuatorResponse>;
  refusePeer(peer: Peer | undefined, reason: "peer_unknown" | "peer_not_allowed", detail: string): Promise<ActuatorResponse>;
}

/** Answers one request from an identified, allowed peer; every request is audited, run or refused. */
export function createActuatorHandler(deps: ActuatorDeps): ActuatorHandler {
  const audit = async (peer: Peer | undefined, event: string, details: Readonly<Record<string, string | number | boolean | null>>, target?: string) => {
    await deps.store.appendAudit({
      at: deps.clock.now(), actor: peer === undefined ? "actuator:unknown-peer" : `uid:${peer.uid}`, action: `actuator.${event}`, target,
      details: { ...(peer === undefined ? {} : { peerPid: peer.pid, peerUid: peer.uid }), ...details },
    });
  };
  const refuse = async (peer: Peer | undefined, reason: ActuatorRefusal, detail: string, extra: Readonly<Record<string, string>> = {}): Promise<ActuatorResponse> => {
    await audit(peer, "refused", { reason, detail, ...extra });
    return { kind: "refused", reason, detail };
  };
  const handle = async (line: string, peer: Peer): Promise<ActuatorResponse> => {
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      return refuse(peer, "malformed", "the request is not JSON");
    }
    const r = ActuatorRequest.safeParse(raw);
    if (!r.success) return refuse(peer, "malformed", `the request does not fit the protocol: ${r.error.issues.map((i) => `${i.path.join(".") || "(request)"}: ${i.message}`).join("; ")}`.slice(0, 500));
    const req = r.data;
    if (req.op === "hello") {
      const actions = ACTION_IDS.filter((a) => deps.config.actions[a] !== undefined);
      return { kind: "hello", uid: process.getuid?.() ?? -1, hosts: [...deps.hosts], reads: true, actions };
    }
    if (req.op === "read") {
      // Only the port-owner questions, literally: a shell, a path, a flag more is not a question this door answers.
      if (!isPrivilegedRead(req.argv)) return refuse(peer, "not_allowed_read", `${JSON.stringify(req.argv).slice(0, 200)} is not one of the read-only commands the actuator runs`);
      return encodeRead(await deps.host.exec(req.argv, { timeoutMs: 5_000, maxOutputBytes: 256 * 1024 }));
    }
    // A grant for a host this actuator does not serve stays in the store for the one that does: looked at, not taken.
    const peeked = openGrant(deps.tokens, req.grant, await deps.store.getRecord(GRANT_NS, req.grant));
    if (peeked && !deps.hosts.includes(peeked.plan.host)) {
      return refuse(peer, "host_not_served", `the grant is for host ${peeked.plan.host}; this actuator runs actions on ${deps.hosts.join(", ")}`, { grant: req.grant.slice(0, 64) });
    }
    await audit(peer, "execute", { grant: req.grant.slice(0, 64) }, peeked?.plan.incident);
    // The guard takes the grant (single use), checks seal, expiry and this actuator's allow-lists, asks its own probes
    // whether the precondition still holds, runs argv, checks the result, and audits each step.
    return encodeOutcome(await deps.guard.execute(req.grant, deps.executor));
  };
  return { handle, refusePeer: (peer, reason, detail) => refuse(peer, reason, detail) };
}

export interface ActuatorListenOptions {
  readonly socket: string;
  /** The group the socket file gets (mode 0660): firewatch's own group; undefined keeps the process's group. */
  readonly gid?: number;
  /** The socket owner: who may connect besides root and the group. */
  readonly uid?: number;
  readonly peerOf: PeerOf;
  readonly onError?: (e: unknown) => void;
}

const READ_TIMEOUT_MS = 10_000;

/** Reads one line (at most MAX_ACTUATOR_LINE_BYTES), or undefined when the peer sent more or closed first. */
function firstLine(socket: Socket): Promise<string | undefined> {
  return new Promise((resolve) => {
    let buf = "";
    const done = (v: string | undefined) => {
      socket.off("data", onData);
      socket.off("end", onEnd);
      resolve(v);
    };
    const onData = (b: Buffer) => {
      buf += b.toString("utf8");
      const nl = buf.indexOf("\n");
      if (nl >= 0) done(buf.slice(0, nl));
      else if (buf.length > MAX_ACTUATOR_LINE_BYTES) done(undefined);
    };
    const onEnd = () => done(undefined);
    socket.on("data", onData);
    socket.once("end", onEnd);
  });
}

// Whatever the peer still sends is read and dropped, so its end arrives and the connection closes.
const reply = (socket: Socket, r: ActuatorResponse) => new Promise<void>((resolve) => socket.resume().end(`${JSON.stringify(r)}\n`, () => resolve()));

/**
 * Listens on the socket path (made 0660, owner and group as given; a stale socket file is replaced, anything else
 * there is refused) and answers each connection with `handle`, after checking the peer against the socket file.
 */
export async function listenActuator(opts: ActuatorListenOptions, actuator: ActuatorHandler): Promise<Server> {
  await mkdir(dirname(opts.socket), { recursive: true, mode: 0o750 });
  const old = await lstat(opts.socket).catch(() => undefined);
  if (old && !old.isSocket()) throw new Error(`${opts.socket} exists and is not a socket; not replacing it`);
  if (old) await unlink(opts.socket);
  const server = createServer((socket) => {
    socket.on("error", (e) => opts.onError?.(e));
    // A peer that connects and says nothing does not hold a connection open for ever (an execute answers in minutes).
    socket.setTimeout(READ_TIMEOUT_MS, () => socket.destroy());
    void (async () => {
      const peer = await opts.peerOf(socket).catch(() => undefined);
      if (!peer) return reply(socket, await actuator.refusePeer(undefined, "peer_unknown", "the actuator could not tell who is connecting (ss -xp, /proc); nothing ran"));
      const file = await stat(opts.socket);
      if (!peerAllowed(peer, file)) {
        const detail = `uid ${peer.uid} (PID ${peer.pid}) is neither root, the socket's owner (uid ${file.uid}) nor in its group (gid ${file.gid})`;
        return reply(socket, await actuator.refusePeer(peer, "peer_not_allowed", detail));
      }
      const line = await firstLine(socket);
      if (line === undefined) return reply(socket, { kind: "refused", reason: "malformed", detail: `no request line within ${MAX_ACTUATOR_LINE_BYTES} bytes` });
      socket.setTimeout(0);
      return reply(socket, await actuator.handle(line, peer));
    })().catch((e: unknown) => {
      opts.onError?.(e);
      socket.destroy();
    });
  });
  // The socket is made while the umask still hides it; only then opened up to the group.
  const umask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(opts.socket, () => resolve());
    });
  } finally {
    process.umask(umask);
  }
  if (opts.uid !== undefined || opts.gid !== undefined) await chown(opts.socket, opts.uid ?? process.getuid?.() ?? 0, opts.gid ?? process.getgid?.() ?? 0);
  await chmod(opts.socket, 0o660);
  return server;
}
