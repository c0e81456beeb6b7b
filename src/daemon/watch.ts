// `firewatch watch` assembled: config → hosts, store, sources → fair merge → pipeline → outputs, health, probes, Slack.
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { Writable } from "node:stream";
import type { Logger } from "pino";
import { actuatorHosts, dockerHostOf } from "../actions/index.js";
import type { SlackService } from "../bot/index.js";
import { loadConfig, sourceName, storeSpecOf, type FirewatchConfig, type SourceEntry } from "../config/index.js";
import { openHost, type Host } from "../hosts/index.js";
import { mergeProbeHistory } from "../probes/index.js";
import { compileRules, createMatchGate, createMatcher, loadRules } from "../rules/index.js";
import { ensureSafeDir, isStoreError, openStore, parseStoreSpec, resolveAfterByRule, type Store } from "../store/index.js";
import type { Clock } from "../time.js";
import { leakFreeClock } from "./clock.js";
import { startHealthServer, type HealthState } from "./health-server.js";
import { mergeFair } from "./merge.js";
import { createDaemonMetrics } from "./metrics.js";
import { createOutputs } from "./outputs.js";
import { createPipeline, type IncidentChange, type PipelineStats } from "./pipeline.js";
import { createBacklog } from "./backlog.js";
import { createProbeHook } from "./probe-hook.js";
import { hostAliases } from "./record-host.js";
import { startLeases } from "./leases.js";
import { createCollector, laneCursor } from "./collector.js";
import { createAcker, partitionLane } from "./partition-lanes.js";
import { openDaemonStreams } from "./streams.js";
import { createSourceHealth, sourceHealthState } from "./source-health.js";
import { createStatusFollower } from "./status-follow.js";
import { sourceLane, type LinkObserver, type SourceBatch, type SourceLag, type SourceLoss } from "./source-runner.js";

/** How often the live incidents' status is looked up for resolutions made by other processes. */
const FOLLOW_MS = 2_000;

/** /healthz fails "store" once a commit has waited this long. */
const STUCK_COMMIT_MS = 5_000;

export interface WatchOptions {
  /** firewatch.yaml (absent: defaults plus FIREWATCH_* variables). */
  readonly config?: string | undefined;
  /** Overrides store.url: file:DIR or redis://HOST:PORT. */
  readonly store?: string | undefined;
  /** Stop once no line has come for `idleMs` and everything read is committed (a catch-up run, tests). */
  readonly onceIdle?: boolean;
  readonly idleMs?: number;
}

export interface WatchIo {
  readonly env: NodeJS.ProcessEnv;
  readonly stdout: Writable;
  readonly log: Logger;
  readonly clock: Clock;
  /** Aborted on SIGTERM/SIGINT: stop reading, drain, commit, close. */
  readonly signal: AbortSignal;
  /** Told once everything is started (the health port bound). */
  readonly onReady?: (info: { readonly healthPort: number; readonly run: string }) => void;
}

/** What a run did, for the caller's last log line and for tests. */
export interface WatchSummary {
  readonly run: string;
  readonly stats: PipelineStats;
}

/** The hosts the config names, opened on first use (a source on a host, a probe on a host), closed at the end. */
function hostPool(config: FirewatchConfig) {
  const open = new Map<string, Promise<Host>>();
  const ready = new Map<string, Host>();
  return {
    async get(name: string): Promise<Host> {
      let p = open.get(name);
      if (p === undefined) {
        p = openHost(name, config.hosts[name] ?? { kind: "local" });
        open.set(name, p);
        ready.set(name, await p);
      }
      return p;
    },
    /** A host already opened (all configured ones are, at start). */
    peek: (name: string) => ready.get(name),
    async closeAll(): Promise<void> {
      await Promise.allSettled([...open.values()].map(async (p) => (await p).close()));
    },
  };
}

/** Runs the daemon until `io.signal` (or, with onceIdle, until idle); resolves after the final commit. */
export async function runWatch(opts: WatchOptions, io: WatchIo): Promise<WatchSummary> {
  const clock = leakFreeClock(io.clock);
  const log = io.log.child({ component: "watch" });
  const config = await loadConfig({ file: opts.config, env: io.env });
  const rules = await loadRules({ dirs: config.rules.dirs });
  const compiled = compileRules(rules);
  const match = createMatcher(compiled);
  // File sources build records only for the lines these rules may match (the rest are counted): issue 18.
  const wanted = createMatchGate(compiled);
  const rulesById = new Map(rules.map((r) => [r.id, r]));
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  io.signal.addEventListener("abort", onAbort, { once: true });
  if (io.signal.aborted) stop.abort();

  const hosts = hostPool(config);
  const cleanups: (() => Promise<unknown>)[] = [() => hosts.closeAll()];
  // The writer lease: one daemon follows the sources of an embedded store; the CLI still reads and acts beside it.
  const store: Store = await openStore(opts.store !== undefined ? parseStoreSpec(opts.store, io.env) : storeSpecOf(config, io.env), { clock, log }, { writerLease: true });
  cleanups.push(() => store.close());
  try {
    // Every configured host, and the machine itself: sources read there and probes ask there. An SshHost connects
    // on first use, so opening one only reads its key (a bad key file fails the start, not the first probe).
    for (const name of new Set(["local", ...Object.keys(config.hosts), ...config.sources.map((s) => s.host)])) await hosts.get(name);
    const metrics = createDaemonMetrics();
    const quiet = new Map(config.sources.map((s) => [sourceName(s), s.quiet]));
    const health = createSourceHealth({ quietMs: (s) => quiet.get(s), clock });
    const onLink: LinkObserver = (source, host, state, detail) => {
      health.state(source, host, state, detail, clock.now());
      metrics.sourceUp(source, state === "connected");
      if (state === "retrying") metrics.reconnect(source);
      if (state !== "connected") log.warn({ source, host, state, detail }, "A source's link changed.");
    };

    // An unsafe report directory stops the start (exit 2), rather than every report failing later.
    if (config.outputs.reportDir !== undefined) await ensureSafeDir(config.outputs.reportDir, { mode: 0o755, what: "the report directory" });
    const outputs = createOutputs({
      stdout: io.stdout, jsonLines: config.outputs.jsonLines, reportDir: config.outputs.reportDir, rules: rulesById, clock, log,
      audit: (id) => store.listAudit({ target: id }),
    });
    // A catch-up's incidents are probed once every source has read to its end, not one fork per incident meanwhile.
    const backlog = createBacklog(() => probes.caughtUp());
    const probes = createProbeHook({
      rules: rulesById,
      catchingUp: () => backlog.behind(),
      // Where guard.actuator serves a host, its port-owner question goes there (the daemon cannot see root's sockets).
      host: actuatorHosts(config.guard.actuator, (n) => hosts.peek(n)),
      dockerHost: dockerHostOf(config),
      allowNet: config.probes.network.allow,
      clock,
      log,
      save: async (stored, results) => {
        // The answers that justified an action stay in the history (issue 14): fresh ones first, earlier ones below.
        const prev = (await store.get(stored.incident.fingerprint))?.probes ?? stored.probes;
        await outputs.report(await store.setProbes(stored.incident.fingerprint, mergeProbeHistory(prev, results)));
      },
    });
    cleanups.push(async () => probes.close());
    let slack: SlackService | undefined;
    if (config.slack === undefined) log.info("Slack is off: firewatch.yaml has no slack section.");
    else {
      // Loaded only with a slack section: the bot's modules (Bolt, Block Kit, the slash commands) are a third of a start.
      const { slackGuardFrom, startSlack } = await import("../bot/index.js");
      // The guard behind the remediation buttons: only with actions enabled in firewatch.yaml's guard section.
      const guard = await slackGuardFrom({ ...config, slackReceiver: config.slack }, store, clock);
      cleanups.push(() => guard.close());
      if (guard.off !== undefined) log.info({ reason: guard.off }, "Slack remediation buttons are off.");
      slack = await startSlack(config.slack, { store, clock, log, rules: async () => rulesById, probeHosts: actuatorHosts(config.guard.actuator, (n) => hosts.peek(n)), probeDockerHost: dockerHostOf(config), probeAllowNet: config.probes.network.allow, ...(guard.kit ? { guard: guard.kit } : {}) });
      cleanups.push(() => slack?.stop() ?? Promise.resolve());
      // The operator's first question after starting: is Slack on, and where must its URLs point.
      if (slack.port === undefined) log.info({ mode: "socket" }, "Slack is on, in Socket Mode (no public URL needed).");
      else log.info({ mode: "http", host: config.slack.host, port: slack.port }, `Slack is on: its HTTP receiver listens on http://${config.slack.host}:${slack.port}/slack/events.`);
    }

    // Resolved elsewhere (act, incidents resolve, a Slack click): the report and a `resolved` line follow within FOLLOW_MS.
    const followed = createStatusFollower(store);
    const following = (async () => {
      while (!stop.signal.aborted) {
        await clock.sleep(FOLLOW_MS, stop.signal).catch(() => undefined);
        if (stop.signal.aborted) return;
        const resolved = await followed.poll().catch((e: unknown) => {
          log.warn({ errorType: "store_unavailable", err: e }, "Could not look up the live incidents' status; trying again.");
          return [];
        });
        if (resolved.length === 0) continue;
        await outputs.emit(resolved);
        probes.offer(resolved);
      }
    })();
    cleanups.push(() => following);
    const hostOf = (name: string): Host => {
      const h = hosts.peek(name);
      if (h === undefined) throw new Error(`host ${name} was not opened`);
      return h;
    };
    const untilCaughtUp = opts.onceIdle === true;
    const onDropped = (src: string, n: number, reason: string) => metrics.dropped(src, n, reason);
    const onLost = (src: string, host: string, loss: SourceLoss) => {
      if (loss.amount !== undefined) metrics.lost(src, loss.unit, loss.amount);
      health.lost(src, host, loss.detail, clock.now());
    };
    const onLag = (src: string, lag: SourceLag) => {
      metrics.lagSeconds(src, lag.seconds);
      if (lag.bytes !== undefined) metrics.lagBytes(src, lag.bytes);
      backlog.lag(src, lag);
    };
    // With `scale:`, this watcher reads only the sources it holds a lease of, and starts a new run when they change.
    const leases = await startLeases(config, store, { clock, log, untilCaughtUp }, stop.signal);
    if (leases) cleanups.push(() => leases.stop());
    if (leases) metrics.scale(() => ({ held: leases.keeper.owned().size, watchers: leases.keeper.state().watchers.length }));
    // With scale.streams, a collector publishes its sources' records and an analyzer reads the partitions it leases.
    const streams = openDaemonStreams(config, store, { clock, log }, stop.signal);
    if (streams) cleanups.push(() => streams.close());
    if (streams) metrics.streams(() => streams.stats());
    let finiteLeft = opts.onceIdle === true ? config.sources.filter((s) => s.kind !== "docker").length : 0;
    const resolveAfter = resolveAfterByRule(new Map(rules.flatMap((r) => (r.resolve_after === undefined ? [] : [[r.id, r.resolve_after] as const]))));
    const hostNames = hostAliases(config.hosts, hostname());

    /** One correlator run over `sources` from their stored cursors (the whole life of the daemon, without leases). */
    const startRun = async (sources: readonly SourceEntry[], fences: Readonly<Record<string, number>> | undefined, signal: AbortSignal) => {
      const run = randomUUID();
      const resumedFrom = new Map<string, string | undefined>();
      for (const s of sources) resumedFrom.set(sourceName(s), await store.getCursor(sourceName(s)));
      const laneDeps = { host: hostOf, clock, log, onLink, untilCaughtUp, onDropped, onLost, onLag, ...(wanted === undefined ? {} : { wanted }) };
      if (streams?.config.role === "collector") {
        const c = streams.config;
        const collector = createCollector(
          {
            streams: streams.records, clock, log,
            commitCursors: async (cursors) => void (await store.commit({ snapshots: [], cursors, ...(fences === undefined ? {} : { fences }) })),
            linesRead: (src, n) => metrics.linesRead(src, n),
          },
          { partitions: c.partitions, maxLen: c.maxLen, batch: c.batch, resumedFrom },
        );
        const lanes = sources.map((s) => sourceLane(s, laneCursor(resumedFrom.get(sourceName(s))), laneDeps, signal));
        return { run, pipeline: { run: (items: AsyncIterable<SourceBatch>) => collector.run(items, signal), stats: collector.stats }, lanes };
      }
      // A source a collector read before resumes from its position (the record number is a collector's alone).
      for (const s of sources) resumedFrom.set(sourceName(s), laneCursor(resumedFrom.get(sourceName(s))));
      // An analyzer's lanes are the partitions it leases, each from its stored cursor (an entry id, per-source numbers).
      const partitions = streams?.config.role === "analyzer" && leases ? leases.keeper.owned() : new Map<string, number>();
      for (const p of partitions.keys()) resumedFrom.set(p, await store.getCursor(p));
      const acker = streams ? createAcker(streams.records, log) : undefined;
      const live = await store.list({ status: ["open", "observed", "acknowledged"] });
      // The incidents live at start are followed too: resolved by someone while this daemon runs, their report follows.
      followed.seen(live.map((incident) => ({ outcome: "updated", incident })));
      const pipeline = createPipeline(
        {
          store: fences === undefined ? store : {
            commit: async (b) => {
              const results = await store.commit({ ...b, fences });
              // The entries these cursors cover are counted now: acknowledge them (never before the commit).
              await acker?.committed(b.cursors);
              return results;
            },
            autoResolve: (r) => store.autoResolve(r),
          },
          rules, match, clock, log, metrics, run, resumedFrom,
          live,
          mergeApart: fences === undefined,
          resolveAfter,
          health,
          hostNames,
          onChanges: async (changes: readonly IncidentChange[]) => {
            followed.seen(changes);
            await outputs.emit(changes);
            probes.offer(changes);
            // The post is created or updated now, not at the poster's next poll.
            for (const c of changes) if (c.outcome !== "resolved") slack?.notify({ outcome: c.outcome, incident: c.incident, silenceId: c.silenceId });
          },
        },
        // A catch-up run: journald and file lanes end once read to the end; Docker lanes follow until all was quiet a while.
        opts.onceIdle === true ? { idleMs: opts.idleMs ?? 2000, onIdle: () => finiteLeft === 0 && stop.abort() } : {},
      );
      // Files and journals say how far behind they are; until a lane's first report, it may be reading a backlog.
      backlog.follow(sources.filter((s) => s.kind === "file" || s.kind === "journald").map(sourceName));
      const lanes = sources.map((s) => {
        const lane = sourceLane(s, resumedFrom.get(sourceName(s)), laneDeps, signal);
        return untilCaughtUp && s.kind !== "docker" ? { name: lane.name, items: countEnd(lane.items, () => { finiteLeft -= 1; backlog.ended(lane.name); }) } : lane;
      });
      if (acker && streams && leases) {
        const deps = { streams: streams.records, acker, consumer: leases.keeper.state().watcher, clock, log };
        for (const [p, token] of partitions) lanes.push(partitionLane(p, token, resumedFrom.get(p), deps, signal));
      }
      return { run, pipeline, lanes };
    };

    let runStop = linkedAbort(stop.signal);
    leases?.keeper.onChange(() => runStop.abort());
    let current = await startRun(leases ? leases.selected() : config.sources, leases?.fences(), runStop.signal);
    const earlier = { records: 0, commits: 0 };
    const healthState = (): HealthState => {
      const now = clock.now();
      const sources = sourceHealthState(health.snapshot(), now);
      const { storeError, commitStartedAt } = current.pipeline.stats;
      // A commit waiting this long means the store is not answering (it fails only after its own 30 s).
      const stuck = commitStartedAt !== undefined && now - commitStartedAt > STUCK_COMMIT_MS ? `a commit has waited ${Math.round((now - commitStartedAt) / 1000)} s for the store` : undefined;
      const storeProblem = storeError ?? stuck;
      const leaseProblem = leases?.problem(now);
      const failing = [...((sources.detail.failing as string[] | undefined) ?? []), ...(storeProblem === undefined ? [] : ["store"]), ...(leaseProblem === undefined ? [] : ["leases"])];
      return {
        ok: sources.ok && storeProblem === undefined && leaseProblem === undefined,
        detail: {
          ...sources.detail, ...(failing.length > 0 ? { failing } : {}), run: current.run,
          records: earlier.records + current.pipeline.stats.records, commits: earlier.commits + current.pipeline.stats.commits,
          ...(storeProblem === undefined ? {} : { store: storeProblem }),
          ...(leases ? { scale: leases.detail(now) } : {}),
          ...(streams ? { streams: streams.stats() } : {}),
        },
      };
    };
    const server = await startHealthServer({ host: config.health.host, port: config.health.port, metrics, health: healthState, log });
    cleanups.push(() => server.close());
    log.info({ run: current.run, sources: current.lanes.map((l) => l.name), healthPort: server.port }, "Watching.");
    io.onReady?.({ healthPort: server.port, run: current.run });
    for (;;) {
      const merged = mergeFair(current.lanes, { capacity: 1000, weight: (b) => b.length, signal: runStop.signal, onDepth: (l, d) => metrics.queueDepth(l, d) });
      try {
        // No source at all: nothing will ever arrive; wait for the stop signal so /healthz and Slack stay up.
        await current.pipeline.run(current.lanes.length > 0 ? merged : waitFor(runStop.signal));
      } catch (e) {
        // Too slow to renew: another watcher took a lease over, so nothing this run read since its last commit counts.
        if (leases === undefined || !isStoreError(e, "fenced")) throw e;
        log.warn({ run: current.run }, "A commit was refused: another watcher took over a source of this run; starting over from the stored cursors.");
        metrics.fenced();
        await leases.keeper.refresh();
      } finally {
        runStop.abort();
      }
      if (leases === undefined || stop.signal.aborted) break;
      earlier.records += current.pipeline.stats.records;
      earlier.commits += current.pipeline.stats.commits;
      // The run made its final commit under the old leases: now the shed ones can go to the other watchers.
      await leases.keeper.settle();
      runStop = linkedAbort(stop.signal);
      const next = leases.selected();
      // A source read by another watcher now is theirs to judge quiet or down, not this one's.
      const reading = new Set(next.map(sourceName));
      for (const name of Object.keys(health.snapshot())) if (!reading.has(name)) health.forget(name);
      current = await startRun(next, leases.fences(), runStop.signal);
      log.info({ run: current.run, sources: current.lanes.map((l) => l.name) }, "The sources this watcher holds changed; reading them in a new run.");
    }
    await probes.drain(10_000);
    log.info({ run: current.run, records: current.pipeline.stats.records, commits: current.pipeline.stats.commits }, "Stopped after the final commit.");
    return { run: current.run, stats: current.pipeline.stats };
  } finally {
    io.signal.removeEventListener("abort", onAbort);
    stop.abort();
    for (const c of cleanups.reverse()) await c().catch((e: unknown) => log.warn({ err: e }, "A part of the daemon did not close cleanly."));
  }
}

async function* countEnd<T>(items: AsyncIterable<T>, onEnd: () => void): AsyncGenerator<T> {
  try {
    yield* items;
  } finally {
    onEnd();
  }
}

/** An AbortController that also aborts with `parent`. */
function linkedAbort(parent: AbortSignal): AbortController {
  const c = new AbortController();
  if (parent.aborted) c.abort();
  else parent.addEventListener("abort", () => c.abort(), { once: true, signal: c.signal });
  return c;
}

/** An iterable with no items that ends when `signal` aborts. */
function waitFor(signal: AbortSignal): AsyncIterable<never> {
  const ended = new Promise<IteratorResult<never>>((r) => {
    if (signal.aborted) r({ done: true, value: undefined });
    signal.addEventListener("abort", () => r({ done: true, value: undefined }), { once: true });
  });
  return { [Symbol.asyncIterator]: () => ({ next: () => ended }) };
}
