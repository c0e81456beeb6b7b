// `firewatch probe ID`: runs a stored incident's read-only probes again now, keeps the results with it, prints them.
import { Command, Option } from "commander";
import { z } from "zod";
import { actuatorHosts, dockerHostOf } from "../actions/index.js";
import { loadConfig, storeSpecOf, type FirewatchConfig } from "../config/index.js";
import { FirewatchError } from "../errors.js";
import { lazyHosts } from "../hosts/index.js";
import { mergeProbeHistory, runIncidentProbes } from "../probes/index.js";
import { escapeTerminal } from "../report/index.js";
import { loadRules } from "../rules/index.js";
import { isStoreError, openStore, parseStoreSpec, type Store, type StoredProbe } from "../store/index.js";
import { systemClock, type Clock } from "../time.js";
import { EXIT } from "./exit-codes.js";

/** Where `probe` reads and writes; tests pass their own. */
export interface ProbeIo {
  readonly stdout: { write(s: string): unknown };
  readonly env: NodeJS.ProcessEnv;
  readonly clock: Clock;
  readonly setExitCode: (code: number) => void;
}

interface ProbeFlags {
  config?: string;
  store?: string;
  namespace: string;
  format: "text" | "json";
}

/** Exit codes of `probe`: scripts can tell "the diagnosis ran" from "some probe could not answer". */
export const PROBE_EXIT = { ok: EXIT.ok, someFailed: 1, usage: EXIT.usage } as const;

/** Opens the store for writing; a file store held by a running `watch` or `bot` gets a hint that fits this command. */
async function openForProbe(config: FirewatchConfig, f: ProbeFlags, io: ProbeIo): Promise<Store> {
  const spec = f.store !== undefined ? parseStoreSpec(f.store, io.env) : storeSpecOf(config, io.env);
  try {
    return await openStore(spec, { clock: io.clock }, { namespace: f.namespace, unavailableAfterMs: 5_000 });
  } catch (e) {
    if (!isStoreError(e, "locked")) throw e;
    // The probes' results are written with the incident, so a read-only open would not do: the holder must run them.
    throw new FirewatchError("store_locked", e.message.split("\n")[0] ?? "the file store is in use", {
      cause: e,
      hint: "a running firewatch (watch or bot) owns this file store: use `/firewatch probe ID` in Slack, or move to the embedded database (the default; see docs/store.md) or Redis, which the CLI shares with the daemon",
    });
  }
}

const UnknownHost = z.object({ reason: z.literal("unknown_host") });

/** Logs name hosts by their own name (seed 000: mithrandir); without an entry for it nothing ran there. */
function unknownHostsHint(results: readonly StoredProbe[], f: ProbeFlags): string {
  const unknown = [...new Set(results.filter((p) => !p.ok && UnknownHost.safeParse(p.data).success).map((p) => p.host))];
  if (unknown.length === 0) return "";
  const where = f.config === undefined ? "pass --config with a firewatch.yaml whose hosts name" : `add to the hosts of ${f.config}`;
  return `  hint: ${where} ${unknown.map((h) => JSON.stringify(h)).join(", ")} (\`{ kind: local }\` when it is this machine)\n`;
}

const line = (p: StoredProbe): string => `${p.ok ? "✅" : "❌"} ${escapeTerminal(p.summary)}`;

async function probe(id: string, f: ProbeFlags, io: ProbeIo): Promise<void> {
  const config = await loadConfig({ file: f.config, env: io.env });
  const store = await openForProbe(config, f, io);
  const hosts = lazyHosts(config.hosts, { clock: io.clock, implicitLocal: true });
  try {
    const stored = await store.get(id);
    if (!stored) throw new FirewatchError("not_found", `no incident ${JSON.stringify(id)} in the store`, { hint: "`firewatch incidents list` shows them" });
    const rules = new Map((await loadRules({ dirs: config.rules.dirs })).map((r) => [r.id, r]));
    const dockerHost = dockerHostOf(config)(stored.incident.host ?? "local");
    const results = await runIncidentProbes(stored, rules, { host: actuatorHosts(config.guard.actuator, (n) => hosts.host(n)), clock: io.clock, allowNet: config.probes.network.allow, ...(dockerHost === undefined ? {} : { dockerHost }) });
    // Nothing to keep when no rule names a probe: the results stored earlier stay as they are.
    if (results.length > 0) await store.setProbes(stored.incident.fingerprint, mergeProbeHistory(stored.probes, results));
    const failed = results.filter((p) => !p.ok).length;
    if (f.format === "json") io.stdout.write(`${JSON.stringify({ incident: stored.incident.id, probes: results }, null, 2)}\n`);
    else if (results.length === 0) io.stdout.write(`No rule of ${stored.incident.id} names a probe: nothing to run.\n`);
    else io.stdout.write(`${results.map(line).join("\n")}\n${unknownHostsHint(results, f)}`);
    io.setExitCode(failed > 0 ? PROBE_EXIT.someFailed : PROBE_EXIT.ok);
  } finally {
    await hosts.close();
    await store.close();
  }
}

const defaultIo = (setExitCode: (c: number) => void): ProbeIo => ({ stdout: process.stdout, env: process.env, clock: systemClock, setExitCode });

/** Registers `probe` on the program. */
export function registerProbe(program: Command, setExitCode: (code: number) => void, io: ProbeIo = defaultIo(setExitCode)): void {
  program
    .command("probe")
    .argument("<id>", "the incident (fw-... or fingerprint)")
    .summary("Run an incident's read-only probes again now and keep the results with it")
    .option("--config <file>", "firewatch.yaml: its hosts (where probes run), store and sources (each host's Docker daemon)")
    .option("--store <spec>", "file:DIR or redis://HOST:PORT (default: store.url of the config)")
    .option("--namespace <ns>", "Redis key namespace of the store", "firewatch")
    .addOption(new Option("--format <format>", "output format").choices(["text", "json"]).default("text"))
    .addHelpText(
      "after",
      `
The probes are the ones the incident's rules name (who holds the port, unit status, container state...), run on the
incident's host; the results replace the stored ones, so \`firewatch report ID\` and the Slack post show them.
The embedded default and Redis are shared with a running \`firewatch watch\`; an old file store (file:DIR) is owned
by one process: beside a daemon on it, use \`/firewatch probe ID\` in Slack.

Examples:
  firewatch probe fw-1a2b3c4d --config /etc/firewatch/firewatch.yaml
  firewatch probe fw-1a2b3c4d --store redis://127.0.0.1:6379 --format json

Exit codes: 0 every probe answered, 1 some probe failed or could not run, 2 usage, unknown id or store error`,
    )
    .action(async (id: string, f: ProbeFlags) => probe(id, f, io));
}
