// Follows every container that matches a label or a name pattern, including ones that start later, as one stream.
import type Dockerode from "dockerode";
import type { LogRecord } from "../parsers/index.js";
import type { Clock } from "../time.js";
import { followContainerLogs, followDockerEvents } from "./docker.js";

export interface ContainerSelector {
  /** Docker label filters: "com.example.role=api" or just "com.example.watch". */
  readonly labels?: readonly string[];
  /** Matched against the container name (without the leading "/"). */
  readonly namePattern?: RegExp;
}

export interface FollowContainersOptions {
  readonly docker: Dockerode;
  readonly select: ContainerSelector;
  /** Last cursor per container id (from records' cursors), to resume each without repeats. */
  readonly cursors?: ReadonlyMap<string, string>;
  readonly signal?: AbortSignal;
  readonly clock?: Clock;
  readonly pollMs?: number;
}

function matches(sel: ContainerSelector, name: string, labels: Record<string, string>): boolean {
  if (sel.namePattern !== undefined && !sel.namePattern.test(name)) return false;
  for (const l of sel.labels ?? []) {
    const eq = l.indexOf("=");
    const key = eq === -1 ? l : l.slice(0, eq);
    if (!(key in labels) || (eq !== -1 && labels[key] !== l.slice(eq + 1))) return false;
  }
  return true;
}

/** The lane's next record; a container that vanished (removed between list and inspect) just ends its lane. */
function pull(lane: Lane): Promise<{ lane: Lane; r: IteratorResult<LogRecord> }> {
  return lane.it.next().then(
    (r) => ({ lane, r }),
    () => ({ lane, r: { done: true, value: undefined } }),
  );
}

type Lane = { readonly id: string; readonly it: AsyncIterator<LogRecord>; next: Promise<{ lane: Lane; r: IteratorResult<LogRecord> }> };

/**
 * Records of all matching containers, merged. Each container's stream is pulled one record at a time and the
 * ready streams are served round-robin, so a container flooding its log cannot starve the others, and a slow
 * consumer holds every producer back (no unbounded buffer). New matches are found through "start" events.
 */
export async function* followContainers(opts: FollowContainersOptions): AsyncGenerator<LogRecord> {
  const lanes = new Map<string, Lane>();
  const ac = new AbortController();
  const onAbort = () => ac.abort();
  opts.signal?.addEventListener("abort", onAbort, { once: true });
  const add = (id: string) => {
    if (lanes.has(id) || ac.signal.aborted) return;
    const cursor = opts.cursors?.get(id);
    const it = followContainerLogs({ docker: opts.docker, container: id, signal: ac.signal, ...(cursor === undefined ? {} : { cursor }), ...(opts.clock ? { clock: opts.clock } : {}), ...(opts.pollMs === undefined ? {} : { pollMs: opts.pollMs }) });
    const lane: Lane = { id, it, next: Promise.resolve() as never };
    lane.next = pull(lane);
    lanes.set(id, lane);
  };
  // Events first, so a container starting while we list is not missed (a duplicate add is ignored).
  const events = followDockerEvents({ docker: opts.docker, filters: { type: ["container"], event: ["start"] }, signal: ac.signal });
  type Found = { lane?: undefined; found: IteratorResult<LogRecord> };
  const nextEvent = (): Promise<Found> => {
    const p = events.next().then((found) => ({ found }));
    // Raced below, or never awaited when listing fails first (the daemon is down): never an unhandled rejection.
    p.catch(() => undefined);
    return p;
  };
  let pendingEvent = nextEvent();
  for (const c of await opts.docker.listContainers({ all: false })) {
    const name = (c.Names[0] ?? "").replace(/^\//, "");
    if (matches(opts.select, name, c.Labels)) add(c.Id);
  }
  let turn = 0;
  try {
    while (!ac.signal.aborted) {
      const all = [...lanes.values()];
      // Round-robin: start the race at a different lane each time; among ready ones the first in order wins.
      const order = all.length === 0 ? [] : [...all.slice(turn % all.length), ...all.slice(0, turn % all.length)];
      turn += 1;
      const won = await Promise.race<Found | { lane: Lane; r: IteratorResult<LogRecord> }>([...order.map((l) => l.next), pendingEvent]);
      if (won.lane === undefined) {
        if (won.found.done) return;
        const f = won.found.value.fields;
        const id = won.found.value.fields.id ?? "";
        if (matches(opts.select, f.name ?? "", f)) add(id);
        pendingEvent = nextEvent();
        continue;
      }
      const { lane, r } = won;
      if (r.done) {
        lanes.delete(lane.id);
        continue;
      }
      lane.next = pull(lane);
      yield r.value;
    }
  } finally {
    ac.abort();
    opts.signal?.removeEventListener("abort", onAbort);
    await Promise.allSettled([...lanes.values()].map((l) => l.it.return?.(undefined)));
    await events.return(undefined);
  }
}
