#!/usr/bin/env node
// firewatch's command-line entry: builds the commander program from one module per command and maps errors to exit codes.
import { runCli } from "./cli/program.js";

process.exitCode = await runCli(process.argv);
