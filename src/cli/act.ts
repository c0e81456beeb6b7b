// `firewatch act ACTION --incident ID` and `firewatch act approve ID`: the guard from a terminal, as the local OS user.
import { Command, Option } from "commander";
import { ACTIONS } from "../actions/index.js";
import { FirewatchError } from "../errors.js";
import { approve } from "./act-approve.js";
import { offers } from "./act-offers.js";
import { request, type RequestFlags } from "./act-run.js";
import { defaultIo, type ActIo } from "./act-session.js";

export { ACT_EXIT } from "./act-output.js";
export { type ActIo } from "./act-session.js";
export { localActor } from "./actor.js";

function common(cmd: Command): Command {
  return cmd
    .option("--config <file>", "firewatch.yaml (hosts, store, guard); default: defaults plus FIREWATCH_* variables")
    .option("--store <spec>", "sqlite:FILE, file:DIR or redis://HOST:PORT (default: store.url of the config)")
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
    .option("--jobs-redis <url>", "clean_failed_jobs: Redis holding the BullMQ queues (default: $FIREWATCH_JOBS_REDIS, else the bullmq sources of the config)")
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
