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
  const config = program.command("config").description("Write, show or check firewatch.yaml (with FIREWATCH_* overrides applied)")
    .addHelpText("after", "\nExamples:\n  firewatch config init && firewatch config check --config firewatch.yaml\n\nExit codes: see each subcommand's --help");
  config
    .command("show")
    .description("Print the effective config as YAML, secrets as ***, durations as written (15m): it pastes back")
    .addHelpText("after", "\nExamples:\n  firewatch config show --config /etc/firewatch/firewatch.yaml\n  FIREWATCH_STORE__URL=redis://127.0.0.1:6379 firewatch config show\n\nExit codes: 0 printed, 2 invalid config (every problem listed)")
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
    .description("Validate the config: exit 0 when valid, 2 with every problem as file:line field: problem when not")
    .addHelpText("after", "\nExamples:\n  firewatch config check --config /etc/firewatch/firewatch.yaml\n  FIREWATCH_CONFIG=firewatch.yaml firewatch config check\n\nExit codes: 0 valid, 2 invalid (every problem listed, misspelt keys with the key meant)")
    .option("--config <file>", "firewatch.yaml to read (default $FIREWATCH_CONFIG)")
    .action(async (o: { config?: string }) => {
      const { loadConfig } = await import("../config/index.js");
      const file = configFile(o.config, io.env);
      const c = await loadConfig({ file, env: io.env });
      io.stdout.write(`${file ?? "(no config file)"}: valid (${counted(Object.keys(c.hosts).length, "host")}, ${counted(c.sources.length, "source")}, slack ${c.slack ? "on" : "off"})\n`);
      // A mistyped path is valid YAML but watches nothing: say so (files on this machine only; remote ones are seen by watch).
      const { existsSync } = await import("node:fs");
      for (const s of c.sources) {
        if (s.kind !== "file" || s.host !== "local") continue;
        for (const p of s.paths) if (!existsSync(p)) io.stdout.write(`warning: source ${s.name ?? `file:${s.host}`}: ${p} does not exist (it is read once it appears)\n`);
      }
    });
}
