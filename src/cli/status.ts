// `firewatch status`: the watchers sharing a Redis store, and which of them holds each source's lease.
import { Command, Option } from "commander";
import { escapeTerminal } from "../report/index.js";
import { openStore, parseStoreSpec, RedisStore, type LeaseSurvey, type PartitionStats } from "../store/index.js";
import { systemClock, type Clock } from "../time.js";

export interface StatusIo {
  readonly stdout: { write(s: string): unknown };
  readonly env: NodeJS.ProcessEnv;
  readonly clock: Clock;
}

interface StatusFlags {
  config?: string;
  store?: string;
  namespace: string;
  format: "text" | "json";
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  return [head, ...rows].map((r) => "  " + r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join("  ")).join("\n") + "\n";
}

/** The partitions of the record streams (scale.streams): those the config names and those ever leased. */
function partitionsOf(s: LeaseSurvey, configured: readonly string[]): string[] {
  return [...new Set([...configured, ...s.leases.map((l) => l.source).filter((n) => /^stream:p\d+$/.test(n))])].sort();
}

/** The watchers and the leases (and the record streams' backlog, with scale.streams), as text. */
export function renderStatus(s: LeaseSurvey, streams: readonly PartitionStats[] = []): string {
  const out: string[] = [];
  const held = new Map<string, number>();
  for (const l of s.leases) if (l.owner !== undefined) held.set(l.owner, (held.get(l.owner) ?? 0) + 1);
  out.push(`Watchers: ${s.watchers.length} live\n`);
  if (s.watchers.length > 0) {
    // Collectors and analyzers (scale.streams) say which they are; plain watchers keep the table as it was.
    const roles = s.watchers.some((w) => w.info.role !== undefined);
    const rows = s.watchers.map((w) => [escapeTerminal(w.info.id), ...(roles ? [w.info.role ?? "watcher"] : []), escapeTerminal(w.info.host), String(w.info.pid), String(held.get(w.info.id) ?? 0), seconds(w.expiresInMs)]);
    out.push(table(["ID", ...(roles ? ["ROLE"] : []), "HOST", "PID", "LEASES", "HEARTBEAT LEFT"], rows));
    // Each of these posts new incidents and updates their posts; the store's slack-post claim keeps one post per incident.
    const posters = s.watchers.filter((w) => w.info.slack === true).map((w) => escapeTerminal(w.info.id));
    out.push(posters.length > 0 ? `Slack: posted by ${posters.join(", ")}\n` : "Slack: no watcher posts (none has a slack: section)\n");
  }
  const free = s.leases.filter((l) => l.owner === undefined).length;
  out.push(`Leases: ${s.leases.length} (sources, or hosts with leaseBy: host), ${free} free\n`);
  if (s.leases.length > 0) {
    out.push(table(["LEASE", "OWNER", "TOKEN", "LEFT"], s.leases.map((l) => [escapeTerminal(l.source), escapeTerminal(l.owner ?? "(free)"), String(l.token), l.owner === undefined ? "-" : seconds(l.ttlMs)])));
  }
  if (streams.length > 0) {
    const sum = (f: (p: PartitionStats) => number) => streams.reduce((n, p) => n + f(p), 0);
    out.push(`Record streams (group analyzers): ${streams.length} partitions, lag ${sum((p) => p.lag)}, pending ${sum((p) => p.pending)} entries\n`);
    out.push(table(["PARTITION", "LENGTH", "LAG", "PENDING", "CONSUMERS"], streams.map((p) => [p.partition, String(p.length), String(p.lag), String(p.pending), String(p.consumers)])));
  }
  return out.join("");
}

/** Registers `status` on the program. */
export function registerStatus(program: Command, io: StatusIo = { stdout: process.stdout, env: process.env, clock: systemClock }): void {
  program
    .command("status")
    .description("The watchers sharing a Redis store (scale:), which one reads each source, and the record streams' lag")
    .option("--config <file>", "firewatch.yaml: its store, and its sources listed even when no one holds them")
    .option("--store <spec>", "redis://HOST:PORT (or sqlite:FILE, file:DIR: one watcher, no leases)")
    .option("--namespace <ns>", "Redis key namespace of the store", "firewatch")
    .addOption(new Option("--format <format>", "output format").choices(["text", "json"]).default("text"))
    .addHelpText("after", `
Examples:
  firewatch status --config /etc/firewatch/firewatch.yaml
  firewatch status --store redis://10.0.0.5:6379 --format json

Exit codes: 0 shown, 2 usage or store error`)
    .action(async (f: StatusFlags) => {
      let url: string | undefined;
      let sources: string[] = [];
      let partitions: string[] = [];
      if (f.config !== undefined) {
        const [{ loadConfig }, { leaseUnits }] = await Promise.all([import("../config/index.js"), import("../daemon/leases.js")]);
        const config = await loadConfig({ file: f.config, env: io.env });
        url = config.store.url;
        sources = leaseUnits(config.sources, config.scale?.leaseBy ?? "source").units;
        const { partitionNames } = await import("../scale/index.js");
        partitions = config.scale?.streams ? partitionNames(config.scale.streams.partitions) : [];
      }
      const spec = parseStoreSpec(f.store ?? url ?? io.env.FIREWATCH_STORE, io.env);
      const store = await openStore(spec, { clock: io.clock }, { readOnly: true, namespace: f.namespace, unavailableAfterMs: 5_000 });
      try {
        if (!(store instanceof RedisStore)) {
          const where = spec.kind === "sqlite" ? spec.path : spec.kind === "file" ? spec.dir : spec.url;
          if (f.format === "json") return void io.stdout.write(`${JSON.stringify({ store: spec.kind, watchers: null, leases: null })}\n`);
          return void io.stdout.write(`The store ${where} (${spec.kind}) has one watcher and no source leases: scale-out needs the Redis store (docs/scaling.md).\n`);
        }
        const board = store.leaseBoard(5_000);
        try {
          const survey = await board.survey([...sources, ...partitions]);
          const records = store.recordStreams(5_000);
          const streams = await records.stats(partitionsOf(survey, partitions)).finally(() => records.close());
          if (f.format === "json") {
            const body = {
              store: "redis",
              watchers: survey.watchers.map((w) => ({ id: w.info.id, role: w.info.role ?? "watcher", host: w.info.host, pid: w.info.pid, startedAt: w.info.startedAt, slack: w.info.slack === true, leases: survey.leases.filter((l) => l.owner === w.info.id).map((l) => l.source), heartbeatLeftMs: w.expiresInMs })),
              leases: survey.leases.map((l) => ({ source: l.source, owner: l.owner ?? null, token: l.token, leftMs: l.ttlMs })),
              ...(streams.length > 0 ? { streams: streams.map((p) => ({ ...p, group: "analyzers" })) } : {}),
            };
            return void io.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
          }
          io.stdout.write(renderStatus(survey, streams));
        } finally {
          await board.close();
        }
      } finally {
        await store.close();
      }
    });
}
