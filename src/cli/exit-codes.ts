// Exit codes, documented in README: scripts and cron jobs rely on them.
export const EXIT = {
  /** Ran, nothing firing. */
  ok: 0,
  /** Ran, at least one incident firing. */
  firing: 1,
  /** Usage or input error: bad flags, missing file, malformed rule. */
  usage: 2,
  /** A bug in firewatch. */
  internal: 70,
} as const;
