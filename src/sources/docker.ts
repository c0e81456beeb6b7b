// Docker as a source (dockerode): a container's logs across its restarts, the events stream, and inspect.
import type Dockerode from "dockerode";
import { z } from "zod";
import { createLineSplitter, createRecordParser, type LogRecord } from "../parsers/index.js";
import { systemClock, type Clock } from "../time.js";
import { DockerDaemonConfig } from "./docker-daemon.js";
import { demuxDockerStream } from "./docker-demux.js";

/** The Docker source's part of firewatch.yaml: which containers, and whether to read the events stream. */
export const DockerSourceConfig = z
  .object({
    socketPath: z.string().optional().describe("Local daemon socket (default /var/run/docker.sock); over SSH the remote user's DOCKER_HOST is used"),
    ...DockerDaemonConfig,
    containers: z.array(z.string().min(1)).default([]).describe("Container names or ids to follow"),
    labels: z.array(z.string().min(1)).default([]).describe('Follow every container with these labels ("key" or "key=value"), also ones started later'),
    namePattern: z.string().optional().describe("Follow every container whose name matches this regular expression"),
    events: z.boolean().default(true).describe("Read die/oom/start/restart/health_status events"),
  })
  .strict();
export type DockerSourceConfig = z.infer<typeof DockerSourceConfig>;

/** RFC 3339 with up to 9 fraction digits (Docker trims trailing zeros) → nanoseconds since the epoch. */
export function dockerTimeNs(ts: string): bigint | undefined {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(ts);
  if (!m?.[1] || !m[3]) return undefined;
  const secs = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(secs)) return undefined;
  return BigInt(secs) * 1_000_000n + BigInt((m[2] ?? "").padEnd(9, "0"));
}

/** "docker1:<container>:<ns>:<k>": after the k-th line (1-based) stamped exactly <ns> (Docker stamps can tie). */
export interface DockerLogCursor {
  readonly container: string;
  readonly ns: bigint;
  readonly k: number;
}

export function encodeDockerCursor(c: DockerLogCursor): string {
  return `docker1:${c.container}:${c.ns}:${c.k}`;
}

export function decodeDockerCursor(text: string): DockerLogCursor | undefined {
  const m = /^docker1:([^:]+):(\d+):(\d+)$/.exec(text);
  return m?.[1] && m[2] && m[3] ? { container: m[1], ns: BigInt(m[2]), k: Number(m[3]) } : undefined;
}

export interface ContainerLogsOptions {
  readonly docker: Dockerode;
  /** Container id or name. */
  readonly container: string;
  readonly cursor?: string;
  readonly signal?: AbortSignal;
  readonly clock?: Clock;
  /** How often to look whether a stopped container runs again; default 250 ms. */
  readonly pollMs?: number;
  readonly host?: string;
}

/**
 * A container's log lines (stdout and stderr demultiplexed, timestamps on), following it through restarts:
 * each re-attach asks for logs since the last stamp and skips what was handed out, so nothing repeats.
 * Ends when the container is removed or the signal aborts.
 */
export async function* followContainerLogs(opts: ContainerLogsOptions): AsyncGenerator<LogRecord> {
  const clock = opts.clock ?? systemClock;
  const c = opts.docker.getContainer(opts.container);
  let info = await c.inspect();
  const name = info.Name.replace(/^\//, "");
  let last = opts.cursor === undefined ? undefined : decodeDockerCursor(opts.cursor);
  const parser = createRecordParser({ file: `docker:${name}`, referenceMs: clock.now(), format: "docker" });
  while (!opts.signal?.aborted) {
    const since = last === undefined ? 0 : Number(last.ns / 1_000_000_000n);
    const stream = await c.logs({ follow: true, stdout: true, stderr: true, timestamps: true, since, ...(opts.signal ? { abortSignal: opts.signal } : {}) });
    const splitters = { stdout: createLineSplitter(), stderr: createLineSplitter() };
    // Lines handed out before this (re)attach come again (since= has one-second granularity): skip them.
    const skipNs = last?.ns;
    let skipAtStamp = last?.k ?? 0;
    try {
      for await (const frame of demuxDockerStream(stream as AsyncIterable<Buffer>)) {
        const ready: LogRecord[] = [];
        splitters[frame.stream].push(frame.payload, (raw) => {
          const stamp = /^(\S+) /.exec(raw.bytes.subarray(0, 40).toString("latin1"))?.[1];
          const ns = stamp === undefined ? undefined : dockerTimeNs(stamp);
          if (ns === undefined) return;
          if (skipNs !== undefined && (ns < skipNs || (ns === skipNs && skipAtStamp-- > 0))) return;
          const here: DockerLogCursor = { container: info.Id, ns, k: last !== undefined && last.ns === ns ? last.k + 1 : 1 };
          last = here;
          parser.push(raw, (r) => ready.push({ ...r, service: name, ...(opts.host === undefined ? {} : { host: opts.host }), fields: { ...r.fields, container: name, stream: frame.stream }, cursor: encodeDockerCursor(here) }));
        });
        yield* ready;
      }
    } catch (e) {
      if (opts.signal?.aborted) return;
      throw e;
    }
    // The stream ended: the container stopped. Wait for it to run again (restart policy), or for its removal.
    for (;;) {
      try {
        await clock.sleep(opts.pollMs ?? 250, opts.signal);
        info = await c.inspect();
      } catch (e) {
        if (opts.signal?.aborted || (typeof e === "object" && e !== null && "statusCode" in e && e.statusCode === 404)) return;
        throw e;
      }
      if (info.State.Running) break;
    }
  }
}

// The events API's JSON lines; parsed at the edge, unknown keys ignored.
const DockerEventSchema = z.object({
  Type: z.string(),
  Action: z.string(),
  Actor: z.object({ ID: z.string(), Attributes: z.record(z.string(), z.string()).default({}) }),
  timeNano: z.number(),
});

function isoFromNs(ns: bigint): string {
  const ms = Number(ns / 1_000_000n);
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, `.${String(ns % 1_000_000_000n).padStart(9, "0")}Z`);
}

/** The events cursor that resumes after epoch millisecond `ms`: a first read "since then" (dockerd replays recent events). */
export function dockerEventsCursorAt(ms: number): string {
  return `dockerev1:${BigInt(Math.floor(ms)) * 1_000_000n}`;
}

export interface DockerEventsOptions {
  readonly docker: Dockerode;
  /** "dockerev1:<timeNano>" of the last event handed out. */
  readonly cursor?: string;
  /** Docker's filters, e.g. { type: ["container"], event: ["die", "oom", "start", "restart", "health_status"] }. */
  readonly filters?: Record<string, string[]>;
  readonly signal?: AbortSignal;
  readonly clock?: Clock;
  readonly host?: string;
}

/**
 * Docker events as records, written the way `docker events` prints them ("container die <id> (exitCode=137,
 * name=web)") so the docker parser and the rules read them like the seeds' captured lines; every attribute
 * is also a field. Resumes after the cursor's timeNano (two events in the same nanosecond would be taken as one).
 */
export async function* followDockerEvents(opts: DockerEventsOptions): AsyncGenerator<LogRecord> {
  const clock = opts.clock ?? systemClock;
  const after = opts.cursor === undefined ? undefined : /^dockerev1:(\d+)$/.exec(opts.cursor)?.[1];
  const afterNs = after === undefined ? undefined : BigInt(after);
  const stream = await opts.docker.getEvents({
    ...(afterNs === undefined ? {} : { since: Number(afterNs / 1_000_000_000n) }),
    ...(opts.filters === undefined ? {} : { filters: JSON.stringify(opts.filters) }),
  });
  const parser = createRecordParser({ file: "docker:events", referenceMs: clock.now(), format: "docker" });
  const splitter = createLineSplitter();
  const abort = () => (stream as unknown as { destroy?: () => void }).destroy?.();
  opts.signal?.addEventListener("abort", abort, { once: true });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const ready: LogRecord[] = [];
      splitter.push(chunk, (raw) => {
        let json: unknown;
        try {
          json = JSON.parse(raw.bytes.toString("utf8"));
        } catch {
          return;
        }
        const ev = DockerEventSchema.safeParse(json);
        if (!ev.success) return;
        const ns = BigInt(ev.data.timeNano);
        if (afterNs !== undefined && ns <= afterNs) return;
        const attrs = Object.entries(ev.data.Actor.Attributes).map(([k, v]) => `${k}=${v}`).join(", ");
        const line = Buffer.from(`${isoFromNs(ns)} ${ev.data.Type} ${ev.data.Action} ${ev.data.Actor.ID} (${attrs})`);
        parser.push({ ...raw, bytes: line }, (r) => {
          const name = ev.data.Actor.Attributes.name;
          ready.push({
            ...r,
            ...(name === undefined ? {} : { service: name }),
            ...(opts.host === undefined ? {} : { host: opts.host }),
            fields: { ...ev.data.Actor.Attributes, ...r.fields, ...(name === undefined ? {} : { container: name }) },
            cursor: `dockerev1:${ns}`,
          });
        });
      });
      yield* ready;
    }
  } catch (e) {
    if (!opts.signal?.aborted) throw e;
  } finally {
    opts.signal?.removeEventListener("abort", abort);
    abort();
  }
}

export interface ContainerState {
  readonly id: string;
  readonly name: string;
  readonly running: boolean;
  readonly status: string;
  readonly restartCount: number;
  readonly oomKilled: boolean;
  readonly exitCode: number;
  readonly startedAt: string;
  readonly finishedAt: string;
}

/** What a probe or the restart-loop rule needs from `docker inspect`. */
export async function inspectContainer(docker: Dockerode, container: string): Promise<ContainerState> {
  const i = await docker.getContainer(container).inspect();
  return {
    id: i.Id,
    name: i.Name.replace(/^\//, ""),
    running: i.State.Running,
    status: i.State.Status,
    restartCount: i.RestartCount,
    oomKilled: i.State.OOMKilled,
    exitCode: i.State.ExitCode,
    startedAt: i.State.StartedAt,
    finishedAt: i.State.FinishedAt,
  };
}
