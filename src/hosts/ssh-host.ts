// A remote machine as a Host over SSH (ssh2): one shared connection, pinned host key, reconnects, no orphaned processes.
import type { Duplex } from "node:stream";
import { createRequire } from "node:module";
import type { Client, ClientChannel, ConnectConfig } from "ssh2";
import { systemClock, type Clock } from "../time.js";
import { backoffDelay, type BackoffOptions } from "./backoff.js";
import {
  checkArgv, collectExec, createCapture, HostError,
  type ExecOptions, type ExecResult, type Host, type HostProcess, type ProcessExit, type SpawnOptions,
} from "./host.js";
import { verifyHostKey, type HostKeyPins } from "./host-key.js";
import { quoteArgv } from "./quote.js";

// Loaded by the first connection, not with the hosts floor: local commands never load ssh2.
const require = createRequire(import.meta.url);
const ssh2Client = (): typeof Client => (require("ssh2") as { Client: typeof Client }).Client;

export interface SshHostOptions {
  readonly name?: string;
  readonly host: string;
  readonly port?: number;
  readonly user: string;
  readonly privateKey: Buffer | string;
  readonly passphrase?: string;
  /** Required: an unpinned host is refused, never trusted on first use. */
  readonly hostKey: HostKeyPins;
  readonly keepaliveIntervalMs?: number;
  readonly keepaliveCountMax?: number;
  readonly readyTimeoutMs?: number;
  /** Connection attempts before giving up with "unreachable" (each later call tries again); default 5. */
  readonly connectAttempts?: number;
  readonly backoff?: BackoffOptions;
}

export interface SshHostDeps {
  readonly clock?: Clock;
  readonly random?: () => number;
}

/**
 * Runs argv in the background and ends it when our side of the channel closes: sshd turns a closed channel
 * (or a dead link) into EOF on the session's stdin, which `cat` sees, and the watcher then kills the command.
 * Without it a `tail -F` or `journalctl -f` would live on until its next write hit a broken pipe, which for a
 * quiet log is never. Background jobs get /dev/null as stdin, so the channel's stdin is kept on fd 3 for cat;
 * the watcher holds no stdout/stderr, so sshd ends the session as soon as the command exits.
 */
const WRAPPER = 'exec 3<&0; "$@" 3<&- & p=$!; { cat <&3; kill -TERM "$p"; } >/dev/null 2>&1 & exec 3<&-; wait "$p"';

function wrapped(argv: readonly string[]): string {
  return quoteArgv(["sh", "-c", WRAPPER, "sh", ...argv]);
}

/** How long close() waits for the remote commands to end before it drops the connection. */
const CLOSE_GRACE_MS = 5000;

export class SshHost implements Host {
  readonly name: string;
  private readonly port: number;
  private readonly clock: Clock;
  private readonly random: () => number;
  private conn: Promise<Client> | undefined;
  /** Open channels and when each one's process is gone (registered at open: "exit" fires only once). */
  private readonly channels = new Map<ClientChannel, Promise<unknown>>();
  /** Connections that have closed: a channel of one of them has no exit to wait for. */
  private readonly closedClients = new WeakSet<Client>();
  private closed = false;

  constructor(private readonly opts: SshHostOptions, deps: SshHostDeps = {}) {
    this.port = opts.port ?? 22;
    this.name = opts.name ?? `${opts.user}@${opts.host}:${this.port}`;
    this.clock = deps.clock ?? systemClock;
    this.random = deps.random ?? Math.random;
  }

  /** The shared connection, (re)connecting with backoff when there is none; permanent failures are not retried. */
  connection(signal?: AbortSignal): Promise<Client> {
    if (this.closed) return Promise.reject(new HostError(this.name, "link_lost", "host is closed"));
    this.conn ??= this.connectWithRetries(signal).catch((e: unknown) => {
      this.conn = undefined;
      throw e;
    });
    return this.conn;
  }

  private async connectWithRetries(signal?: AbortSignal): Promise<Client> {
    const attempts = this.opts.connectAttempts ?? 5;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.connectOnce();
      } catch (e) {
        const permanent = e instanceof HostError && e.reason !== "unreachable";
        if (permanent || attempt + 1 >= attempts || this.closed) throw e;
        await this.clock.sleep(backoffDelay(attempt, this.opts.backoff ?? {}, this.random), signal);
      }
    }
  }

  private connectOnce(): Promise<Client> {
    const client = new (ssh2Client())();
    let keyProblem: HostError | undefined;
    const config: ConnectConfig = {
      host: this.opts.host,
      port: this.port,
      username: this.opts.user,
      privateKey: this.opts.privateKey,
      ...(this.opts.passphrase === undefined ? {} : { passphrase: this.opts.passphrase }),
      keepaliveInterval: this.opts.keepaliveIntervalMs ?? 15_000,
      keepaliveCountMax: this.opts.keepaliveCountMax ?? 3,
      readyTimeout: this.opts.readyTimeoutMs ?? 10_000,
      hostVerifier: (key: Buffer) => {
        const v = verifyHostKey(key, this.opts.host, this.port, this.opts.hostKey);
        if (v.ok) return true;
        keyProblem =
          v.reason === "host_key_changed"
            ? new HostError(this.name, v.reason, `host key changed: the server offers ${v.offered}, which is not the pinned key; refusing to connect`, { hint: "if the host was reinstalled, verify the new key out of band and update the pin" })
            : new HostError(this.name, v.reason, `unknown host key ${v.offered}: no pinned fingerprint or known_hosts line for ${this.opts.host}:${this.port}; refusing to connect`, { hint: `verify it on the host (ssh-keygen -l -E sha256 -f /etc/ssh/ssh_host_ed25519_key.pub) and add it to hostKey.fingerprints` });
        return false;
      },
    };
    return new Promise((resolve, reject) => {
      const onError = (e: Error & { level?: string }) => {
        client.off("close", onClose);
        client.end();
        if (keyProblem) reject(keyProblem);
        else if (e.level === "client-authentication") reject(new HostError(this.name, "auth_failed", `authentication failed for user ${this.opts.user}: the server accepted none of our keys`, { cause: e, hint: "check the private key and the user's authorized_keys" }));
        else reject(new HostError(this.name, "unreachable", `cannot connect: ${e.message}`, { cause: e }));
      };
      // The server may close the connection during the handshake without an error (sshd restarting, MaxStartups):
      // without this the attempt would wait for ever, and so would everything waiting for the connection.
      const onClose = () => onError(Object.assign(new Error("the server closed the connection during the handshake"), { level: "socket" }));
      client.once("error", onError);
      client.once("close", onClose);
      client.once("ready", () => {
        client.off("error", onError);
        client.off("close", onClose);
        // Each open channel listens for the connection closing (removed when the channel closes): bounded by
        // the channels open at once, which may exceed Node's default warning threshold of 10.
        client.setMaxListeners(0);
        // A later error (link reset) ends the connection; the next call reconnects.
        client.on("error", () => undefined);
        client.once("close", () => {
          this.closedClients.add(client);
          if (this.conn !== undefined) this.conn = undefined;
        });
        resolve(client);
      });
      try {
        client.connect(config);
      } catch (e) {
        // ssh2 parses the key synchronously: a key it cannot read is a configuration error, not worth a retry.
        client.off("error", onError);
        client.off("close", onClose);
        reject(new HostError(this.name, "auth_failed", `cannot use the private key: ${e instanceof Error ? e.message : String(e)}`, { cause: e, hint: "give an OpenSSH or PEM private key (and its passphrase if it has one)" }));
      }
    });
  }

  /** An exec channel for `command` (argv already quoted) on the shared connection, tracked until it closes. */
  private async open(argv: readonly string[], command: string, signal?: AbortSignal): Promise<{ channel: ClientChannel; exit: ChannelExit }> {
    checkArgv(this.name, argv);
    signal?.throwIfAborted();
    const client = await this.connection(signal);
    const opened = await new Promise<{ channel: ClientChannel; exit: ChannelExit }>((resolve, reject) => {
      // A connection that closes before the server answers never calls back: fail then, rather than wait for ever.
      const closed = () => reject(new HostError(this.name, "link_lost", "the connection closed before the command started"));
      client.once("close", closed);
      client.exec(command, (err, ch) => {
        client.off("close", closed);
        if (err) reject(new HostError(this.name, "link_lost", `cannot open a channel: ${err.message}`, { cause: err }));
        // Watched here, before anything awaits: ssh2 emits a quick command's exit status while parsing the same read
        // that confirmed the channel, and a listener added a microtask later never hears it (the link looks lost).
        else resolve({ channel: ch, exit: watchExit(ch, client, this.closedClients) });
      });
    });
    this.channels.set(opened.channel, opened.exit.early);
    opened.channel.once("close", () => this.channels.delete(opened.channel));
    return opened;
  }

  async exec(argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    const { channel, exit } = await this.open(argv, wrapped(argv), opts.signal);
    return collectExec(this.name, argv, opts, (out, err) => {
      channel.on("data", (b: Buffer) => out.push(b));
      channel.stderr.on("data", (b: Buffer) => err.push(b));
      // Ending our side makes the remote wrapper kill the command.
      return { stop: () => channel.end(), exit: exit.closed };
    });
  }

  async spawn(argv: readonly string[], opts: SpawnOptions = {}): Promise<HostProcess> {
    const { channel, exit } = await this.open(argv, wrapped(argv), opts.signal);
    const err = createCapture(opts.maxStderrBytes ?? 64 * 1024);
    channel.stderr.on("data", (b: Buffer) => err.push(b));
    const stop = () => channel.end();
    opts.signal?.addEventListener("abort", stop, { once: true });
    const exited: Promise<ProcessExit> = exit.early.then(({ code, signal }) => {
      opts.signal?.removeEventListener("abort", stop);
      return { code, signal, stderr: err.text() };
    });
    return {
      stdout: channel,
      exited,
      close: async () => {
        stop();
        // The caller is done reading: drop what is left so the channel can close and release its listeners.
        channel.resume();
        await exited;
      },
    };
  }

  /**
   * A raw bidirectional channel to argv's stdin and stdout, for protocols spoken over a command
   * (`docker system dial-stdio`). No kill wrapper: the command must exit when its stdin closes, as
   * dial-stdio does; closing the returned stream (or the host) closes its stdin.
   */
  async dial(argv: readonly string[], signal?: AbortSignal): Promise<Duplex> {
    return (await this.open(argv, quoteArgv(argv), signal)).channel;
  }

  /**
   * A stream to the unix socket at `path` on the remote machine (OpenSSH's direct-streamlocal@openssh.com, which
   * sshd allows unless AllowStreamLocalForwarding is no or DisableForwarding is set). sshd connects as the login
   * user, so the socket's mode decides, as for a local process of that user.
   */
  async openUnixSocket(path: string, signal?: AbortSignal): Promise<Duplex> {
    if (path === "" || path.includes("\0")) throw new HostError(this.name, "invalid_argument", "a unix socket path may not be empty or hold a NUL byte");
    signal?.throwIfAborted();
    const client = await this.connection(signal);
    const channel = await new Promise<ClientChannel>((resolve, reject) => {
      const closed = () => reject(new HostError(this.name, "link_lost", `the connection closed before ${path} was opened`));
      client.once("close", closed);
      client.openssh_forwardOutStreamLocal(path, (err, ch) => {
        client.off("close", closed);
        // sshd says only "open failed"; its log has the errno. Missing, refused by the file mode, or forwarding off.
        if (err) reject(new HostError(this.name, "permission_denied", `sshd could not open the unix socket ${path}: ${err.message}`, { cause: err, hint: `on ${this.name}: is something listening on ${path}, may ${this.opts.user} open it (its group), and does sshd allow it (AllowStreamLocalForwarding)?` }));
        else resolve(ch);
      });
    });
    // Tracked like a command's channel, so close() ends it and waits for it.
    this.channels.set(channel, new Promise((r) => channel.once("close", r)));
    channel.once("close", () => this.channels.delete(channel));
    return channel;
  }

  async close(): Promise<void> {
    this.closed = true;
    const open = [...this.channels];
    for (const [ch] of open) {
      ch.end();
      // Nobody may be reading: let the remaining output flow so the channel can close.
      ch.resume();
    }
    // A channel whose end never arrives (a link that died without closing) must not hold the daemon's stop for ever.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(open.map(([, gone]) => gone)), new Promise((r) => (timer = setTimeout(r, CLOSE_GRACE_MS)))]);
    clearTimeout(timer);
    const conn = this.conn;
    this.conn = undefined;
    if (conn) (await conn.catch(() => undefined))?.end();
  }
}

type ExitStatus = { code: number | null; signal: string | null };

/**
 * Exit of the remote command. `closed` settles on "close", which comes only after every byte was emitted (exec reads
 * in flowing mode); a spawn's consumer may not be reading, so `early` also settles on the exit status. A connection
 * that goes down without an exit status reads as signal "link". Call it synchronously in the exec callback.
 */
interface ChannelExit {
  readonly early: Promise<ExitStatus>;
  readonly closed: Promise<ExitStatus>;
}

function watchExit(channel: ClientChannel, client: Client, closedClients: WeakSet<Client>): ChannelExit {
  // Its connection closed already: no "close" will come any more.
  if (closedClients.has(client)) {
    const link = Promise.resolve({ code: null, signal: "link" });
    return { early: link, closed: link };
  }
  let status: ExitStatus | undefined;
  let onExit: (s: ExitStatus) => void = () => undefined;
  let onClose: (s: ExitStatus) => void = () => undefined;
  const early = new Promise<ExitStatus>((r) => (onExit = r));
  const closed = new Promise<ExitStatus>((r) => (onClose = r));
  const lost = () => {
    // One listener per channel on the shared client: remove it, or a long-lived host collects thousands.
    client.off("close", lost);
    channel.off("close", lost);
    const s = status ?? { code: null, signal: "link" };
    onExit(s);
    onClose(s);
  };
  channel.once("exit", (code: number | null, signal?: string) => {
    status = { code: typeof code === "number" ? code : null, signal: signal ?? null };
    onExit(status);
  });
  channel.once("close", lost);
  client.once("close", lost);
  return { early, closed };
}
