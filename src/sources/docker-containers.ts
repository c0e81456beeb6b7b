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
type Lane = { readonly id: string; readonly it: AsyncIterator<LogRecord> };

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
  // What has settled, and the one wait to wake. Not Promise.race over the lanes: every race adds a reaction to each
  // quiet lane's pending pull, holding the record that race returned, so a container that logs nothing kept every
  // record of a busy one alive until it spoke. Here each pull and each event wait gets exactly one reaction.
  const ready = new Map<Lane, Pulled>();
  let event: IteratorResult<LogRecord> | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const arm = (lane: Lane) => {
    void pull(lane).then((p) => {
      ready.set(lane, p);
      notify();
    });
  };
  /** Follows a container's logs from its latest cursor, after `delayMs` (a retry); a second add while it is followed is a no-op. */
  const add = (id: string, delayMs = 0) => {
    if (lanes.has(id) || ac.signal.aborted) return;
    const cursor = latest.get(id);
    const follow = () => followContainerLogs({ docker: opts.docker, container: id, signal: ac.signal, ...(cursor === undefined ? {} : { cursor }), clock, ...(opts.pollMs === undefined ? {} : { pollMs: opts.pollMs }) });
    const it = delayMs === 0 ? follow() : (async function* () {
      await clock.sleep(delayMs, ac.signal);
      yield* follow();
    })();
    const lane: Lane = { id, it };
    lanes.set(id, lane);
    arm(lane);
  };
  // Events first, so a container starting while we list is not missed (a duplicate add is ignored); from a second
  // before the listing, as dockerd replays them, so one that starts before the stream is connected is not either.
  const events = followDockerEvents({ docker: opts.docker, filters: { type: ["container"], event: ["start"] }, cursor: dockerEventsCursorAt(clock.now() - 1000), signal: ac.signal });
  // A failed events stream ends the merged stream, as its end does (the daemon is gone).
  let eventFailure: { error: unknown } | undefined;
  const nextEvent = () => {
    events.next().then(
      (found) => {
        event = found;
        notify();
      },
      (error: unknown) => {
        eventFailure = { error };
        notify();
      },
    );
  };
  nextEvent();
  for (const c of await opts.docker.listContainers({ all: false })) {
    const name = (c.Names[0] ?? "").replace(/^\//, "");
    if (matches(opts.select, name, c.Labels)) add(c.Id);
  }
  let turn = 0;
  try {
    while (!ac.signal.aborted) {
      const all = [...lanes.values()];
      // Round-robin: start at a different lane each time; among ready ones the first in order wins, then the event.
      const order = all.length === 0 ? [] : [...all.slice(turn % all.length), ...all.slice(0, turn % all.length)];
      const lane = order.find((l) => ready.has(l));
      const won = lane && ready.get(lane);
      if (won === undefined) {
        if (eventFailure !== undefined) throw eventFailure.error;
        if (event === undefined) {
          await new Promise<void>((resolve) => (wake = resolve));
          continue;
        }
        const found = event;
        event = undefined;
        if (found.done === true) return;
        const f = found.value.fields;
        if (matches(opts.select, f.name ?? "", f)) add(f.id ?? "");
        nextEvent();
        continue;
      }
      turn += 1;
      ready.delete(won.lane);
      const { r } = won;
      if (r.done) {
        lanes.delete(won.lane.id);
        // Not removed, so still worth reading: attached again shortly from where its records got to.
        if (won.failed === true) add(won.lane.id, opts.retryMs ?? 1000);
        continue;
      }
      if (r.value.cursor !== undefined) latest.set(won.lane.id, r.value.cursor);
      arm(won.lane);
      yield r.value;
    }
  } finally {
    ac.abort();
    opts.signal?.removeEventListener("abort", onAbort);
    await Promise.allSettled([...lanes.values()].map((l) => l.it.return?.(undefined)));
    await events.return(undefined);
  }
}
