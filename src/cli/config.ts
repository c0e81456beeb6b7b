// `firewatch config show` and `config check`: the effective firewatch.yaml (secrets masked), and whether it is valid.
import type { Command } from "commander";
import { counted } from "./words.js";

interface Io {
  readonly stdout: { write(s: string): unknown };
  readonly env: NodeJS.ProcessEnv;
}

const defaultIo: Io = { stdout: process.stdout, env: process.env };

/** The config file: --config, else $FIREWATCH_CONFIG, else none (defaults plus FIREWATCH_* variables). */
function configFile(flag: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  return flag ?? (env["FIREWATCH_CONFIG"] || undefined);
}

/** Registers `config show` and `config check`; an invalid config throws config_invalid (exit 2 in program.ts). */
export function registerConfig(program: Command, io: Io = defaultIo): void {
  const config = program.command("config").description("Show or check firewatch.yaml (with FIREWATCH_* overrides applied)");
  config
    .command("show")
    .description("Print the effective config as YAML, secrets as ***")
    .option("--config <file>", "firewatch.yaml to read (default $FIREWATCH_CONFIG)")
    .action(async (o: { config?: string }) => {
      const { loadConfig, showConfig } = await import("../config/index.js");
      io.stdout.write(showConfig(await loadConfig({ file: configFile(o.config, io.env), env: io.env })));
    });
  config
    .command("init")
    .description("Write a commented starting firewatch.yaml (this machine's syslog; journald and Docker ready to uncomment)")
    .option("--out <file>", "where to write it (- for stdout)", "firewatch.yaml")
    .option("--force", "replace the file if it exists")
    .addHelpText("after", "\nExamples:\n  firewatch config init\n  firewatch config init --out /etc/firewatch/firewatch.yaml\n\nExit codes: 0 written, 2 the file exists (without --force) or cannot be written")
    .action(async (o: { out: string; force?: boolean }) => {
      const { writeStarterConfig } = await import("./config-init.js");
      await writeStarterConfig(o.out, { force: o.force === true, stdout: io.stdout });
    });
  config
    .command("check")
    .description("Validate the config: exit 0 when valid, 2 with file:line field: problem when not")
    .option("--config <file>", "firewatch.yaml to read (default $FIREWATCH_CONFIG)")
    .action(async (o: { config?: string }) => {
      const { loadConfig } = await import("../config/index.js");
      const file = configFile(o.config, io.env);
      const c = await loadConfig({ file, env: io.env });
      io.stdout.write(`${file ?? "(no config file)"}: valid (${counted(Object.keys(c.hosts).length, "host")}, ${counted(c.sources.length, "source")}, slack ${c.slack ? "on" : "off"})\n`);
    });
}
