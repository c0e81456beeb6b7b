// `firewatch incidents list|show|ack|resolve|silence|audit` and `firewatch report ID`: stored incidents, on either store.
import { writeFile } from "node:fs/promises";
import { Command, Option } from "commander";
import { FirewatchError } from "../errors.js";
import { LOGGED_HOST_FIELD } from "../correlate/index.js";
import { describeIdentity, type CauseDecl, type IncidentStatus } from "../incidents/index.js";
import { escapeTerminal, renderMarkdown, renderStoredJson } from "../report/index.js";
import { openStore, parseStoreSpec, type Store, type StoredIncident } from "../store/index.js";
import { formatIso, parseDuration, systemClock, type Clock } from "../time.js";
import { auditActor } from "./actor.js";
import { storeLabel } from "./store-label.js";
import { auditCommand } from "./audit.js";
import { checkSilenceRule, describeSilenced, silencedNow } from "./silence-add.js";

/** Where the commands read and write; tests pass their own. */
export interface IncidentsIo {
  readonly stdout: { write(s: string): unknown };
  readonly env: NodeJS.ProcessEnv;
  readonly clock: Clock;
}

const defaultIo: IncidentsIo = { stdout: process.stdout, env: process.env, clock: systemClock };

interface StoreFlags {
  store?: string;
  namespace?: string;
  onCorrupt?: "refuse" | "move-aside";
}

const STATUSES: readonly IncidentStatus[] = ["open", "observed", "acknowledged", "resolved"];

function storeOptions(cmd: Command): Command {
  return cmd
    .option("--store <spec>", "sqlite:FILE, file:DIR or redis://HOST:PORT (default: firewatch.db in $FIREWATCH_DATA_DIR or ~/.local/state/firewatch)")
    .option("--namespace <ns>", "Redis key namespace", "firewatch")
    .addOption(new Option("--on-corrupt <mode>", "a corrupt state file: refuse, or move it aside and start empty").choices(["refuse", "move-aside"]).default("refuse"));
}

/** Runs `fn` on the store `flags` name (and its label for messages), read-only where the store allows it, and always closes it. */
async function withStore<T>(io: IncidentsIo, flags: StoreFlags, readOnly: boolean, fn: (s: Store, where: string) => Promise<T>): Promise<T> {
  const spec = parseStoreSpec(flags.store ?? io.env.FIREWATCH_STORE, io.env);
  const store = await openStore(spec, { clock: io.clock }, {
    readOnly,
    onCorrupt: flags.onCorrupt ?? "refuse",
    namespace: flags.namespace ?? "firewatch",
    unavailableAfterMs: 5_000,
  });
  try {
    return await fn(store, storeLabel(spec));
  } finally {
    await store.close();
  }
}

const t = (ms: number | undefined) => (ms === undefined ? "-" : formatIso(ms));
const pad = (s: string, n: number) => (s.length >= n ? s : s + " ".repeat(n - s.length));

function statusLine(s: StoredIncident): string {
  if (s.status === "acknowledged" && s.acknowledged) return `acknowledged by ${s.acknowledged.by} at ${t(s.acknowledged.at)}`;
  if (s.status === "resolved" && s.resolved?.mergedInto !== undefined) return `merged into ${s.resolved.mergedInto} (the same failure) at ${t(s.resolved.at)}`;
  if (s.status === "resolved" && s.resolved) return `resolved ${s.resolved.auto ? "automatically" : `by ${s.resolved.by}`} at ${t(s.resolved.at)}`;
  return s.status + (s.flapping ? " (flapping: auto-resolve held)" : "") + (s.silencedBy ? ` (silenced by ${s.silencedBy})` : "");
}

function renderList(list: readonly StoredIncident[], where: string): string {
  if (list.length === 0) return `No incidents in ${where}.\n`;
  const rows = list.map((s) => [s.incident.id, s.status, s.incident.severity, t(s.incident.lastSeen), `${s.incident.host ?? "-"}/${s.incident.service ?? "-"}`, s.incident.title]);
  const head = ["ID", "STATUS", "SEVERITY", "LAST SEEN", "HOST/SERVICE", "TITLE"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  return [head, ...rows].map((r) => r.map((c, i) => (i === r.length - 1 ? escapeTerminal(c) : pad(escapeTerminal(c), widths[i] ?? 0))).join("  ")).join("\n") + "\n";
}

function renderShow(s: StoredIncident, causes: ReadonlyMap<string, CauseDecl>): string {
  const i = s.incident;
  const logged = [...new Set(i.findings.flatMap((f) => (f.fields[LOGGED_HOST_FIELD] === undefined ? [] : [f.fields[LOGGED_HOST_FIELD]])))];
  const lines = [
    `${i.id}  ${escapeTerminal(i.title)}`,
    `  status       ${statusLine(s)}`,
    `  severity     ${i.severity}`,
    `  host         ${escapeTerminal(i.host ?? "-")}    service ${escapeTerminal(i.service ?? "-")}`,
    // How firewatch decided what this incident is (docs/incidents.md): the failing things and the cause tying them.
    `  identity     ${escapeTerminal(describeIdentity(i.findings, i.host, causes))}`,
    ...(logged.length === 0 ? [] : [`  logged as    ${escapeTerminal(logged.join(", "))} (not ${escapeTerminal(i.host ?? "-")} or one of its aliases: hosts.NAME.aliases)`]),
    `  seen         ${t(i.firstSeen)} .. ${t(i.lastSeen)}`,
    `  fingerprint  ${i.fingerprint}`,
    `  reopened     ${s.reopenCount} time(s)`,
  ];
  if (s.slack) lines.push(`  slack        ${s.slack.channel} ${s.slack.ts}`);
  lines.push("  findings:");
  for (const f of i.findings) {
    const fields = Object.entries(f.fields).map(([k, v]) => `${k}=${v}`).join(" ");
    lines.push(`    ${f.rule}  ${f.state}  ${f.count} event(s)  ${escapeTerminal(fields)}`);
  }
  lines.push("  history:");
  for (const h of s.history) lines.push(`    ${t(h.at)}  ${h.event} by ${h.by}${h.note ? ` — ${escapeTerminal(h.note)}` : ""}`);
  return lines.join("\n") + "\n";
}

function parseStatuses(text: string | undefined): IncidentStatus[] | undefined {
  if (text === undefined) return undefined;
  const out: IncidentStatus[] = [];
  for (const part of text.split(",").map((p) => p.trim()).filter(Boolean)) {
    const st = STATUSES.find((s) => s === part);
    if (!st) throw new FirewatchError("usage", `--status ${part}: expected ${STATUSES.join(", ")}`);
    out.push(st);
  }
  return out;
}

function formatOption(): Option {
  return new Option("--format <format>", "output format").choices(["text", "json"]).default("text");
}

const json = (v: unknown) => JSON.stringify(v, (_k, x: unknown) => (x === undefined ? null : x), 2) + "\n";

/** Registers `incidents` (list, show, ack, resolve, silence, audit) and `report` on the program. */
export function registerIncidents(program: Command, io: IncidentsIo = defaultIo): void {
  const incidents = program
    .command("incidents")
    .description("List, inspect, acknowledge, resolve and silence stored incidents (the embedded database, a file store or Redis)")
    .addHelpText(
      "after",
      `
Examples:
  firewatch incidents list --status open,acknowledged
  firewatch incidents ack fw-0a1b2c3d --note "killing the rogue bun process" --store redis://127.0.0.1:6379

Exit codes: 0 done, 2 usage error, unknown id, store locked, corrupt or unreachable`,
    );

  storeOptions(incidents.command("list").description("Incidents, most recently active first"))
    .addHelpText("after", "\nExamples:\n  firewatch incidents list --status open,acknowledged\n  firewatch incidents list --rule eaddrinuse_loop --format json --store redis://127.0.0.1:6379\n\nExit codes: 0 listed (also when empty), 2 usage or store error")
    .option("--status <list>", "only these statuses, comma-separated (open, observed, acknowledged, resolved)")
    .option("--host <host>", "only this host")
    .option("--service <service>", "only this service")
    .option("--rule <id>", "only incidents with a finding of this rule")
    .addOption(formatOption())
    .action(async (o: StoreFlags & { status?: string; host?: string; service?: string; rule?: string; format: string }) => {
      const status = parseStatuses(o.status);
      const [list, where] = await withStore(io, o, true, async (s, w) => [
        await s.list({ ...(status ? { status } : {}), ...(o.host ? { host: o.host } : {}), ...(o.service ? { service: o.service } : {}), ...(o.rule ? { rule: o.rule } : {}) }),
        w,
      ] as const);
      io.stdout.write(o.format === "json" ? renderStoredJson(list) : renderList(list, where));
    });

  const show = async (s: Store, id: string, where: string) => {
    const found = await s.get(id);
    if (!found) throw new FirewatchError("usage", `no incident ${id} in ${where}`, { hint: "`firewatch incidents list` shows its ids; --store or $FIREWATCH_STORE names another store" });
    return found;
  };

  storeOptions(incidents.command("show").argument("<id>", "short id (fw-...) or fingerprint").description("One incident: status, findings, history"))
    .addHelpText("after", "\nExamples:\n  firewatch incidents show fw-0a1b2c3d\n  firewatch incidents show fw-0a1b2c3d --format json | jq '.incidents[0].store.history'\n\nExit codes: 0 shown, 2 unknown id or store error")
    .addOption(formatOption())
    .action(async (id: string, o: StoreFlags & { format: string }) => {
      const found = await withStore(io, o, true, (s, where) => show(s, id, where));
      if (o.format === "json") return void io.stdout.write(renderStoredJson([found]));
      const { loadRules } = await import("../rules/index.js");
      io.stdout.write(renderShow(found, new Map((await loadRules({ dirs: [] })).map((r) => [r.id, r]))));
    });

  for (const [name, verb] of [["ack", "Acknowledge"], ["resolve", "Resolve"]] as const) {
    storeOptions(incidents.command(name).argument("<id>", "short id (fw-...) or fingerprint").description(`${verb} an incident (recorded in its history and the audit log)`))
      .addHelpText("after", `\nExamples:\n  firewatch incidents ${name} fw-0a1b2c3d --note "on it"\n  firewatch incidents ${name} fw-0a1b2c3d --store redis://127.0.0.1:6379 --by slack:U123\n\nExit codes: 0 done, 2 unknown id, store locked or unreachable`)
      .option("--by <who>", "who asked for it, recorded beside the real user (cli:NAME of the uid)")
      .option("--note <text>", "why, for the history")
      .action(async (id: string, o: StoreFlags & { by?: string; note?: string }) => {
        const by = auditActor(o.by);
        const done = await withStore(io, o, false, (s) => (name === "ack" ? s.acknowledge(id, by, o.note) : s.resolve(id, by, o.note)));
        io.stdout.write(`${done.incident.id} ${statusLine(done)}\n`);
      });
  }

  const silence = incidents.command("silence").description("Silence incidents by rule, host, service or fingerprint until a time")
    .addHelpText("after", "\nExamples:\n  firewatch incidents silence add --rule eaddrinuse_loop --for 2h\n  firewatch incidents silence list\n\nExit codes: 0 done, 2 usage or store error");
  storeOptions(silence.command("add").description("Add a silence (at least one of --rule, --host, --service, --fingerprint) and show what it matches now"))
    .requiredOption("--for <duration>", 'how long, e.g. "2h", "30m", "1d"')
    .option("--rule <id>").option("--host <host>").option("--service <service>").option("--fingerprint <fp>")
    .option("-r, --rules <dir>", "rules of your own, so --rule may name them (repeatable)", (v: string, p: string[]) => [...p, v], [] as string[])
    .option("--reason <text>", "why, for the audit log")
    .option("--by <who>", "who asked for it, recorded beside the real user (cli:NAME of the uid)")
    .addHelpText("after", "\nExamples:\n  firewatch incidents silence add --rule eaddrinuse_loop --for 2h --reason \"moving the port\"\n  firewatch incidents silence add --host web1 --for 30m --store redis://127.0.0.1:6379\n\nExit codes: 0 added, 2 unknown rule, bad duration or store error")
    .action(async (o: StoreFlags & { for: string; rule?: string; host?: string; service?: string; fingerprint?: string; rules: string[]; reason?: string; by?: string }) => {
      const durationMs = parseDuration(o.for);
      if (durationMs === undefined || durationMs <= 0) throw new FirewatchError("usage", `--for ${o.for}: expected a duration like "30m", "2h" or "1d"`);
      const match = { rule: o.rule, host: o.host, service: o.service, fingerprint: o.fingerprint };
      const [s, now] = await withStore(io, o, false, async (st, where) => {
        if (o.rule !== undefined) await checkSilenceRule(o.rule, o.rules, st, where);
        const added = await st.addSilence({ match, by: auditActor(o.by), durationMs, ...(o.reason ? { reason: o.reason } : {}) });
        return [added, await silencedNow(st, added)] as const;
      });
      io.stdout.write(`${s.id} until ${formatIso(s.expiresAt)}\n${describeSilenced(now)}`);
    });
  storeOptions(silence.command("list").description("Active silences, soonest expiry first"))
    .addHelpText("after", "\nExamples:\n  firewatch incidents silence list\n  firewatch incidents silence list --format json --store redis://127.0.0.1:6379\n\nExit codes: 0 listed (also when empty), 2 store error")
    .addOption(formatOption())
    .action(async (o: StoreFlags & { format: string }) => {
      const [list, where] = await withStore(io, o, true, async (s, w) => [await s.listSilences(), w] as const);
      if (o.format === "json") return void io.stdout.write(json(list));
      if (list.length === 0) return void io.stdout.write(`No active silences in ${where}.\n`);
      for (const s of list) {
        const m = Object.entries(s.match).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`).join(" ");
        io.stdout.write(`${s.id}  until ${formatIso(s.expiresAt)}  ${escapeTerminal(m)}  by ${s.createdBy}${s.reason ? ` — ${escapeTerminal(s.reason)}` : ""}\n`);
      }
    });
  storeOptions(silence.command("remove").argument("<id>", "silence id (sil-...)").description("Remove a silence before it expires"))
    .addHelpText("after", "\nExamples:\n  firewatch incidents silence remove sil-0a1b2c3d\n\nExit codes: 0 removed, 2 no such active silence or store error")
    .option("--by <who>", "who asked for it, recorded beside the real user (cli:NAME of the uid)")
    .action(async (id: string, o: StoreFlags & { by?: string }) => {
      const [removed, where] = await withStore(io, o, false, async (s, w) => [await s.removeSilence(id, auditActor(o.by)), w] as const);
      if (!removed) throw new FirewatchError("usage", `no active silence ${id} in ${where}`, { hint: "`firewatch incidents silence list` shows them" });
      io.stdout.write(`${id} removed\n`);
    });

  // One audit command: this is `firewatch audit` under the name people look for it here.
  auditCommand(incidents.command("audit").description("The audit log: same as `firewatch audit` (every kind of entry, one set of filters)"), io);

  storeOptions(program.command("report").argument("<id>", "short id (fw-...) or fingerprint").description("Write the markdown incident report of a stored incident"))
    .option("-r, --rules <dir>", "add rules from DIR, overriding built-in rules by id (repeatable)", (v: string, p: string[]) => [...p, v], [] as string[])
    .option("--tz <zone>", "IANA time zone for the report's times (default UTC)")
    .option("-o, --out <file>", "write to FILE instead of stdout")
    .option("--all-actions", "also the Immediate Actions of observed findings (below their rule's condition)")
    .addHelpText("after", "\nExamples:\n  firewatch report fw-0a1b2c3d > incident.md\n  firewatch report fw-0a1b2c3d --store redis://127.0.0.1:6379 --tz America/New_York\n\nExit codes: 0 written, 2 unknown id or store error")
    .action(async (id: string, o: StoreFlags & { rules: string[]; tz?: string; out?: string; allActions?: boolean }) => {
      const found = await withStore(io, o, true, (s, where) => show(s, id, where));
      const { loadRules } = await import("../rules/index.js");
      const rules = new Map((await loadRules({ dirs: o.rules })).map((r) => [r.id, r]));
      const md = renderMarkdown(found.incident, rules, { now: io.clock.now(), probes: found.probes, allActions: o.allActions === true, ...(o.tz ? { timeZone: o.tz } : {}) });
      if (o.out) await writeFile(o.out, md, "utf8");
      else io.stdout.write(md);
    });
}
