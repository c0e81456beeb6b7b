// The one schema of firewatch.yaml, composed from the schemas each floor exports; defaults live here.
import { z } from "zod";
// The two schemas' own modules, not the folders' index.ts: every command that reads firewatch.yaml would load the whole
// bot and remediation floors otherwise (issue 18: ~0.25 s of a watch start without Slack).
import { GuardConfigSchema } from "../actions/policy.js";
import { SlackConfigSchema } from "../bot/config.js";
import { HostConfig } from "../hosts/index.js";
import { ProbeNetworkConfig } from "../probes/index.js";
import { readLlmConfig, type LlmConfig } from "../report/index.js";
import { ScaleConfig } from "../scale/index.js";
import { BullmqSourceConfig, DockerSourceConfig, FileSourceConfig, JournaldSourceConfig } from "../sources/index.js";
import { Duration } from "../time.js";

const HostName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, "a host name of letters, digits, _ . -");
const SourceCommon = {
  name: z.string().min(1).optional().describe("Shown in incidents and used for cursors; default kind:host"),
  host: HostName.default("local").describe("Which entry of `hosts` the source reads on"),
  retries: z.number().int().min(0).default(5).describe("Reconnects in a row without a line before the source counts as failed (it keeps retrying)"),
};

/**
 * How long a source may stay silent before the daemon says so (a source-health incident); 0 turns it off.
 * A journal or a Docker daemon always has something to say within minutes; a log file may rightly stay quiet for
 * hours, but a file silent for a whole day is more often a mistyped path or a log that moved.
 */
const Quiet = Duration.describe("Silence (no lines) after which the source is reported quiet; 0: never");
const TEN_MINUTES_MS = 600_000;
const ONE_DAY_MS = 86_400_000;

/** One source: the floor's own schema plus a kind and the host it runs on. */
export const SourceEntry = z.discriminatedUnion("kind", [
  FileSourceConfig.extend({ kind: z.literal("file"), ...SourceCommon, quiet: Quiet.default(ONE_DAY_MS) }).strict(),
  JournaldSourceConfig.extend({ kind: z.literal("journald"), ...SourceCommon, quiet: Quiet.default(TEN_MINUTES_MS) }).strict(),
  DockerSourceConfig.extend({ kind: z.literal("docker"), ...SourceCommon, quiet: Quiet.default(TEN_MINUTES_MS) }).strict(),
  // A queue may rightly have no failure for days: no quiet default. `host` is the host the jobs belong to (their
  // records carry it, so they join that host's incidents); Redis itself is reached by URL from this machine.
  BullmqSourceConfig.extend({ kind: z.literal("bullmq"), ...SourceCommon, quiet: Quiet.optional() }).strict(),
]);
export type SourceEntry = z.infer<typeof SourceEntry>;

/** The name a source goes by in cursors, logs and source-health incidents: its `name`, else kind:host. */
export function sourceName(s: Pick<SourceEntry, "name" | "kind" | "host">): string {
  return s.name ?? `${s.kind}:${s.host}`;
}

/** "sqlite:FILE", "file:DIR" or redis://…, the forms parseStoreSpec accepts (the CLI's --store). */
export const StoreConfig = z
  .object({
    url: z
      .string()
      .regex(/^(?:rediss?:\/\/.+|file:.+|sqlite:.+)$/, 'expected "sqlite:FILE", "file:DIR" or "redis://HOST:PORT"')
      .optional()
      .describe("sqlite:FILE, file:DIR or redis://HOST:PORT (env FIREWATCH_STORE__URL); absent: the embedded database firewatch.db in the default data directory"),
  })
  .strict();

// The model settings are the FIREWATCH_LLM__* variables readLlmConfig reads (report/index.ts does not export
// its schema): the section is turned into those variables and read by readLlmConfig itself, so one schema rules.
const LLM_KEYS = ["baseUrl", "model", "apiKey", "timeoutMs", "maxTokens", "maxInputTokens", "maxAttempts", "pricePer1kInput", "pricePer1kOutput", "redactIps"] as const;
export const screaming = (key: string) => key.replace(/([a-z0-9])([A-Z])/g, "$1_$2").replace(/([a-z])([0-9])/g, "$1_$2").toUpperCase();
const LlmSection = z
  .partialRecord(z.enum(LLM_KEYS), z.union([z.string(), z.number(), z.boolean()]))
  .describe("Model for report prose, as the FIREWATCH_LLM__* variables: model, apiKey (env), baseUrl, timeoutMs, maxTokens, ...")
  .transform((section, ctx): LlmConfig => {
    const env = Object.fromEntries(Object.entries(section).map(([k, v]) => [`FIREWATCH_LLM__${screaming(k)}`, String(v)]));
    const read = readLlmConfig(env);
    if (read.config) return read.config;
    // The reason names the variable; point at the key it came from so the error gets that key's line.
    const key = LLM_KEYS.find((k) => read.reason.includes(`FIREWATCH_LLM__${screaming(k)}:`) && k in section);
    ctx.addIssue({ code: "custom", message: read.reason, input: section, ...(key === undefined ? {} : { path: [key] }) });
    return z.NEVER;
  });

export const OutputsConfig = z
  .object({
    jsonLines: z.boolean().default(true).describe("Write one JSON line per incident change to stdout"),
    reportDir: z.string().min(1).optional().describe("Write each incident's markdown report into this directory"),
  })
  .strict();

export const HealthConfig = z
  .object({
    host: z.string().min(1).default("127.0.0.1").describe("Address of the health endpoint"),
    port: z.number().int().min(0).max(65535).default(9464).describe("Port of the health endpoint (0: any free port)"),
  })
  .strict();

export const FirewatchConfigSchema = z
  .object({
    hosts: z.record(HostName, HostConfig).default({ local: { kind: "local" } }).describe("Where sources read: the machine itself or SSH hosts with pinned keys"),
    sources: z.array(SourceEntry).default([]).describe("What to read: file, journald, docker and bullmq (failed jobs) sources"),
    rules: z
      .object({ dirs: z.array(z.string().min(1)).default([]).describe("Directories of rule files added to the built-ins") })
      .strict()
      .prefault({}),
    store: StoreConfig.prefault({}),
    slack: SlackConfigSchema.optional().describe("Slack posting and /firewatch; absent: Slack is off"),
    guard: GuardConfigSchema.prefault({}).describe("Remediation actions allowed, and who may run them"),
    llm: LlmSection.optional().describe("Model for report prose (FIREWATCH_LLM__*); absent: reports without prose"),
    outputs: OutputsConfig.prefault({}),
    health: HealthConfig.prefault({}),
    probes: z.object({ network: ProbeNetworkConfig.prefault({}) }).strict().prefault({}).describe("What the read-only probes may reach"),
    scale: ScaleConfig.optional().describe("Several `watch` processes on one Redis store divide the sources by lease (docs/scaling.md); absent: this watcher reads every source"),
  })
  .strict()
  .superRefine((c, ctx) => {
    c.sources.forEach((s, i) => {
      if (s.host !== "local" && !(s.host in c.hosts)) ctx.addIssue({ code: "custom", path: ["sources", i, "host"], message: `no host "${s.host}" in hosts (known: ${Object.keys(c.hosts).join(", ") || "none"})` });
    });
    // The name keys the source's cursor in the store: two sources sharing one would resume from each other's position.
    const seen = new Map<string, number>();
    c.sources.forEach((s, i) => {
      const name = sourceName(s);
      const first = seen.get(name);
      if (first !== undefined) ctx.addIssue({ code: "custom", path: ["sources", i, s.name === undefined ? "kind" : "name"], message: `sources[${first}] is named "${name}" too: give each source its own name` });
      else seen.set(name, i);
    });
  });
export type FirewatchConfig = z.infer<typeof FirewatchConfigSchema>;

/** Keys whose values are secrets: never shown, and never written in firewatch.yaml itself (env only). */
export const SECRET_KEY = /^(?:botToken|appToken|signingSecret|apiKey|privateKey|passphrase|password|token|secret)$/;
