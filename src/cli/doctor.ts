// `firewatch doctor`: per configured host, which probes and actions work with the rights firewatch has there, and
// what to grant for the rest; `--sudoers` / `--polkit` print the rules that grant exactly the configured restarts.
import { Command, Option } from "commander";
import { actionReadiness, actuatorLookup, dockerHostOf, polkitRules, readHostRights, sudoersRules, type ActionReadiness, type HostRights } from "../actions/index.js";
import { loadConfig, type FirewatchConfig } from "../config/index.js";
import { FirewatchError } from "../errors.js";
import { lazyHosts } from "../hosts/index.js";
import { escapeTerminal } from "../report/index.js";
import { systemClock } from "../time.js";
import { EXIT } from "./exit-codes.js";

interface DoctorFlags {
  config?: string;
  host?: string;
  user?: string;
  sudoers?: boolean;
  polkit?: boolean;
  format: "text" | "json";
}

/** Exit codes: 0 every enabled action can run where it is enabled, 1 some cannot, 2 usage or config. */
export const DOCTOR_EXIT = { ok: EXIT.ok, cannotRun: 1, usage: EXIT.usage } as const;

function hostNames(config: FirewatchConfig, only: string | undefined): string[] {
  const names = Object.keys(config.hosts);
  if (only === undefined) return names;
  if (!names.includes(only)) throw new FirewatchError("usage", `no host ${JSON.stringify(only)} in firewatch.yaml (known: ${names.join(", ") || "none"})`);
  return [only];
}

const mark = (ok: boolean) => (ok ? "✅" : "❌");

/** What was read on the host, as the lines an operator checks first. */
function rightsLines(r: HostRights): string[] {
  if (r.unreachable !== undefined) return [`  ❌ reachable     no: ${escapeTerminal(r.unreachable)}`];
  const l = r.listeners;
  return [
    `  user            ${r.user ?? "?"} (uid ${r.uid ?? "?"})`,
    `  ${mark(r.uid === 0 || (l !== undefined && l.hidden === 0))} port owners    ${l === undefined ? "ss -ltnp did not run" : `ss -ltnp shows the process of ${l.total - l.hidden} of ${l.total} listeners`}`,
    `  ${mark(r.canSignal)} signal        ${r.canSignal ? "may signal other users' processes" : "only its own processes (no CAP_KILL)"}`,
    `  ${mark(r.docker)} docker        ${r.docker ? "the Docker daemon answers" : "no access to a Docker daemon"}`,
    `  ${mark(r.sudo !== undefined)} sudo -n -l    ${r.sudo === undefined ? "no rules without a password" : "lists rules"}`,
    ...(r.actuator === undefined ? [] : [`  ${mark(r.actuator.ok)} actuator      ${r.actuator.ok ? `answers as uid ${r.actuator.uid}` : escapeTerminal(r.actuator.why)}`]),
  ];
}

const actionLine = (a: ActionReadiness) => `  ${mark(a.ok)} ${a.action.padEnd(18)} ${escapeTerminal(a.how)}${a.grant === undefined ? "" : `\n       grant: ${escapeTerminal(a.grant)}`}`;

async function doctor(f: DoctorFlags, out: { write(s: string): unknown }, setExitCode: (c: number) => void): Promise<void> {
  const config = await loadConfig({ file: f.config, env: process.env });
  const source = f.config ?? "(no config file)";
  if (f.sudoers === true || f.polkit === true) {
    if (f.host === undefined || f.user === undefined) throw new FirewatchError("usage", "--sudoers and --polkit need --host NAME and --user USER (the user firewatch runs or logs in as there)");
    hostNames(config, f.host);
    const target = { host: f.host, user: f.user, dockerHost: dockerHostOf(config)(f.host) };
    const r = f.sudoers === true ? sudoersRules(config.guard, target, source) : polkitRules(config.guard, target, source);
    out.write(r.text);
    return;
  }
  const hosts = lazyHosts(config.hosts, { clock: systemClock });
  // Each host's actuator: this machine's socket, or the host's own over its SSH link (guard.actuator.remote).
  const actuatorOf = actuatorLookup(config.guard.actuator, (n) => hosts.host(n));
  const report: { host: string; rights: HostRights; actions: ActionReadiness[] }[] = [];
  try {
    for (const name of hostNames(config, f.host)) {
      const host = hosts.host(name);
      if (!host) continue;
      const rights = await readHostRights(host, { actuator: actuatorOf(name), dockerHost: dockerHostOf(config)(name) });
      report.push({ host: name, rights, actions: actionReadiness(config.guard, name, rights) });
    }
  } finally {
    await hosts.close();
  }
  const failing = report.flatMap((h) => h.actions.filter((x) => !x.ok));
  if (f.format === "json") out.write(`${JSON.stringify({ ok: failing.length === 0, hosts: report })}\n`);
  else {
    for (const h of report) {
      out.write(`host ${escapeTerminal(h.host)}\n${rightsLines(h.rights).join("\n")}\n`);
      out.write(h.actions.length === 0 ? "  no action is enabled for this host\n" : `${h.actions.map(actionLine).join("\n")}\n`);
    }
    out.write(failing.length === 0 ? "every enabled action can run where it is enabled\n" : `${failing.length} enabled action${failing.length === 1 ? "" : "s"} cannot run: the buttons are not offered there (docs/operations.md)\n`);
  }
  setExitCode(failing.length === 0 ? DOCTOR_EXIT.ok : DOCTOR_EXIT.cannotRun);
}

export function registerDoctor(program: Command, setExitCode: (code: number) => void): void {
  program
    .command("doctor")
    .summary("Say per host which probes and actions work with firewatch's rights there, and what to grant")
    .option("--config <file>", "firewatch.yaml to read")
    .option("--host <name>", "only this host of firewatch.yaml")
    .option("--sudoers", "print sudoers rules for exactly the configured restart targets of --host, for --user")
    .option("--polkit", "print a polkit rules file for exactly the configured units of --host, for --user")
    .option("--user <name>", "with --sudoers/--polkit: the user firewatch runs or logs in as on that host")
    .addOption(new Option("--format <format>", "output format").choices(["text", "json"]).default("text"))
    .addHelpText(
      "after",
      `
Reads each host with harmless commands (id, /proc/self/status, ss -ltnp, docker version, sudo -n -l) and
asks each host's actuator (guard.actuator, over SSH for its remote hosts) who it is; then says per enabled action whether it can run, how, or
what to grant. Nothing is changed.

Examples:
  firewatch doctor --config /etc/firewatch/firewatch.yaml
  firewatch doctor --config firewatch.yaml --sudoers --host web1 --user firewatch > firewatch.sudoers

Exit codes: 0 every enabled action can run, 1 some cannot (its button is not offered), 2 bad flags or config`,
    )
    .action(async (o: DoctorFlags) => {
      await doctor(o, process.stdout, setExitCode);
    });
}
