// Knows whether the daemon's sources are reading a backlog (a catch-up) or are at the end of what there is, from
// their lag reports, and says when the last one has caught up: probes wait for that (issue 18).
import type { SourceLag } from "./source-runner.js";

/** A file this far behind its end is reading a backlog (a poll reads about 1 MiB; a live append is far less). */
export const BEHIND_BYTES = 1 << 20;
/** A journal whose newest entry arrived this old is reading a backlog (a host's clock may be off by seconds). */
export const BEHIND_SECONDS = 60;

export interface Backlog {
  /** Follows these sources from now on, each behind until its first report says otherwise; forgets the others. */
  follow(sources: readonly string[]): void;
  /** A lane's lag report (about once a second). */
  lag(source: string, lag: SourceLag): void;
  /** The lane ended (a catch-up run read it to the end): it is behind no more. */
  ended(source: string): void;
  /** True while some followed source is reading a backlog. */
  behind(): boolean;
}

/** `onCaughtUp` is called each time the last source that was behind catches up. */
export function createBacklog(onCaughtUp: () => void): Backlog {
  const followed = new Set<string>();
  const behindNow = new Set<string>();
  const settle = (wasBehind: boolean) => {
    if (wasBehind && behindNow.size === 0) onCaughtUp();
  };
  return {
    follow(sources) {
      const was = behindNow.size > 0;
      followed.clear();
      behindNow.clear();
      for (const s of sources) {
        followed.add(s);
        behindNow.add(s);
      }
      settle(was);
    },
    lag(source, lag) {
      if (!followed.has(source)) return;
      const was = behindNow.size > 0;
      // A file says how many bytes it has left; a journal only how old its newest entry was.
      const far = lag.bytes !== undefined ? lag.bytes > BEHIND_BYTES : lag.seconds > BEHIND_SECONDS;
      if (far) behindNow.add(source);
      else behindNow.delete(source);
      settle(was);
    },
    ended(source) {
      const was = behindNow.size > 0;
      behindNow.delete(source);
      settle(was);
    },
    behind: () => behindNow.size > 0,
  };
}
