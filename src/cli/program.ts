// The commander program: registers every command and turns errors into one line on stderr and an exit code.
import { Command, CommanderError } from "commander";
import { isFirewatchError } from "../errors.js";
import { registerAnalyze } from "./analyze.js";
import { EXIT } from "./exit-codes.js";
import { registerIncidents } from "./incidents.js";
import { registerRules } from "./rules.js";
import { registerScan } from "./scan.js";
import { firewatchVersion } from "../report/version.js";

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
  registerAnalyze(program, setExitCode);
  registerScan(program);
  registerRules(program, { setExitCode });
  registerIncidents(program);
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
