// Follows every container that matches a label or a name pattern, including ones that start later, as one stream.
import type Dockerode from "dockerode";
import type { LogRecord } from "../parsers/index.js";
import { systemClock, type Clock } from "../time.js";
import { dockerEventsCursorAt, followContainerLogs, followDockerEvents } from "./docker.js";

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
  /** How long after a container's log stream failed it is attached again (from its last record); default 1 s. */
  readonly retryMs?: number;
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

/** A container removed (Docker's 404): its lane ends for good. */
const isGone = (e: unknown) => typeof e === "object" && e !== null && "statusCode" in e && e.statusCode === 404;

/**
 * The lane's next record. A container that vanished (removed between list and inspect) just ends its lane; any
 * other failure (the daemon hiccuped mid-stream) ends it with `failed`, to be attached again from its last cursor.
 */
function pull(lane: Lane): Promise<Pulled> {
  return lane.it.next().then(
    (r) => ({ lane, r }),
    (e: unknown) => ({ lane, r: { done: true, value: undefined }, failed: !isGone(e) }),
  );
}

type Pulled = { lane: Lane; r: IteratorResult<LogRecord>; failed?: boolean };
type Lane = { readonly id: string; readonly it: AsyncIterator<LogRecord>; next: Promise<Pulled> };

/**
 * Records of all matching containers, merged. Each container's stream is pulled one record at a time and the
 * ready streams are served round-robin, so a container flooding its log cannot starve the others, and a slow
 * consumer holds every producer back (no unbounded buffer). New matches are found through "start" events.
 */
export async function* followContainers(opts: FollowContainersOptions): AsyncGenerator<LogRecord> {
  const lanes = new Map<string, Lane>();
  // Where each container's records got to: a lane attached again (after a failure, or at the container's next start)
  // goes on from there, not from where this stream began.
  const latest = new Map<string, string>(opts.cursors ?? []);
  const ac = new AbortController();
  const onAbort = () => ac.abort();
  opts.signal?.addEventListener("abort", onAbort, { once: true });
  const clock = opts.clock ?? systemClock;
  /** Follows a container's logs from its latest cursor, after `delayMs` (a retry); a second add while it is followed is a no-op. */
  const add = (id: string, delayMs = 0) => {
    if (lanes.has(id) || ac.signal.aborted) return;
    const cursor = latest.get(id);
    const follow = () => followContainerLogs({ docker: opts.docker, container: id, signal: ac.signal, ...(cursor === undefined ? {} : { cursor }), clock, ...(opts.pollMs === undefined ? {} : { pollMs: opts.pollMs }) });
    const it = delayMs === 0 ? follow() : (async function* () {
      await clock.sleep(delayMs, ac.signal);
      yield* follow();
    })();
    const lane: Lane = { id, it, next: Promise.resolve() as never };
    lane.next = pull(lane);
    lanes.set(id, lane);
  };
  // Events first, so a container starting while we list is not missed (a duplicate add is ignored); from a second
  // before the listing, as dockerd replays them, so one that starts before the stream is connected is not either.
  const events = followDockerEvents({ docker: opts.docker, filters: { type: ["container"], event: ["start"] }, cursor: dockerEventsCursorAt(clock.now() - 1000), signal: ac.signal });
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
      const won = await Promise.race<Found | Pulled>([...order.map((l) => l.next), pendingEvent]);
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
        // Not removed, so still worth reading: attached again shortly from where its records got to.
        if (won.failed === true) add(lane.id, opts.retryMs ?? 1000);
        continue;
      }
      if (r.value.cursor !== undefined) latest.set(lane.id, r.value.cursor);
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
