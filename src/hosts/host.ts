// The Host contract: run a command or stream one's output, here or over SSH, with argv only, limits and cancellation.
import type { Duplex } from "node:stream";
import { FirewatchError, type ErrorCode } from "../errors.js";

export interface ExecOptions {
  /** Stops the command (and, over SSH, the remote process) after this long; default 30 s. */
  readonly timeoutMs?: number;
  /** Keeps at most this many bytes of stdout and of stderr each; the rest is read and dropped. Default 4 MiB. */
  readonly maxOutputBytes?: number;
  readonly signal?: AbortSignal;
}

export interface ExecResult {
  /** Exit code, or null when a signal ended it (or the timeout did). */
  readonly code: number | null;
  readonly signal: string | null;
  readonly stdout: string;
  readonly stderr: string;
  /** True when output beyond maxOutputBytes was dropped. */
  readonly truncated: boolean;
  readonly timedOut: boolean;
}

export interface SpawnOptions {
  readonly signal?: AbortSignal;
  /** stderr kept for the error message; default 64 KiB. */
  readonly maxStderrBytes?: number;
}

export interface ProcessExit {
  readonly code: number | null;
  readonly signal: string | null;
  /** The first maxStderrBytes of what it wrote to stderr. */
  readonly stderr: string;
}

/** A long-running command: its stdout as bytes (iterating pauses the producer), its exit, and a real stop. */
export interface HostProcess {
  /** Ends when the process exits or the link drops; iterate it once. */
  readonly stdout: AsyncIterable<Buffer>;
  /** Settles when the process is gone; never rejects (a dropped link reads as code null, signal "link"). */
  readonly exited: Promise<ProcessExit>;
  /** Stops the process (SIGTERM here; over SSH the remote wrapper kills it) and resolves once it has exited. */
  close(): Promise<void>;
}

export interface Host {
  /** "local" or the name given in config; used in records and logs. */
  readonly name: string;
  /** Runs argv to completion. Rejects with HostError for a missing command or denied execution, never for a non-zero exit. */
  exec(argv: readonly string[], opts?: ExecOptions): Promise<ExecResult>;
  /** Starts argv and streams its stdout. Rejects with HostError when it cannot start. */
  spawn(argv: readonly string[], opts?: SpawnOptions): Promise<HostProcess>;
  /** Stops every process this host started and releases the connection. */
  close(): Promise<void>;
  /**
   * A byte stream to the unix socket at `path` on this host, when the host can open one (over SSH: a
   * direct-streamlocal channel on the same pinned connection). Rejects with HostError when the far side refuses.
   */
  openUnixSocket?(path: string, signal?: AbortSignal): Promise<Duplex>;
}

/** Why a host operation failed; stable, for logs and the "source down" incident. */
export type HostFailure =
  | "host_key_unknown" // the server's key is not pinned: refuse, never trust on first use
  | "host_key_changed" // pinned, and the server offers another key
  | "auth_failed" // the server refused every key we offered
  | "unreachable" // TCP or SSH handshake failed, after the retries
  | "link_lost" // the connection dropped while in use
  | "command_not_found" // exit 127 / ENOENT
  | "permission_denied" // exit 126 / EACCES
  | "invalid_argument"; // argv that no shell can carry (empty, NUL bytes)

// errors.ts has no host codes yet; until it does, map to the nearest existing code and keep the precise reason.
const CODE: Record<HostFailure, ErrorCode> = {
  host_key_unknown: "host_key",
  host_key_changed: "host_key",
  auth_failed: "host_auth",
  unreachable: "host_unreachable",
  link_lost: "host_unreachable",
  command_not_found: "host_command",
  permission_denied: "host_command",
  invalid_argument: "usage",
};

export class HostError extends FirewatchError {
  readonly reason: HostFailure;
  readonly host: string;
  constructor(host: string, reason: HostFailure, message: string, options?: { cause?: unknown; hint?: string }) {
    super(CODE[reason], `${host}: ${message}`, options);
    this.reason = reason;
    this.host = host;
  }
}

export function isHostError(e: unknown): e is HostError {
  return e instanceof HostError;
}

export const DEFAULT_EXEC_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_OUTPUT_BYTES = 4 * 1024 * 1024;

/** Keeps the first `max` bytes written to it and remembers whether more came. */
export function createCapture(max: number): { push(b: Buffer): void; text(): string; readonly truncated: boolean } {
  const parts: Buffer[] = [];
  let kept = 0;
  let truncated = false;
  return {
    push(b) {
      const room = max - kept;
      if (b.length > room) truncated = true;
      if (room <= 0) return;
      const piece = b.length > room ? b.subarray(0, room) : b;
      parts.push(Buffer.from(piece));
      kept += piece.length;
    },
    text: () => Buffer.concat(parts, kept).toString("utf8"),
    get truncated() {
      return truncated;
    },
  };
}

/** Exit 127 and 126 are what every POSIX shell reports for a missing or non-executable command. */
export function failureOfExit(host: string, argv: readonly string[], code: number | null, stderr: string): HostError | undefined {
  const first = stderr.trim().split("\n")[0] ?? "";
  if (code === 127) return new HostError(host, "command_not_found", `command not found: ${argv[0] ?? ""}${first ? ` (${first})` : ""}`, { hint: `install ${argv[0] ?? "it"} on ${host} or fix its path` });
  if (code === 126) return new HostError(host, "permission_denied", `permission denied running ${argv[0] ?? ""}${first ? ` (${first})` : ""}`, { hint: "check the file mode and the user firewatch logs in as" });
  return undefined;
}

type Capture = ReturnType<typeof createCapture>;

/**
 * The part of exec both hosts share: capture output up to the cap, stop the command on timeout or abort,
 * and turn its exit into an ExecResult or a HostError. `wire` attaches the captures and says how to stop it.
 */
export async function collectExec(
  host: string,
  argv: readonly string[],
  opts: ExecOptions,
  wire: (out: Capture, err: Capture) => { stop(): void; exit: Promise<{ code: number | null; signal: string | null }> },
): Promise<ExecResult> {
  const max = opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  const out = createCapture(max);
  const err = createCapture(max);
  const { stop, exit } = wire(out, err);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    stop();
  }, opts.timeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS);
  opts.signal?.addEventListener("abort", stop, { once: true });
  try {
    const { code, signal } = await exit;
    opts.signal?.throwIfAborted();
    if (code === null && signal === "link") throw new HostError(host, "link_lost", `connection lost while running ${argv[0] ?? ""}`);
    const failure = failureOfExit(host, argv, code, err.text());
    if (failure) throw failure;
    return { code, signal, stdout: out.text(), stderr: err.text(), truncated: out.truncated || err.truncated, timedOut };
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener("abort", stop);
  }
}

export function checkArgv(host: string, argv: readonly string[]): void {
  if (argv.length === 0 || argv[0] === "") throw new HostError(host, "invalid_argument", "empty command");
  for (const a of argv) if (a.includes("\0")) throw new HostError(host, "invalid_argument", "an argument contains a NUL byte, which no command line can carry");
}
