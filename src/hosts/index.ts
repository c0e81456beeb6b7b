// Public surface of the hosts floor: run commands and stream output here or over SSH, argv only.
/** The Host contract every source talks to; HostError says why a host operation failed (reason is stable). */
export { createCapture, DEFAULT_EXEC_TIMEOUT_MS, failureOfExit, DEFAULT_MAX_OUTPUT_BYTES, HostError, isHostError } from "./host.js";
export type { ExecOptions, ExecResult, Host, HostFailure, HostProcess, ProcessExit, SpawnOptions } from "./host.js";
/** LocalHost runs argv with child_process.spawn, never through a shell. */
export { LocalHost } from "./local-host.js";
/** SshHost shares one pinned, kept-alive, reconnecting ssh2 connection among its users and stops remote processes on close. */
export { SshHost } from "./ssh-host.js";
export type { SshHostDeps, SshHostOptions } from "./ssh-host.js";
/** Host key pinning: SHA256 fingerprints and known_hosts lines (plain or hashed). */
export { knownHostsName, sha256Fingerprint, verifyHostKey } from "./host-key.js";
export type { HostKeyPins, HostKeyVerdict } from "./host-key.js";
/** quoteArgv single-quotes argv into one POSIX shell command line, every argument literal. */
export { quoteArg, quoteArgv } from "./quote.js";
/** backoffDelay: capped exponential delays with jitter for reconnects. */
export { backoffDelay } from "./backoff.js";
export type { BackoffOptions } from "./backoff.js";
/** HostConfig is a host entry of firewatch.yaml (local, or ssh with a pinned key); openHost builds the Host. */
export { HostConfig, openHost } from "./config.js";
/** lazyHosts(configs): configured hosts opened on their first command, closed together. */
export { lazyHosts, type LazyHosts } from "./lazy-hosts.js";
