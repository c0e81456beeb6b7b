// What `firewatch act` shows: the plan, the confirmation question, outcomes and refusals, and the exit code they set.
import { createInterface } from "node:readline/promises";
import { ACTIONS, describeCommand, type Decision, type ExecutionOutcome, type Plan } from "../actions/index.js";
import { FirewatchError } from "../errors.js";
import { escapeTerminal } from "../report/index.js";
import { formatDuration } from "../time.js";
import { EXIT } from "./exit-codes.js";
import type { ActIo, CommonFlags } from "./act-session.js";

/** Exit codes of `act`: scripts tell "done" from "refused" from "waiting for the second person". */
export const ACT_EXIT = { done: EXIT.ok, notDone: 1, usage: EXIT.usage, pending: 3 } as const;

/** Text for people: stdout, or stderr with --format json so that stdout stays one JSON object. */
export function say(io: ActIo, f: Pick<CommonFlags, "format">, text: string): void {
  if (f.format === "json") (io.stderr ?? process.stderr).write(text);
  else io.stdout.write(text);
}

/** The result line of a run that did not get to execute: a refusal, or waiting for the second person. */
export function result(io: ActIo, f: Pick<CommonFlags, "format">, json: Readonly<Record<string, unknown>>, text: string, code: number): void {
  if (f.format === "json") io.stdout.write(`${JSON.stringify(json)}\n`);
  else io.stdout.write(text);
  io.setExitCode(code);
}

export const line = (label: string, value: string) => `  ${label.padEnd(10)}${escapeTerminal(value)}\n`;

export function planText(plan: Pick<Plan, "action" | "host" | "command" | "incident" | "destructive" | "params">, extra: readonly [string, string][] = []): string {
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

/** Resolves on "y"/"yes" (or --yes); anything else, or no terminal to ask on, is a usage error and nothing runs. */
export async function confirm(io: ActIo, f: CommonFlags, question: string): Promise<void> {
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

export function report(io: ActIo, f: CommonFlags, o: ExecutionOutcome): void {
  if (f.format === "json") io.stdout.write(`${JSON.stringify(o)}\n`);
  else io.stdout.write(outcomeText(o));
  io.setExitCode(o.status === "done" || o.status === "dry_run" ? ACT_EXIT.done : ACT_EXIT.notDone);
}

export function refused(io: ActIo, f: CommonFlags, d: Extract<Decision, { kind: "refused" }>): void {
  result(io, f, { status: "refused", reason: d.reason, detail: d.detail }, `refused (${d.reason}): ${escapeTerminal(d.detail)}\nnothing ran; the refusal is in the audit log (firewatch audit)\n`, ACT_EXIT.notDone);
}
