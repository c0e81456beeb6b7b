// README's promises about the CLI, checked against the program: every command has --help with examples and exit codes,
// every command is in README's command table, and every exit code a command names is in README's exit-code table.
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { describe, expect, test } from "vitest";
import { fullProgram } from "../../../src/cli/program.js";

const program = await fullProgram();
const README = readFileSync("README.md", "utf8");

function helpOf(cmd: Command): string {
  let text = "";
  cmd.configureOutput({ writeOut: (t) => { text += t; }, writeErr: (t) => { text += t; } });
  cmd.outputHelp();
  return text;
}

function commands(cmd: Command, path: string[] = []): { path: string; help: string }[] {
  return cmd.commands.flatMap((c) => [{ path: [...path, c.name()].join(" "), help: helpOf(c) }, ...commands(c, [...path, c.name()])]);
}

const all = commands(program);

describe("the CLI's help", () => {
  test("every command and subcommand has examples and exit codes in its --help", () => {
    const lacking = all.filter((c) => !/\nExamples:\n {2}\S/.test(c.help) || !/\nExit codes: /.test(c.help)).map((c) => c.path);
    expect(lacking).toEqual([]);
  });

  test("every top-level command is in README's command table", () => {
    const table = README.slice(README.indexOf("## Commands"), README.indexOf("### Exit codes"));
    const missing = program.commands.map((c) => c.name()).filter((name) => !table.includes(`\`firewatch ${name}`));
    expect(missing).toEqual([]);
  });

  test("every exit code a command's help names is in README's exit-code table", () => {
    const table = README.slice(README.indexOf("### Exit codes"), README.indexOf("### JSON output"));
    const documented = new Set([...table.matchAll(/^\| (\d+) \|/gm)].map((m) => Number(m[1])));
    const named = new Set(all.flatMap((c) => [...(/\nExit codes: (.*)/.exec(c.help)?.[1] ?? "").matchAll(/(?:^|, )(\d+) /g)].map((m) => Number(m[1]))));
    expect([...named].filter((code) => !documented.has(code))).toEqual([]);
    expect([...named].sort()).toEqual(expect.arrayContaining([0, 1, 2, 3]));
  });
});
