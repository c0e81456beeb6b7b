#!/usr/bin/env -S node --max-old-space-size=512 --max-semi-space-size=4
// firewatch's command-line entry: builds the commander program from one module per command and maps errors to exit codes.
// The #! flags size V8's heap for a process whose live heap stays at 30-60 MiB (issue 18): by default V8 lets the old
// space grow to about four times what survived the last full collection, and the young generation to 32 MiB, so a
// catch-up of 10M lines peaked at 310 MiB of RSS. A 512 MiB ceiling keeps the growth factor near 1.4, and 4 MiB
// semi-spaces keep the young generation at 8 MiB: 146 MiB at 10M lines for `watch`, for ~10 % more CPU in collection.
// deploy/ starts node with the same flags; docs/performance.md has the figures.
import { runCli } from "./cli/program.js";

// `firewatch ... | head` closes the pipe early: that is the reader's choice, not an error worth a stack trace.
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw e;
});

process.exitCode = await runCli(process.argv);
