// The commander program: registers every command and turns errors into one line on stderr and an exit code.
import { Command, CommanderError } from "commander";
import { isFirewatchError } from "../errors.js";
import { EXIT } from "./exit-codes.js";
import { firewatchVersion } from "../report/version.js";

type Register = (program: Command, setExitCode: (code: number) => void) => void;

/**
 * Each command's module, loaded only when that command runs (or for help): the pipeline, the store's Redis
 * client and Slack's SDK cost hundreds of milliseconds to import, which `scan` and `--version` should not pay.
 */
const COMMANDS: Readonly<Record<string, () => Promise<Register>>> = {
  analyze: async () => (await import("./analyze.js")).registerAnalyze,
  scan: async () => (await import("./scan.js")).registerScan,
  rules: async () => {
    const { registerRules } = await import("./rules.js");
    return (program, setExitCode) => registerRules(program, { setExitCode });
  },
  jobs: async () => {
    const [{ registerJobs }, { systemClock }] = await Promise.all([import("./jobs.js"), import("../time.js")]);
    return (program, setExitCode) => registerJobs(program, { stdout: process.stdout, env: process.env, clock: systemClock, setExitCode });
  },
  bot: async () => {
    const { registerBot } = await import("./bot.js");
    return (program) => registerBot(program);
  },
  config: async () => {
    const { registerConfig } = await import("./config.js");
    return (program) => registerConfig(program);
  },
  watch: async () => (await import("./watch.js")).registerWatch,
  incidents: async () => {
    const { registerIncidents } = await import("./incidents.js");
    return (program) => registerIncidents(program);
  },
  act: async () => {
    const { registerAct } = await import("./act.js");
    return (program, setExitCode) => registerAct(program, setExitCode);
  },
  probe: async () => {
    const { registerProbe } = await import("./probe.js");
    return (program, setExitCode) => registerProbe(program, setExitCode);
  },
  audit: async () => {
    const { registerAudit } = await import("./audit.js");
    return (program) => registerAudit(program);
  },
  status: async () => {
    const { registerStatus } = await import("./status.js");
    return (program) => registerStatus(program);
  },
};
/** Commands registered by another command's module. */
const ALIASES: Readonly<Record<string, string>> = { report: "incidents" };

/** The subcommand argv names (the first word that is not an option), if it is one we know. */
function requestedCommand(argv: readonly string[]): string | undefined {
  const word = argv.slice(2).find((a) => !a.startsWith("-"));
  if (word === undefined) return undefined;
  const name = ALIASES[word] ?? word;
  return name in COMMANDS ? name : undefined;
}

export async function runCli(argv: readonly string[]): Promise<number> {
  let code: number = EXIT.ok;
  const setExitCode = (c: number) => {
    code = c;
  };
  const program = new Command("firewatch")
    .description("Reads the logs, recognises the failure, writes the incident report.")
    .version(firewatchVersion() ?? "unknown", "-V, --version")
    .option("--debug", "print stack traces and debug logs to stderr")
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  const only = requestedCommand(argv);
  const versionOnly = only === undefined && (argv.includes("-V") || argv.includes("--version"));
  for (const [name, load] of Object.entries(COMMANDS)) {
    if (!versionOnly && (only === undefined || only === name)) (await load())(program, setExitCode);
  }
  try {
    await program.parseAsync(argv as string[]);
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    const debug = program.opts<{ debug?: boolean }>().debug === true || argv.includes("--debug");
    if (isFirewatchError(e)) {
      process.stderr.write(`firewatch: ${e.message}\n`);
      if (debug && e.stack) process.stderr.write(`${e.stack}\n`);
      return e.code === "internal" ? EXIT.internal : EXIT.usage;
    }
    process.stderr.write(`firewatch: internal error: ${e instanceof Error ? e.message : String(e)}\n`);
    if (debug && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
    else process.stderr.write("  hint: run again with --debug for the stack trace\n");
    return EXIT.internal;
  }
  return code;
}
