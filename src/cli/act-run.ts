// `firewatch act ACTION --incident ID`: request → confirm → authorize → wait for approval → execute → resolve.
import { ACTIONS, ActionId, settleFix, suggestParams, type Decision, type ExecutionOutcome } from "../actions/index.js";
import { FirewatchError } from "../errors.js";
import type { Store, StoredIncident } from "../store/index.js";
import { formatIso } from "../time.js";
import { escapeTerminal } from "../report/index.js";
import { chooseFinding, paramProblem } from "./act-choose.js";
import { awaitHandoff } from "./act-handoff.js";
import { ACT_EXIT, confirm, line, planText, refused, report, result, say } from "./act-output.js";
import { localActor } from "./actor.js";
import { openSession, requester, type ActIo, type CommonFlags, type Session } from "./act-session.js";

export interface RequestFlags extends CommonFlags {
  jobsRedis?: string;
  incident?: string;
  param: string[];
  host?: string;
  dryRun?: boolean;
  wait: boolean;
}

function parseParams(pairs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of pairs) {
    const eq = p.indexOf("=");
    if (eq <= 0) throw new FirewatchError("usage", `--param ${JSON.stringify(p)}: expected KEY=VALUE`);
    out[p.slice(0, eq)] = p.slice(eq + 1);
  }
  return out;
}

/** After a run: a done fix resolves the incident (with a note) when the action is one its rules name as their fix. */
async function settle(io: ActIo, f: CommonFlags, s: Session, o: ExecutionOutcome, actor: string): Promise<void> {
  if (o.status !== "done") return;
  const stored = await s.store.get(o.plan.incident);
  if (!stored || stored.status === "resolved") return;
  const { loadRules } = await import("../rules/index.js");
  const rules = new Map((await loadRules({ dirs: s.config.rules.dirs })).map((r) => [r.id, r]));
  const fix = stored.incident.findings.some((f) => rules.get(f.rule)?.actions.includes(o.plan.action) === true);
  if (!fix) return;
  const quietMs = (rule: string) => rules.get(rule)?.resolve_after;
  const settled = await settleFix({ store: s.store, clock: io.clock, quietMs }, o.plan, o.postcondition.observed, actor);
  if (settled === undefined) return;
  if (settled.resolved) return say(io, f, `${o.plan.incident} resolved: ${o.plan.action} is its rule's fix and the postcondition holds\n`);
  // One member fixed, others still fire (issue 14): the incident stays open and says which.
  say(io, f, `${o.plan.incident} stays open: still firing ${settled.still.map((x) => x.groupKey).join(", ")}\n`);
}

/** Executes a grant, prints the outcome and settles the incident; shared with `act approve`. */
export async function run(io: ActIo, s: Session, f: CommonFlags, grant: string, actor: string): Promise<void> {
  const o = await s.kit.guard.execute(grant, s.kit.executor);
  report(io, f, o);
  await settle(io, f, s, o, actor);
}

export async function request(io: ActIo, actionText: string, f: RequestFlags): Promise<void> {
  const id = ActionId.safeParse(actionText);
  if (!id.success) throw new FirewatchError("usage", `unknown action ${JSON.stringify(actionText)}`, { hint: `one of: ${Object.keys(ACTIONS).join(", ")}, or \`act approve ID\`` });
  if (!f.incident) throw new FirewatchError("usage", "--incident ID is required");
  const action = ACTIONS[id.data];
  const incident = f.incident;
  const incidentRules = async (store: Store) => new Set((await store.get(incident))?.incident.findings.map((x) => x.rule) ?? []);
  // clean_failed_jobs: --jobs-redis, else the queues of firewatch.yaml's bullmq sources.
  const jobsFor = id.data === "clean_failed_jobs" ? { url: f.jobsRedis ?? io.env.FIREWATCH_JOBS_REDIS, rules: incidentRules } : undefined;
  const s = await openSession(io, f, jobsFor);
  try {
    const stored: StoredIncident | undefined = await s.store.get(f.incident);
    if (!stored) throw new FirewatchError("usage", `no incident ${JSON.stringify(f.incident)} in the store`, { hint: "`firewatch incidents list` shows them" });
    const host = f.host ?? stored.incident.host ?? "local";
    if (!(host in s.config.hosts)) {
      throw new FirewatchError("usage", `host ${JSON.stringify(host)} is not in the hosts of firewatch.yaml (known: ${Object.keys(s.config.hosts).join(", ") || "none"})`, { hint: "add it under hosts:, or pick one with --host" });
    }
    const suggested = suggestParams(id.data, { service: stored.incident.service, findings: stored.incident.findings, probes: stored.probes });
    const given = parseParams(f.param);
    const params: Record<string, string> = { ...Object.fromEntries(Object.entries(suggested).map(([k, v]) => [k, v.value])), ...given };
    const from: Record<string, string> = { ...Object.fromEntries(Object.entries(suggested).map(([k, v]) => [k, v.from])), ...Object.fromEntries(Object.keys(given).map((k) => [k, "--param"])) };
    // Which finding: the one whose precondition holds now (kill_port_owner asks port_owner, read-only, who holds each
    // finding's port); none: one line says what each lacks, and nothing is requested.
    const chosen = await chooseFinding(id.data, stored, host, s.kit.probes, given);
    const why = typeof chosen === "string" ? chosen : chosen?.unproven;
    if (why !== undefined) {
      // A dry-run still shows the plan of the best lead or the stored evidence (its precondition line says it does not hold).
      const lead = typeof chosen === "string" ? params["pid"] : chosen?.params.pid;
      if (!f.dryRun || lead === undefined) return result(io, f, { status: "not_applicable", detail: why }, `nothing to request: ${escapeTerminal(why)}\n`, ACT_EXIT.notDone);
      say(io, f, line("note", `no finding's precondition holds now: ${why}`));
    }
    if (chosen !== undefined && typeof chosen !== "string") {
      for (const k of ["pid", "port", "unit", "container"]) delete params[k];
      Object.assign(params, chosen.params, given);
      Object.assign(from, chosen.from, Object.fromEntries(Object.keys(given).map((k) => [k, "--param"])));
    }
    const parsed = action.params.safeParse(params);
    // A missing value is said in words (no schema message reaches a user); an invalid one in the validator's words.
    const missing = parsed.success ? undefined : parsed.error.issues.some((i) => params[String(i.path[0] ?? "")] === undefined) ? paramProblem(id.data, params, parsed.error.issues.map((i) => i.path)) : undefined;
    const shown = Object.entries(params).map(([k, v]) => `${k}=${v} (${from[k] ?? "?"})`).join("  ");
    if (!parsed.success) {
      // Shown, then refused by the guard itself below, so the refusal is audited like any other.
      say(io, f, line("params", shown));
    } else {
      const pre = await action.precondition(parsed.data, host, s.kit.probes).catch((e: unknown) => ({ ok: false, observed: `could not check: ${e instanceof Error ? e.message : String(e)}` }));
      say(io, f, planText({ action: id.data, host, incident: stored.incident.id, command: action.command(parsed.data, host), destructive: action.destructive, params: parsed.data }, [["params", shown], ["now", `${pre.ok ? "" : "precondition does NOT hold: "}${pre.observed}`]]));
    }
    const token = s.kit.tokens.issueToken({ incident: stored.incident.id, action: id.data, params, host }, s.kit.config.tokenTtl);
    const refusedAs = (d: Extract<Decision, { kind: "refused" }>) => refused(io, f, missing !== undefined && d.reason === "invalid_params" ? { ...d, detail: missing } : d);
    if (f.dryRun) {
      const d = await s.kit.guard.authorize({ token, requester: requester(), dryRun: true });
      if (d.kind === "refused") return refusedAs(d);
      if (d.kind === "allowed") return report(io, f, await s.kit.guard.execute(d.grant, s.kit.executor));
      return;
    }
    if (parsed.success) await confirm(io, f, action.destructive ? "Ask a second person to approve this?" : "Run it?");
    const d = await s.kit.guard.authorize({ token, requester: requester() });
    if (d.kind === "refused") return refusedAs(d);
    if (d.kind === "allowed") return await run(io, s, f, d.grant, localActor());
    const requested = `approval ${d.approvalId} ${d.existing ? `already pending, requested by ${d.plan.requestedBy}` : `requested by ${localActor()}`}; until ${formatIso(d.expiresAt)} a second person approves with:\n  firewatch act approve ${d.approvalId}\n`;
    const pending = { status: "pending", approvalId: d.approvalId, expiresAt: d.expiresAt };
    if (!f.wait || !s.shared) {
      const why = f.wait ? "not waiting: the file store admits one process at a time; the approver's firewatch will run it\n" : "not waiting (--no-wait): the approver's firewatch will run it\n";
      return result(io, f, pending, requested + why, ACT_EXIT.pending);
    }
    say(io, f, `${requested}waiting for the approval (Ctrl-C stops waiting; the approver's firewatch then runs it)\n`);
    const stop = new AbortController();
    const onInt = () => stop.abort();
    process.once("SIGINT", onInt);
    try {
      const grant = await awaitHandoff(io, s, d.approvalId, d.expiresAt, stop.signal);
      if (grant === undefined) {
        return result(io, f, pending, stop.signal.aborted ? "stopped waiting\n" : "no approval within the time limit\n", ACT_EXIT.pending);
      }
      say(io, f, "approved; running\n");
      await run(io, s, f, grant, localActor());
    } finally {
      process.off("SIGINT", onInt);
    }
  } finally {
    await s.close();
  }
}
