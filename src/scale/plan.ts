// Who takes which source: a watcher's share of the sources, what it sheds and what it takes (pure; lease-keeper.ts acts).
import type { LeaseSurvey } from "../store/index.js";

export interface LeasePlan {
  /** Sources this watcher holds beyond its share: give them up (after the run that reads them has committed). */
  readonly shed: readonly string[];
  /** Free sources to try to take now (another watcher may win one; the next round sees it). */
  readonly take: readonly string[];
  /** ceil(sources / live watchers). */
  readonly share: number;
}

/**
 * Each live watcher's share is ceil(sources / watchers). A watcher above it sheds the excess; one below it takes free
 * sources, the least-loaded first: it leaves to every live watcher with fewer leases than its own the room that watcher
 * has below the share, and takes only what is left (so three watchers starting together end 4/4/4 over 12 sources,
 * and a dead watcher's sources go to the emptiest ones). Which free sources it tries is rotated by its id, so watchers
 * deciding at the same moment mostly try different ones.
 */
export function planLeases(me: string, held: ReadonlySet<string>, sources: readonly string[], survey: LeaseSurvey): LeasePlan {
  const live = new Set([me, ...survey.watchers.map((w) => w.info.id)]);
  const configured = new Set(sources);
  const share = Math.ceil(configured.size / live.size);
  const mine = [...held].filter((s) => configured.has(s)).sort();
  if (mine.length > share) return { shed: mine.slice(share), take: [], share };
  const load = new Map<string, number>([...live].map((w) => [w, 0]));
  const free: string[] = [];
  for (const l of survey.leases) {
    if (!configured.has(l.source) || held.has(l.source)) continue;
    if (l.owner === undefined) free.push(l.source);
    else if (load.has(l.owner)) load.set(l.owner, (load.get(l.owner) ?? 0) + 1);
  }
  let room = 0;
  for (const [w, n] of load) if (w !== me && n < mine.length) room += Math.max(0, share - n);
  const want = Math.min(share - mine.length, free.length - room);
  if (want <= 0) return { shed: [], take: [], share };
  const start = hash(me) % free.length;
  const rotated = [...free.slice(start), ...free.slice(0, start)];
  return { shed: [], take: rotated.slice(0, want), share };
}

function hash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) >>> 0;
  return h;
}
