// `firewatch audit`: who asked for which remediation, who approved, what ran where, and what came of it.
import { Command, Option } from "commander";
import { FirewatchError } from "../errors.js";
import { escapeTerminal } from "../report/index.js";
import { openStore, parseStoreSpec, type AuditEntry } from "../store/index.js";
import { formatIso, parseTimeBound, systemClock, type Clock } from "../time.js";

export interface AuditIo {
  readonly stdout: { write(s: string): unknown };
  readonly env: NodeJS.ProcessEnv;
  readonly clock: Clock;
}

interface AuditFlags {
  incident?: string;
  actor?: string;
  action?: string;
  since?: string;
  store?: string;
  config?: string;
  namespace: string;
  all?: boolean;
  format: "text" | "json";
}

/** --action names a remediation (kill_port_owner) or an audit event (action.refused, jobs.clean). */
function matchesAction(e: AuditEntry, action: string): boolean {
  return action.includes(".") ? e.action === action : e.details["action"] === action;
}

const str = (v: unknown): string => (v === undefined || v === null ? "" : typeof v === "string" ? v : JSON.stringify(v));

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
    ...["detail", "precondition", "postcondition", "output"].filter((k) => d[k] !== undefined).map((k) => `${k}: ${str(d[k])}`),
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

/** Registers `audit` on the program. */
export function registerAudit(program: Command, io: AuditIo = { stdout: process.stdout, env: process.env, clock: systemClock }): void {
  program
    .command("audit")
    .description("The remediation audit log: requests, approvals, refusals, what ran and its result (oldest first)")
    .option("--incident <id>", "only entries about this incident")
    .option("--actor <user>", "only entries by this user (cli:alice, a Slack user id)")
    .option("--action <name>", "a remediation (kill_port_owner) or an event (action.refused)")
    .option("--since <time>", "ISO date-time, or a duration before now (2h, 7d)")
    .option("--all", "every audit entry, not only remediation ones (silences, acks, jobs clean)")
    .option("--config <file>", "firewatch.yaml naming the store")
    .option("--store <spec>", "file:DIR or redis://HOST:PORT")
    .option("--namespace <ns>", "Redis key namespace of the store", "firewatch")
    .addOption(new Option("--format <format>", "output format").choices(["text", "json"]).default("text"))
    .addHelpText("after", `
Examples:
  firewatch audit --incident fw-1a2b3c4d
  firewatch audit --action action.refused --since 24h --format json

Exit codes: 0 listed (also when empty), 2 usage or store error`)
    .action(async (f: AuditFlags) => {
      const since = f.since === undefined ? undefined : parseTimeBound(f.since, io.clock.now());
      if (f.since !== undefined && since === undefined) throw new FirewatchError("usage", `--since ${JSON.stringify(f.since)}: expected an ISO date-time or a duration like 2h`);
      let url: string | undefined;
      if (f.store === undefined && f.config !== undefined) {
        const { loadConfig } = await import("../config/index.js");
        url = (await loadConfig({ file: f.config, env: io.env })).store.url;
      }
      const store = await openStore(parseStoreSpec(f.store ?? url ?? io.env.FIREWATCH_STORE, io.env), { clock: io.clock }, { readOnly: true, namespace: f.namespace, unavailableAfterMs: 5_000 });
      let list: AuditEntry[];
      try {
        list = await store.listAudit({ ...(f.incident ? { target: f.incident } : {}), ...(f.actor ? { actor: f.actor } : {}), ...(since === undefined ? {} : { since }) });
      } finally {
        await store.close();
      }
      // Token redemptions (action.token_used) were the old nonce ledger's bookkeeping, not decisions.
      list = list.filter((e) => (f.all === true || e.action.startsWith("action.")) && e.action !== "action.token_used" && (f.action === undefined || matchesAction(e, f.action)));
      if (f.format === "json") return void io.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
      if (list.length === 0) return void io.stdout.write("No audit entries.\n");
      for (const e of list) io.stdout.write(auditLine(e));
    });
}
