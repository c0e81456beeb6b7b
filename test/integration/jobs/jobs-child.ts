// `firewatch jobs` as its own process, with registerJobs' default io (stdout, process.exitCode): argv after the script.
import { Command } from "commander";
import { registerJobs } from "../../../src/cli/jobs.js";

const program = new Command("firewatch");
registerJobs(program);
await program.parseAsync(process.argv);
