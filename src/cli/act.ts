// `firewatch act ACTION --incident ID` and `firewatch act approve ID`: the guard from a terminal, as the local OS user.
import { userInfo } from "node:os";
import { createInterface } from "node:readline/promises";
import { Command, Option } from "commander";
import {
  ACTIONS, ActionId, createGuardKit, decodeApproval, dockerHostOf, offerActions, describeCommand, suggestParams, APPROVAL_NS,
  type Decision, type ExecutionOutcome, type GuardKit, type GuardKitDeps, type Plan, type Requester,
} from "../actions/index.js";
import { loadConfig, type FirewatchConfig } from "../config/index.js";
import { FirewatchError } from "../errors.js";
import { openHost, type Host } from "../hosts/index.js";
import { escapeTerminal } from "../report/index.js";
import { openStore, parseStoreSpec, type Store, type StoredIncident } from "../store/index.js";
import { formatDuration, formatIso, systemClock, type Clock } from "../time.js";
import { EXIT } from "./exit-codes.js";

/** Exit codes of `act`: scripts tell "done" from "refused" from "waiting for the second person". */
export const ACT_EXIT = { done: EXIT.ok, notDone: 1, usage: EXIT.usage, pending: 3 } as const;

/** Where the command reads and writes; tests pass their own. */
export interface ActIo {
  readonly stdout: { write(s: string): unknown };
  /** Where the plan and progress go with --format json (stdout then carries one JSON object); default stderr. */
  readonly stderr?: { write(s: string): unknown };
  readonly stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  readonly env: NodeJS.ProcessEnv;
  readonly clock: Clock;
  readonly setExitCode: (code: number) => void;
}

const defaultIo = (setExitCode: (c: number) => void): ActIo => ({ stdout: process.stdout, stdin: process.stdin, env: process.env, clock: systemClock, setExitCode });

// Handing a grant from the approver's process to the waiting requester's: two records next to the guard's own.
const WAIT_NS = "act-wait";
const HANDOFF_NS = "act-grant";
const POLL_MS = 500;

/**
 * The OS user this process runs as (uid → passwd), never $USER: the environment is the caller's to set, and a second
 * person must be a second account. Without a passwd entry: "cli:uid:1234".
 */
export function osActor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return `cli:uid:${process.getuid?.() ?? "unknown"}`;
  }
}

/** The CLI's requester: the OS user, no groups, channel "cli" (list "cli" in an action's channels to allow the CLI). */
const requester = (): Requester => ({ user: osActor(), groups: [], channel: "cli" });

interface CommonFlags {
  config?: string;
  store?: string;
  namespace: string;
  yes?: boolean;
  format: "text" | "json";
}

interface Session {
  readonly config: FirewatchConfig;
  /** A file store admits one process at a time: a waiting requester would lock the approver out. */
  readonly shared: boolean;
  readonly store: Store;
  readonly kit: GuardKit;
  readonly close: () => Promise<void>;
}

type JobsSide = NonNullable<GuardKitDeps["jobs"]> & { close(): Promise<void> };

/**
 * clean_failed_jobs through src/jobs: the failed jobs of the queue whose category is one of the incident's rules
 * (stale jobs only when their file is found completed), each re-checked right before removal and audited by
 * executeClean. Loaded only for this action: bullmq costs ~0.3 s to import.
 */
async function openJobs(url: string, config: FirewatchConfig, store: Store, incidentRules: ReadonlySet<string>, actor: string, hostOf: (n: string) => Host | undefined): Promise<JobsSide> {
  const [jobs, { compileRules, createMatcher, loadRules }] = await Promise.all([import("../jobs/index.js"), import("../rules/index.js")]);
  const rules = await loadRules({ dirs: config.rules.dirs });
  const match = createMatcher(compileRules(rules));
  const reader = await jobs.QueueReader.connect(url);
  const probeOf = (host: string) => {
    const h = host === "local" ? undefined : hostOf(host);
    return h ? jobs.hostFileProbe(h) : jobs.localFileProbe();
  };
  return {
    failedJobCount: async (_host, queue) => (await reader.counts(queue)).failed,
    async cleanFailedJobs(host, queue) {
      const probe = probeOf(host);
      const report = await jobs.inspectJobs({ reader, rules, match, probe }, { queue });
      const categories = [...new Map(report.queues.flatMap((q) => q.jobs).filter((j) => incidentRules.has(j.category.ruleId)).map((j) => [j.category.label, j.category])).values()];
      if (categories.length === 0) throw new Error(`no failed job of ${queue} is in a category of this incident's rules (${[...incidentRules].join(", ")}); nothing removed`);
      let removed = 0;
      let skipped = 0;
      for (const category of categories) {
        const plan = jobs.planClean(report, category, { onlyCompleted: category.ruleId === jobs.STALE_RULE_ID });
        const r = await jobs.executeClean({ reader, rules, match, probe, actor, appendAudit: (e) => store.appendAudit(e) }, plan);
        removed += r.removed.length;
        skipped += r.skipped.length;
      }
      return { removed, detail: `${skipped} skipped; categories ${categories.map((c) => c.label).join(", ")}` };
    },
    close: () => reader.close(),
  };
}

/** Loads the config, opens the store and the configured hosts (lazily), and wires the guard; close() releases all. */
async function openSession(io: ActIo, f: CommonFlags, jobsFor?: { url: string; rules: (store: Store) => Promise<ReadonlySet<string>> }): Promise<Session> {
  const config = await loadConfig({ file: f.config, env: io.env });
  const spec = parseStoreSpec(f.store ?? config.store.url ?? io.env.FIREWATCH_STORE, io.env);
  const store = await openStore(spec, { clock: io.clock }, { namespace: f.namespace, unavailableAfterMs: 5_000 });
  const hosts = new Map<string, Promise<Host>>();
  const opened: Host[] = [];
  const hostOf = (name: string): Host | undefined => {
    const entry = config.hosts[name];
    if (!entry) return undefined;
    // Host.exec is async anyway: hand out a host that opens the real one on first use (SSH keys are read then).
    let p = hosts.get(name);
    if (!p) {
      p = openHost(name, entry, { clock: io.clock }).then((h) => (opened.push(h), h));
      hosts.set(name, p);
    }
    const ready = p;
    return {
      name,
      exec: async (argv, opts) => (await ready).exec(argv, opts),
      spawn: async (argv, opts) => (await ready).spawn(argv, opts),
      close: async () => (await ready).close(),
    };
  };
  let jobs: JobsSide | undefined;
  try {
    jobs = jobsFor ? await openJobs(jobsFor.url, config, store, await jobsFor.rules(store), osActor(), hostOf) : undefined;
    const kit = await createGuardKit({
      config: config.guard, store, clock: io.clock, host: hostOf,
      // Each host's container questions and docker commands go to the daemon its docker source reads.
      dockerHost: dockerHostOf(config), ...(jobs === undefined ? {} : { jobs }),
    });
    const close = async () => {
      await Promise.all(opened.map((h) => h.close()));
      await jobs?.close();
      await store.close();
    };
    return { config, store, kit, shared: spec.kind === "redis", close };
  } catch (e) {
    await jobs?.close();
    await store.close();
    throw e;
  }
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

/** Text for people: stdout, or stderr with --format json so that stdout stays one JSON object. */
function say(io: ActIo, f: Pick<CommonFlags, "format">, text: string): void {
  if (f.format === "json") (io.stderr ?? process.stderr).write(text);
  else io.stdout.write(text);
}

/** The result line of a run that did not get to execute: a refusal, or waiting for the second person. */
function result(io: ActIo, f: Pick<CommonFlags, "format">, json: Readonly<Record<string, unknown>>, text: string, code: number): void {
  if (f.format === "json") io.stdout.write(`${JSON.stringify(json)}\n`);
  else io.stdout.write(text);
  io.setExitCode(code);
}

const line = (label: string, value: string) => `  ${label.padEnd(10)}${escapeTerminal(value)}\n`;

function planText(plan: Pick<Plan, "action" | "host" | "command" | "incident" | "destructive" | "params">, extra: readonly [string, string][] = []): string {
  const a = ACTIONS[plan.action];
  const esc = a.escalation ? ` (then ${describeCommand(a.escalation.command(plan.params, plan.host))} after ${formatDuration(a.escalation.afterMs)} if the same PID still holds the port)` : "";
  return [
    line("action", `${plan.action}: ${a.title}${plan.destructive ? " (destructive: a second person must approve)" : ""}`),
    line("incident", plan.incident),
    line("host", plan.host),
    line("command", `${describeCommand(plan.command)}${esc}`),
    ...extra.map(([k, v]) => line(k, v)),
  ].join("");
}

async function confirm(io: ActIo, f: CommonFlags, question: string): Promise<void> {
  if (f.yes) return;
  if (!io.stdin.isTTY) throw new FirewatchError("usage", "refusing to act without a confirmation: stdin is not a terminal", { hint: "read the plan above (or run with --dry-run) and pass --yes" });
  const rl = createInterface({ input: io.stdin, output: process.stderr });
  try {
    const answer = (await rl.question(`${question} [y/N] `)).trim().toLowerCase();
    if (answer !== "y" && answer !== "yes") throw new FirewatchError("usage", "not confirmed; nothing was done");
  } finally {
    rl.close();
  }
}

function outcomeText(o: ExecutionOutcome): string {
  switch (o.status) {
    case "dry_run": return `dry run: nothing ran. Precondition ${o.precondition.ok ? "holds" : "does NOT hold"}: ${o.precondition.observed}\n`;
    case "world_changed": return `not run: the world changed since the request: ${o.precondition.observed}\n`;
    case "failed": return `failed: ${o.detail}\n`;
    case "unverified": return `ran, but the postcondition does not hold: ${o.postcondition.observed}\n`;
    case "done": return `done: ${o.postcondition.observed}\n`;
    case "refused": return "refused: the grant is unknown, used or expired\n";
  }
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
  await s.store.resolve(o.plan.incident, actor, `${o.plan.action} on ${o.plan.host}: ${o.postcondition.observed}`);
  say(io, f, `${o.plan.incident} resolved: ${o.plan.action} is its rule's fix and the postcondition holds\n`);
}

function report(io: ActIo, f: CommonFlags, o: ExecutionOutcome): void {
  if (f.format === "json") io.stdout.write(`${JSON.stringify(o)}\n`);
  else io.stdout.write(outcomeText(o));
  io.setExitCode(o.status === "done" || o.status === "dry_run" ? ACT_EXIT.done : ACT_EXIT.notDone);
}

function refused(io: ActIo, f: CommonFlags, d: Extract<Decision, { kind: "refused" }>): void {
  result(io, f, { status: "refused", reason: d.reason, detail: d.detail }, `refused (${d.reason}): ${escapeTerminal(d.detail)}\nnothing ran; the refusal is in the audit log (firewatch audit)\n`, ACT_EXIT.notDone);
}

async function run(io: ActIo, s: Session, f: CommonFlags, grant: string, actor: string): Promise<void> {
  const o = await s.kit.guard.execute(grant, s.kit.executor);
  report(io, f, o);
  await settle(io, f, s, o, actor);
}

/** Waits for the approver's process to hand over the grant; undefined when the approval window passes first. */
async function awaitHandoff(io: ActIo, s: Session, approvalId: string, until: number, signal: AbortSignal): Promise<string | undefined> {
  await s.store.putRecord(WAIT_NS, approvalId, { pid: process.pid, by: osActor() }, Math.max(1, until - io.clock.now()));
  try {
    while (io.clock.now() < until && !signal.aborted) {
      const got = await s.store.takeRecord(HANDOFF_NS, approvalId);
      if (got && typeof got === "object" && "grant" in got && typeof got.grant === "string") return got.grant;
      await io.clock.sleep(POLL_MS, signal).catch(() => undefined);
    }
    return undefined;
  } finally {
    await s.store.takeRecord(WAIT_NS, approvalId).catch(() => undefined);
  }
}

interface RequestFlags extends CommonFlags {
  jobsRedis?: string;
  incident?: string;
  param: string[];
  host?: string;
  dryRun?: boolean;
  wait: boolean;
}

async function request(io: ActIo, actionText: string, f: RequestFlags): Promise<void> {
  const id = ActionId.safeParse(actionText);
  if (!id.success) throw new FirewatchError("usage", `unknown action ${JSON.stringify(actionText)}`, { hint: `one of: ${Object.keys(ACTIONS).join(", ")}, or \`act approve ID\`` });
  if (!f.incident) throw new FirewatchError("usage", "--incident ID is required");
  const action = ACTIONS[id.data];
  const incident = f.incident;
  const jobsUrl = id.data === "clean_failed_jobs" ? (f.jobsRedis ?? io.env.FIREWATCH_JOBS_REDIS) : undefined;
  const incidentRules = async (store: Store) => new Set((await store.get(incident))?.incident.findings.map((x) => x.rule) ?? []);
  const s = await openSession(io, f, jobsUrl === undefined ? undefined : { url: jobsUrl, rules: incidentRules });
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
    // Seed 000: no stored probe named the PID yet, so ask port_owner now (read-only) who holds the port.
    if (id.data === "kill_port_owner" && params["pid"] === undefined && params["port"] !== undefined) {
      const holder = await s.kit.probes.portHolder(host, params["port"], params["unit"], params["container"]).catch(() => undefined);
      const mine = holder && (params["container"] !== undefined ? holder.inContainer : holder.inUnit);
      if (holder && mine === false) {
        params["pid"] = holder.pid;
        from["pid"] = `probe port_owner now: ${holder.command}`;
      }
    }
    const parsed = action.params.safeParse(params);
    const shown = Object.entries(params).map(([k, v]) => `${k}=${v} (${from[k] ?? "?"})`).join("  ");
    if (!parsed.success) {
      // Shown, then refused by the guard itself below, so the refusal is audited like any other.
      say(io, f, line("params", shown));
    } else {
      const pre = await action.precondition(parsed.data, host, s.kit.probes).catch((e: unknown) => ({ ok: false, observed: `could not check: ${e instanceof Error ? e.message : String(e)}` }));
      say(io, f, planText({ action: id.data, host, incident: stored.incident.id, command: action.command(parsed.data, host), destructive: action.destructive, params: parsed.data }, [["params", shown], ["now", `${pre.ok ? "" : "precondition does NOT hold: "}${pre.observed}`]]));
    }
    const token = s.kit.tokens.issueToken({ incident: stored.incident.id, action: id.data, params, host }, s.kit.config.tokenTtl);
    if (f.dryRun) {
      const d = await s.kit.guard.authorize({ token, requester: requester(), dryRun: true });
      if (d.kind === "refused") return refused(io, f, d);
      if (d.kind === "allowed") return report(io, f, await s.kit.guard.execute(d.grant, s.kit.executor));
      return;
    }
    if (parsed.success) await confirm(io, f, action.destructive ? "Ask a second person to approve this?" : "Run it?");
    const d = await s.kit.guard.authorize({ token, requester: requester() });
    if (d.kind === "refused") return refused(io, f, d);
    if (d.kind === "allowed") return await run(io, s, f, d.grant, osActor());
    const requested = `approval ${d.approvalId} requested by ${osActor()}; until ${formatIso(d.expiresAt)} a second person approves with:\n  firewatch act approve ${d.approvalId}\n`;
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
      await run(io, s, f, grant, osActor());
    } finally {
      process.off("SIGINT", onInt);
    }
  } finally {
    await s.close();
  }
}

/** `act offers --incident ID`: what the incident's rules and probe results allow here, as commands to run. */
async function offers(io: ActIo, f: RequestFlags): Promise<void> {
  if (!f.incident) throw new FirewatchError("usage", "--incident ID is required");
  const config = await loadConfig({ file: f.config, env: io.env });
  const store = await openStore(parseStoreSpec(f.store ?? config.store.url ?? io.env.FIREWATCH_STORE, io.env), { clock: io.clock }, { readOnly: true, namespace: f.namespace, unavailableAfterMs: 5_000 });
  let stored: StoredIncident | undefined;
  try {
    stored = await store.get(f.incident);
  } finally {
    await store.close();
  }
  if (!stored) throw new FirewatchError("usage", `no incident ${JSON.stringify(f.incident)} in the store`, { hint: "`firewatch incidents list` shows them" });
  const { loadRules } = await import("../rules/index.js");
  const rules = new Map((await loadRules({ dirs: config.rules.dirs })).map((r) => [r.id, r]));
  const list = offerActions(stored, rules, config.guard);
  if (f.format === "json") return void io.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
  if (list.length === 0) {
    io.stdout.write(`No action is offered for ${stored.incident.id}: none of its rules' actions is backed by its probe results and enabled in the guard config.\n`);
    return;
  }
  for (const o of list) {
    const params = Object.entries(o.params).map(([k, v]) => ` --param ${k}=${v}`).join("");
    io.stdout.write(`${escapeTerminal(o.label)}: ${escapeTerminal(o.why)}\n  firewatch act ${o.action} --incident ${stored.incident.id} --host ${o.host}${escapeTerminal(params)}\n`);
  }
}

async function approve(io: ActIo, approvalId: string | undefined, f: CommonFlags): Promise<void> {
  if (!approvalId) throw new FirewatchError("usage", "act approve needs the approval id the requester was given");
  const s = await openSession(io, f);
  try {
    const pending = decodeApproval(await s.store.getRecord(APPROVAL_NS, approvalId));
    if (pending) {
      say(io, f, planText(pending.plan, [["requested", `by ${pending.plan.requestedBy}, approve until ${formatIso(pending.expiresAt)}`]]));
      await confirm(io, f, "Approve it?");
    }
    const me = osActor();
    const d = await s.kit.guard.approve({ approvalId, requester: requester() });
    if (d.kind === "refused") return refused(io, f, d);
    if (d.kind !== "allowed") return;
    const waiting = await s.store.takeRecord(WAIT_NS, approvalId);
    if (waiting) {
      await s.store.putRecord(HANDOFF_NS, approvalId, { grant: d.grant }, 5 * 60_000);
      return result(io, f, { status: "approved", approvalId, by: me, runBy: "requester" }, `approved by ${me}; the requester's waiting firewatch runs it\n`, ACT_EXIT.done);
    }
    say(io, f, `approved by ${me}; the requester is not waiting, so running it here\n`);
    await run(io, s, f, d.grant, me);
  } finally {
    await s.close();
  }
}

function common(cmd: Command): Command {
  return cmd
    .option("--config <file>", "firewatch.yaml (hosts, store, guard); default: defaults plus FIREWATCH_* variables")
    .option("--store <spec>", "file:DIR or redis://HOST:PORT (default: store.url of the config)")
    .option("--namespace <ns>", "Redis key namespace of the store", "firewatch")
    .option("-y, --yes", "do not ask for confirmation (needed when stdin is not a terminal)")
    .addOption(new Option("--format <format>", "output format of the outcome").choices(["text", "json"]).default("text"));
}

/** Registers `act` on the program. */
export function registerAct(program: Command, setExitCode: (code: number) => void, io: ActIo = defaultIo(setExitCode)): void {
  common(program.command("act").argument("<action>", `${Object.keys(ACTIONS).join(" | ")} | approve | offers`).argument("[approvalId]", "with `approve`: the id the requester was given"))
    .description("Run a remediation on an incident through the guard, as the local user (a second user approves destructive ones)")
    .option("--incident <id>", "the incident (fw-... or fingerprint) the action fixes")
    .option("--param <key=value>", "set or override a parameter (validated by the guard like any other); repeatable", (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option("--host <name>", "configured host to act on (default: the incident's host)")
    .option("--dry-run", "show the command, host and precondition; run nothing, need no approval")
    .option("--no-wait", "after requesting approval, exit (3) instead of waiting; the approver's firewatch then runs it")
    .option("--jobs-redis <url>", "clean_failed_jobs: Redis holding the BullMQ queues (default: $FIREWATCH_JOBS_REDIS)")
    .addHelpText("after", `
Examples:
  firewatch act kill_port_owner --incident fw-1a2b3c4d --dry-run
  firewatch act kill_port_owner --incident fw-1a2b3c4d --config /etc/firewatch.yaml
  firewatch act offers --incident fw-1a2b3c4d      (what its probe results allow, as commands)
  firewatch act approve 5f0c2e9a41d7b3c8e6a1      (run by a second user)

The user is the OS account running the command. Destructive actions print an approval id and wait for a second
user's \`firewatch act approve ID\`. Every decision and outcome is in \`firewatch audit\`.
Exit codes: 0 done (or dry run shown, or approved), 1 refused or not done, 2 usage or config error, 3 waiting for approval`)
    .action(async (what: string, approvalId: string | undefined, f: RequestFlags) => {
      if (what === "approve") return approve(io, approvalId, f);
      if (what === "offers") return offers(io, f);
      if (approvalId !== undefined) throw new FirewatchError("usage", `unexpected argument ${JSON.stringify(approvalId)}`);
      return request(io, what, f);
    });
}
