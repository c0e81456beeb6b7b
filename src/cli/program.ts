// The commander program: registers every command and turns errors into one line on stderr and an exit code.
import { Command, CommanderError } from "commander";
import { isFirewatchError } from "../errors.js";
import { EXIT } from "./exit-codes.js";

export async function runCli(argv: readonly string[]): Promise<number> {
  const program = new Command("firewatch")
    .description("Reads the logs, recognises the failure, writes the incident report.")
    .option("--debug", "print stack traces and debug logs to stderr")
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  let code: number = EXIT.ok;
  const setCode = (c: number) => { code = c; };
  void setCode;
  try {
    await program.parseAsync(argv as string[]);
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    const debug = program.opts<{ debug?: boolean }>().debug === true;
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
