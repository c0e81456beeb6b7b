// The commander program: registers every command and turns errors into one line on stderr and an exit code.
import { Command, CommanderError } from "commander";
import { FirewatchErrors, isFirewatchError } from "../errors.js";
import { COMMAND_INDEX } from "./command-index.js";
import { EXIT } from "./exit-codes.js";
import { systemErrorLine } from "./system-error.js";

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
  actuator: async () => (await import("./actuator.js")).registerActuator,
  doctor: async () => (await import("./doctor.js")).registerDoctor,
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
  completion: async () => {
    const { registerCompletion } = await import("./completion.js");
    return (program) => registerCompletion(program, fullProgram);
  },
};

/** The program with every command registered (for `completion`, which must know them all). */
export async function fullProgram(): Promise<Command> {
  const program = new Command("firewatch").version("", "-V, --version").option("--debug", "print stack traces and debug logs to stderr");
  for (const [name, load] of Object.entries(COMMANDS)) if (name !== "completion") (await load())(program, () => undefined);
  const { registerCompletion } = await import("./completion.js");
  registerCompletion(program, fullProgram);
  return program;
}
/** Commands registered by another command's module. */
const ALIASES: Readonly<Record<string, string>> = { report: "incidents" };

/** The subcommand argv names (the first word that is not an option; after `help`, the next), if it is one we know. */
function requestedCommand(argv: readonly string[]): string | undefined {
  const words = argv.slice(2).filter((a) => !a.startsWith("-"));
  const word = words[0] === "help" ? words[1] : words[0];
  if (word === undefined) return undefined;
  const name = ALIASES[word] ?? word;
  return name in COMMANDS ? name : undefined;
}

/** Each command as a name and summary only: enough for the command list of --help and "did you mean" on a typo. */
function registerIndex(program: Command): void {
  const terms = new Map(COMMAND_INDEX.map(([name, term]) => [name, term]));
  const plain = program.createHelp();
  program.configureHelp({ subcommandTerm: (cmd) => terms.get(cmd.name()) ?? plain.subcommandTerm(cmd) });
  for (const [name, , summary] of COMMAND_INDEX) program.command(name).summary(summary);
}

export async function runCli(argv: readonly string[]): Promise<number> {
  let code: number = EXIT.ok;
  const setExitCode = (c: number) => {
    code = c;
  };
  // The commit costs a file read (or a git call from a checkout), and its module loads zod: only when asked for.
  const version = argv.includes("-V") || argv.includes("--version") ? (await import("./version.js")).versionLine() : "";
  const program = new Command("firewatch")
    .description("Reads the logs, recognises the failure, writes the incident report.")
    .version(version, "-V, --version")
    .option("--debug", "print stack traces and debug logs to stderr")
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  const only = requestedCommand(argv);
  const versionOnly = only === undefined && (argv.includes("-V") || argv.includes("--version"));
  if (only !== undefined) await (COMMANDS[only] ?? (() => Promise.reject(new Error(`no module for ${only}`))))().then((register) => register(program, setExitCode));
  // No command named (--help, a typo): the commands are listed from the index, none of their modules loaded, so
  // help does not pay for Slack's SDK, the Redis and SQLite clients or the pipeline.
  else if (!versionOnly) registerIndex(program);
  try {
    await program.parseAsync(argv as string[]);
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    const debug = program.opts<{ debug?: boolean }>().debug === true || argv.includes("--debug");
    if (e instanceof FirewatchErrors) {
      for (const p of e.problems) process.stderr.write(`firewatch: ${p.message}\n`);
      process.stderr.write(`firewatch: ${e.problems.length} problems\n`);
      return EXIT.usage;
    }
    if (isFirewatchError(e)) {
      process.stderr.write(`firewatch: ${e.message}\n`);
      if (debug && e.stack) process.stderr.write(`${e.stack}\n`);
      return e.code === "internal" ? EXIT.internal : EXIT.usage;
    }
    const system = systemErrorLine(e);
    if (system !== undefined) {
      process.stderr.write(`firewatch: ${system}\n  hint: check the path and that this user may use it\n`);
      if (debug && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
      return EXIT.usage;
    }
    process.stderr.write(`firewatch: internal error: ${e instanceof Error ? e.message : String(e)}\n`);
    if (debug && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
    else process.stderr.write("  hint: run again with --debug for the stack trace\n");
    return EXIT.internal;
  }
  return code;
}
