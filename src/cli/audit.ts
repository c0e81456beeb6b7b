// `firewatch audit`: who did what, when, with which result: remediation, incident changes, silences, jobs clean.
import { Command, Option } from "commander";
import { FirewatchError } from "../errors.js";
import { escapeTerminal } from "../report/index.js";
import { openStore, parseStoreSpec, type AuditEntry } from "../store/index.js";
import { formatIso, parseTimeBound, systemClock, type Clock } from "../time.js";
import { storeLabel } from "./store-label.js";

export interface AuditIo {
  readonly stdout: { write(s: string): unknown };
  readonly env: NodeJS.ProcessEnv;
  readonly clock: Clock;
}

interface AuditFlags {
  incident?: string;
  actor?: string;
  action?: string;
  kind?: string;
  since?: string;
  limit?: string;
  store?: string;
  config?: string;
  namespace: string;
  format: "text" | "json";
}

/** The kinds of audit entry, by the first word of their event: what `--kind` chooses among. */
const KINDS: Readonly<Record<string, string>> = { remediation: "action", incident: "incident", silence: "silence", jobs: "jobs" };

function parseKinds(text: string | undefined): Set<string> | undefined {
  if (text === undefined) return undefined;
  const out = new Set<string>();
  for (const k of text.split(",").map((p) => p.trim()).filter(Boolean)) {
    const prefix = KINDS[k];
    if (prefix === undefined) throw new FirewatchError("usage", `--kind ${k}: expected ${Object.keys(KINDS).join(", ")} (comma-separated)`);
    out.add(prefix);
  }
  return out;
}

/** --action names a remediation (kill_port_owner) or an audit event (action.refused, jobs.clean). */
function matchesAction(e: AuditEntry, action: string): boolean {
  return action.includes(".") ? e.action === action : e.details["action"] === action;
}

const str = (v: unknown): string => (v === undefined || v === null ? "" : typeof v === "string" ? v : JSON.stringify(v));

const SHOWN = new Set(["action", "host", "command", "approvedBy", "reason", "approvalId", "detail", "precondition", "postcondition", "output", "note"]);

/** One line per entry: time, actor, event, incident, then what the guard recorded (command, host, result, why). */
export function auditLine(e: AuditEntry): string {
  const d = e.details;
  const argv = typeof d["command"] === "string" ? safeArgv(d["command"]) : undefined;
  const parts = [
    d["action"] !== undefined ? `${str(d["action"])}` : "",
    d["host"] !== undefined ? `on ${str(d["host"])}` : "",
    argv ? `\`${argv}\`` : "",
    d["approvedBy"] !== undefined ? `approved by ${str(d["approvedBy"])}` : "",
    d["reason"] !== undefined ? `reason ${str(d["reason"])}` : "",
    d["approvalId"] !== undefined ? `approval ${str(d["approvalId"])}` : "",
    ...["detail", "precondition", "postcondition", "output", "note"].filter((k) => d[k] !== undefined && d[k] !== null).map((k) => `${k}: ${str(d[k])}`),
    // Incident, silence and jobs entries: whatever else they recorded, as key=value.
    ...(e.action.startsWith("action.") ? [] : Object.entries(d).filter(([k, v]) => !SHOWN.has(k) && v !== null && v !== undefined).map(([k, v]) => `${k}=${str(v)}`)),
  ].filter((p) => p !== "");
  const event = e.action.startsWith("action.") ? e.action.slice("action.".length) : e.action;
  return `${formatIso(e.at)}  ${escapeTerminal(e.actor)}  ${event}  ${escapeTerminal(e.target ?? "-")}  ${escapeTerminal(parts.join("; "))}\n`;
}

// The guard stores the argv as a JSON array; shown as words (it never ran through a shell, it is not one).
function safeArgv(json: string): string | undefined {
  try {
    const v: unknown = JSON.parse(json);
    return Array.isArray(v) && v.every((x) => typeof x === "string") ? v.join(" ") : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The options and action of the audit listing, on `cmd`: `firewatch audit` and its alias `firewatch incidents audit`
 * are this one command, with one set of filters over every kind of entry.
 */
export function auditCommand(cmd: Command, io: AuditIo): Command {
  return cmd
    .option("--incident <id>", "only entries about this incident (or silence id)")
    .addOption(new Option("--target <id>", "same as --incident").hideHelp())
    .option("--kind <list>", `only these kinds, comma-separated: ${Object.keys(KINDS).join(", ")} (default: all)`)
    .option("--actor <user>", "only entries by this user (cli:alice, a Slack user id, firewatch)")
    .option("--action <name>", "a remediation (kill_port_owner) or an event (action.refused, incident.acknowledged, silence.added)")
    .option("--since <time>", "ISO date-time, or a duration before now (2h, 7d)")
    .option("--limit <n>", "only the newest N (after the other filters)")
    .addOption(new Option("--all").hideHelp())
    .option("--config <file>", "firewatch.yaml naming the store")
    .option("--store <spec>", "file:DIR or redis://HOST:PORT (default: the config's, $FIREWATCH_STORE, or the default data directory)")
    .option("--namespace <ns>", "Redis key namespace of the store", "firewatch")
    .addOption(new Option("--format <format>", "output format").choices(["text", "json"]).default("text"))
    .addHelpText("after", `
Examples:
  firewatch audit --incident fw-1a2b3c4d
  firewatch audit --kind remediation --action action.refused --since 24h --format json

Exit codes: 0 listed (also when empty), 2 usage or store error`)
    .action(async (f: AuditFlags & { target?: string }) => {
      const since = f.since === undefined ? undefined : parseTimeBound(f.since, io.clock.now());
      if (f.since !== undefined && since === undefined) throw new FirewatchError("usage", `--since ${JSON.stringify(f.since)}: expected an ISO date-time or a duration like 2h`);
      const limit = f.limit === undefined ? undefined : Number(f.limit);
      if (limit !== undefined && (!Number.isInteger(limit) || limit <= 0)) throw new FirewatchError("usage", `--limit ${f.limit}: expected a whole number above 0`);
      const kinds = parseKinds(f.kind);
      const incident = f.incident ?? f.target;
      let url: string | undefined;
      if (f.store === undefined && f.config !== undefined) {
        const { loadConfig } = await import("../config/index.js");
        url = (await loadConfig({ file: f.config, env: io.env })).store.url;
      }
      const spec = parseStoreSpec(f.store ?? url ?? io.env.FIREWATCH_STORE, io.env);
      const store = await openStore(spec, { clock: io.clock }, { readOnly: true, namespace: f.namespace, unavailableAfterMs: 5_000 });
      let list: AuditEntry[];
      try {
        list = await store.listAudit({ ...(incident ? { target: incident } : {}), ...(f.actor ? { actor: f.actor } : {}), ...(since === undefined ? {} : { since }) });
      } finally {
        await store.close();
      }
      // Token redemptions (action.token_used) were the old nonce ledger's bookkeeping, not decisions.
      list = list.filter((e) => e.action !== "action.token_used" && (kinds === undefined || kinds.has(e.action.split(".")[0] ?? "")) && (f.action === undefined || matchesAction(e, f.action)));
      if (limit !== undefined) list = list.slice(-limit);
      if (f.format === "json") return void io.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
      if (list.length === 0) return void io.stdout.write(`No audit entries in ${storeLabel(spec)}.\n`);
      for (const e of list) io.stdout.write(auditLine(e));
    });
}

const defaultIo: AuditIo = { stdout: process.stdout, env: process.env, clock: systemClock };

/** Registers `audit` on the program. */
export function registerAudit(program: Command, io: AuditIo = defaultIo): void {
  auditCommand(program.command("audit").description("The audit log, oldest first: every guard decision and remediation, incident change (created, acknowledged, resolved, reopened), silence and jobs clean"), io);
}
