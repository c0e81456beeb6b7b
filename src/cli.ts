#!/usr/bin/env node
// firewatch's command-line entry: builds the commander program from one module per command and maps errors to exit codes.
import { runCli } from "./cli/program.js";

// `firewatch ... | head` closes the pipe early: that is the reader's choice, not an error worth a stack trace.
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw e;
});

process.exitCode = await runCli(process.argv);
