// followContainers against a Docker API stand-in whose log stream breaks: the container is attached again from its
// last record, so its lines keep coming, once each (the real daemon cannot be made to fail mid-stream on demand).
import { PassThrough, Readable } from "node:stream";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import type Dockerode from "dockerode";
import { describe, expect, test } from "vitest";
import type { LogRecord } from "../../../src/parsers/index.js";
import { followContainers } from "../../../src/sources/index.js";

/** One multiplexed stdout frame, as dockerd sends it for a container without a TTY. */
function frame(text: string): Buffer {
  const payload = Buffer.from(text);
  const head = Buffer.alloc(8);
  head[0] = 1;
  head.writeUInt32BE(payload.length, 4);
  return Buffer.concat([head, payload]);
}

const line = (n: number) => frame(`2026-12-07T10:00:0${n}.000000001Z line ${n}\n`);

/** A log stream that sends `frames` and then fails (`fail`) or stays open. */
function logStream(frames: readonly Buffer[], fail: boolean): Readable {
  const s = new PassThrough();
  for (const f of frames) s.write(f);
  if (fail) setImmediate(() => s.destroy(Object.assign(new Error("socket hang up"), { code: "ECONNRESET" })));
  return s;
}

/** A daemon with one running container "web" whose logs() answers come from `answers`, in turn. */
function daemon(answers: ((opts: { since: number }) => Readable)[], inspected: { status: number; count?: number } = { status: 200 }) {
  const calls: number[] = [];
  const events = new PassThrough();
  const docker = {
    listContainers: async () => [{ Id: "c1", Names: ["/web"], Labels: {} }],
    getEvents: async () => events,
    getContainer: () => ({
      inspect: async () => {
        inspected.count = (inspected.count ?? 0) + 1;
        if (inspected.status === 404) throw Object.assign(new Error("no such container"), { statusCode: 404 });
        return { Id: "c1", Name: "/web", State: { Running: true } };
      },
      logs: async (opts: { since: number; abortSignal?: AbortSignal }) => {
        calls.push(opts.since);
        const stream = answers.shift()?.(opts) ?? new PassThrough();
        // As docker-modem does: the request's abort signal ends its stream.
        opts.abortSignal?.addEventListener("abort", () => stream.destroy(), { once: true });
        return stream;
      },
    }),
  };
  return { docker: docker as unknown as Dockerode, calls, end: () => events.end() };
}

async function take(it: AsyncGenerator<LogRecord>, n: number): Promise<string[]> {
  const out: string[] = [];
  while (out.length < n) {
    const r = await it.next();
    if (r.done) break;
    out.push(r.value.message);
  }
  return out;
}

/** `docker events` JSON of a container start, as dockerd sends it. */
function startEvent(id: string, name: string, atMs: number): string {
  return `${JSON.stringify({ Type: "container", Action: "start", Actor: { ID: id, Attributes: { name } }, timeNano: atMs * 1_000_000 })}\n`;
}

describe("followContainers", () => {
  test("a container that started after the listing but before the events stream connected is followed", async () => {
    const startedAt = Date.now();
    const asked: ({ since?: number } | undefined)[] = [];
    const docker = {
      // The listing was taken just before "late" started: it is not in it.
      listContainers: async () => [],
      // dockerd replays past events only to a client that asks `since`; a stream without it sees only what comes next.
      getEvents: async (opts?: { since?: number }) => {
        asked.push(opts);
        const s = new PassThrough();
        if (opts?.since !== undefined && opts.since * 1000 <= startedAt) s.write(startEvent("c2", "late", startedAt));
        return s;
      },
      getContainer: () => ({
        inspect: async () => ({ Id: "c2", Name: "/late", State: { Running: true } }),
        logs: async (opts: { abortSignal?: AbortSignal }) => {
          const s = logStream([line(1)], false);
          opts.abortSignal?.addEventListener("abort", () => s.destroy(), { once: true });
          return s;
        },
      }),
    } as unknown as Dockerode;
    const ac = new AbortController();
    const it = followContainers({ docker, select: { namePattern: /^late$/ }, signal: ac.signal });
    expect(await take(it, 1)).toEqual(["line 1"]);
    expect(asked[0]?.since).toBeLessThanOrEqual(Math.floor(startedAt / 1000));
    ac.abort();
    await it.return(undefined);
  });

  test("a log stream that breaks is attached again from the last record: every line once", async () => {
    // Docker's `since` is whole seconds: the second attach sends lines 1-2 again, and they are skipped by cursor.
    const d = daemon([() => logStream([line(1), line(2)], true), () => logStream([line(1), line(2), line(3), line(4)], false)]);
    const ac = new AbortController();
    const it = followContainers({ docker: d.docker, select: { namePattern: /^web$/ }, signal: ac.signal, retryMs: 10 });
    expect(await take(it, 4)).toEqual(["line 1", "line 2", "line 3", "line 4"]);
    // The second attach asked from the second of line 2, not from the start of the log.
    expect(d.calls).toEqual([0, Date.parse("2026-12-07T10:00:02Z") / 1000]);
    ac.abort();
    await it.return(undefined);
  });

  test("a container removed while followed is not attached again", async () => {
    const inspected: { status: number; count?: number } = { status: 200 };
    const d = daemon([() => {
      inspected.status = 404;
      return logStream([line(1)], true);
    }], inspected);
    const ac = new AbortController();
    const it = followContainers({ docker: d.docker, select: { namePattern: /^web$/ }, signal: ac.signal, retryMs: 10 });
    expect(await take(it, 1)).toEqual(["line 1"]);
    const pending = it.next();
    // The retry's inspect says 404: the lane ends for good; a broken check would ask again every 10 ms.
    await new Promise((r) => setTimeout(r, 300));
    expect(inspected.count).toBe(2);
    expect(d.calls).toEqual([0]);
    d.end();
    expect((await pending).done).toBe(true);
  });
  test("a container that logs nothing does not keep a busy one's records alive", async () => {
    // Promise.race over the lanes left one reaction per record on the quiet lane's pending pull, each holding the
    // record that race returned: 2,000 records stayed reachable until the quiet container spoke.
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    const N = 2000;
    const busy = new PassThrough();
    for (let i = 0; i < N; i++) busy.write(frame(`2026-12-07T10:00:00.${String(i).padStart(9, "0")}Z busy line ${i}\n`));
    const ac = new AbortController();
    const docker = {
      listContainers: async () => [
        { Id: "quiet", Names: ["/quiet"], Labels: {} },
        { Id: "busy", Names: ["/busy"], Labels: {} },
      ],
      getEvents: async () => new PassThrough(),
      getContainer: (id: string) => ({
        inspect: async () => ({ Id: id, Name: `/${id}`, State: { Running: true } }),
        logs: async (o: { abortSignal?: AbortSignal }) => {
          const stream = id === "busy" ? busy : new PassThrough();
          o.abortSignal?.addEventListener("abort", () => stream.destroy(), { once: true });
          return stream;
        },
      }),
    } as unknown as Dockerode;
    const it = followContainers({ docker, select: { namePattern: /./ }, signal: ac.signal });
    const refs: WeakRef<LogRecord>[] = [];
    for (let i = 0; i < N; i++) {
      const r = await it.next();
      if (r.done === true) break;
      refs.push(new WeakRef(r.value));
    }
    expect(refs.length).toBe(N);
    // Collection happens between turns of the event loop too (WeakRefs keep their targets to the end of a job).
    for (let i = 0; i < 3; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      gc();
    }
    const alive = refs.filter((r) => r.deref() !== undefined).length;
    ac.abort();
    await it.return(undefined);
    expect(alive).toBeLessThan(10);
  });
});
