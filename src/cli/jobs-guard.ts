// `firewatch jobs clean` without --dry-run: the removal goes through the guard as clean_failed_jobs, one queue at a time.
import { matchesAny } from "../actions/index.js";
import { FirewatchError } from "../errors.js";
import { escapeTerminal } from "../report/index.js";
import { formatIso } from "../time.js";
import { awaitHandoff } from "./act-handoff.js";
import { ACT_EXIT, refused, result, say } from "./act-output.js";
import { run } from "./act-run.js";
import { localActor } from "./actor.js";
import { openSession, requester, type ActIo } from "./act-session.js";

export interface GuardedCleanFlags {
  readonly config?: string | undefined;
  readonly store?: string | undefined;
  readonly namespace: string;
  /** The Redis of the queues, as `jobs` read them. */
  readonly redis: string;
  readonly prefix?: string | undefined;
  readonly completedDir?: string | undefined;
  readonly host?: string | undefined;
  readonly format: "text" | "json";
  /** false (--no-wait): a request that needs a second person returns at once. */
  readonly wait: boolean;
}

/** The audit entry's incident field for a clean asked from the command line: no incident, the queue it is about. */
export const jobsTarget = (queue: string) => `jobs:${queue}`;

/**
 * Asks the guard to run clean_failed_jobs on `queue` for the one category: the allow-lists of firewatch.yaml's
 * guard.actions.clean_failed_jobs (users, channel "cli", hosts, queues as targets, categories), the rate limit, the
 * audit with the real uid, and a second person's approval when the action is configured destructive. The guard's
 * executor then removes the category's failed jobs, each re-checked right before removal.
 */
export async function guardedClean(io: ActIo, f: GuardedCleanFlags, category: { readonly label: string; readonly ruleId: string }, queue: string): Promise<void> {
  const common = { ...(f.config === undefined ? {} : { config: f.config }), ...(f.store === undefined ? {} : { store: f.store }), namespace: f.namespace, format: f.format, yes: true };
  const s = await openSession(io, common, { url: f.redis, prefix: f.prefix, completedDir: f.completedDir, rules: () => Promise.resolve(new Set([category.ruleId])) });
  try {
    const host = f.host ?? "local";
    if (!(host in s.config.hosts)) {
      throw new FirewatchError("usage", `host ${JSON.stringify(host)} is not in the hosts of firewatch.yaml (known: ${Object.keys(s.config.hosts).join(", ") || "none"})`, { hint: "add it under hosts:, or pick one with --host" });
    }
    const policy = s.config.guard.actions.clean_failed_jobs;
    if (policy !== undefined && policy.categories.length > 0 && !matchesAny(policy.categories, category.label) && !matchesAny(policy.categories, category.ruleId)) {
      const detail = `category ${category.label} is not in guard.actions.clean_failed_jobs.categories (${policy.categories.join(", ")})`;
      await s.store.appendAudit({
        at: io.clock.now(), actor: localActor(), action: "action.refused", target: jobsTarget(queue),
        details: { action: "clean_failed_jobs", host, result: "refused", reason: "category_not_allowed", detail, params: JSON.stringify({ queue }) },
      });
      return refused(io, common, { kind: "refused", reason: "target_not_allowed", detail });
    }
    const token = s.kit.tokens.issueToken({ incident: jobsTarget(queue), action: "clean_failed_jobs", params: { queue }, host }, s.kit.config.tokenTtl);
    const d = await s.kit.guard.authorize({ token, requester: requester() });
    if (d.kind === "refused") return refused(io, common, d);
    if (d.kind === "allowed") return await run(io, s, common, d.grant, localActor());
    const requested = `approval ${d.approvalId} ${d.existing ? `already pending, requested by ${escapeTerminal(d.plan.requestedBy)}` : `requested by ${localActor()}`}: clean_failed_jobs is configured destructive; until ${formatIso(d.expiresAt)} a second person approves with:\n  firewatch act approve ${d.approvalId}\n`;
    const pending = { status: "pending", approvalId: d.approvalId, expiresAt: d.expiresAt };
    // Only this process holds the queue's connection: it waits and runs the clean once approved.
    if (!f.wait || !s.shared) {
      const why = f.wait ? "not waiting: a file store admits one process at a time, so nobody could approve while this waits; use the embedded database (sqlite:) or Redis as --store\n" : "not waiting (--no-wait): nothing was removed\n";
      return result(io, common, pending, requested + why, ACT_EXIT.pending);
    }
    say(io, common, `${requested}waiting for the approval (Ctrl-C stops waiting; nothing is removed then)\n`);
    const stop = new AbortController();
    const onInt = () => stop.abort();
    process.once("SIGINT", onInt);
    try {
      const grant = await awaitHandoff(io, s, d.approvalId, d.expiresAt, stop.signal);
      if (grant === undefined) return result(io, common, pending, stop.signal.aborted ? "stopped waiting; nothing was removed\n" : "no approval within the time limit; nothing was removed\n", ACT_EXIT.pending);
      say(io, common, "approved; removing\n");
      await run(io, s, common, grant, localActor());
    } finally {
      process.off("SIGINT", onInt);
    }
  } finally {
    await s.close();
  }
}
