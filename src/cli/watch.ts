// `firewatch watch`: the daemon — follows the configured sources and keeps incidents, reports and Slack up to date.
import type { Command } from "commander";
import { systemClock } from "../time.js";
import { createLogger } from "./logger.js";

/** Registers `watch`; SIGTERM/SIGINT stop it cleanly (drain, final commit, exit 0); a bad config exits 2. */
export function registerWatch(program: Command): void {
  program
    .command("watch")
    .summary("Follow the configured journald, Docker and file sources and keep incidents up to date")
    .option("--config <file>", "firewatch.yaml to read (default $FIREWATCH_CONFIG)")
    .option("--store <spec>", "file:DIR or redis://HOST:PORT, over the config's store.url")
    .option("--once-idle", "a catch-up run: read journald and file sources to their end (docker ones until 2 s without a line), commit, exit")
    .addHelpText(
      "after",
      `
Checkpoints: a source's position is stored in the same atomic commit as the incidents its lines made,
so after kill -9 and a restart no line is lost and none is counted twice (docs/daemon.md).

Examples:
  firewatch watch --config /etc/firewatch/firewatch.yaml
  firewatch watch --config examples/watch-localhost.yaml --store file:/tmp/fw-state

Exit codes: 0 stopped by SIGTERM/SIGINT (after the final commit) or idle with --once-idle, 2 bad config or store`,
    )
    .action(async (o: { config?: string; store?: string; onceIdle?: boolean }, cmd: Command) => {
      const { runWatch } = await import("../daemon/watch.js");
      const debug = cmd.optsWithGlobals<{ debug?: boolean }>().debug === true;
      const log = createLogger({ debug });
      // A daemon's lifecycle (started, a source down, stopped) is what operators read: info, not only warnings.
      if (!debug) log.level = "info";
      const ctl = new AbortController();
      const stop = () => ctl.abort();
      process.once("SIGTERM", stop);
      process.once("SIGINT", stop);
      try {
        await runWatch(
          { config: o.config ?? (process.env["FIREWATCH_CONFIG"] || undefined), store: o.store, onceIdle: o.onceIdle === true },
          { env: process.env, stdout: process.stdout, log, clock: systemClock, signal: ctl.signal },
        );
      } finally {
        process.off("SIGTERM", stop);
        process.off("SIGINT", stop);
      }
    });
}
