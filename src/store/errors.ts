// StoreError: every way the store can refuse (corrupt file, locked directory, unsafe path, other version, Redis down, unknown id).
import { FirewatchError, type ErrorCode } from "../errors.js";

/** Why the store refused; each reason maps onto an error code (the CLI's exit code follows the code). */
export type StoreErrorReason =
  | "corrupt" // a state file or Redis value that does not parse
  | "locked" // another live process holds the file store's directory
  | "version" // data written by another layout version
  | "unavailable" // Redis unreachable for longer than the store waits
  | "not_found" // no incident or silence with that id
  | "invalid" // a request that makes no sense (ack a resolved incident, silence matching nothing)
  | "conflict" // optimistic update kept losing races (bounded retries)
  | "unsafe" // a directory or file another local user owns, can write, or has made a symlink
  | "fenced"; // a commit under a source lease that another watcher has taken since (docs/scaling.md)

const CODE: Readonly<Record<StoreErrorReason, ErrorCode>> = {
  corrupt: "store_corrupt",
  locked: "store_locked",
  version: "store_version",
  unavailable: "store_unavailable",
  not_found: "not_found",
  invalid: "usage",
  conflict: "internal",
  unsafe: "usage",
  fenced: "internal",
};

export class StoreError extends FirewatchError {
  readonly reason: StoreErrorReason;
  constructor(reason: StoreErrorReason, message: string, options?: { cause?: unknown; hint?: string }) {
    super(CODE[reason], message, options);
    this.reason = reason;
  }
}

export function isStoreError(e: unknown, reason?: StoreErrorReason): e is StoreError {
  return e instanceof StoreError && (reason === undefined || e.reason === reason);
}
