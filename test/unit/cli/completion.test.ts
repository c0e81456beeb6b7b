// `firewatch completion bash`: the script completes commands, subcommands and options, as bash runs it.
import { spawnSync } from "node:child_process";
import { describe, expect, test } from "vitest";
import { completionScript } from "../../../src/cli/completion.js";
import { fullProgram } from "../../../src/cli/program.js";

const program = await fullProgram();
const script = completionScript(program, "bash");

/** What bash offers for the words typed so far (the last one being completed). */
function complete(...words: string[]): string[] {
  const line = ["firewatch", ...words].map((w) => `'${w}'`).join(" ");
  const r = spawnSync("bash", ["-c", `${script}\nCOMP_WORDS=(${line}); COMP_CWORD=${words.length}; _firewatch; printf '%s\\n' "\${COMPREPLY[@]}"`], { encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.split("\n").filter(Boolean);
}

describe("shell completion", () => {
  test("every command at the top, subcommands below, options of the command being typed", () => {
    expect(complete("")).toEqual(expect.arrayContaining(["analyze", "rules", "incidents", "audit", "config", "completion", "--version"]));
    expect(complete("rules", "l")).toEqual(["list", "lint"]);
    expect(complete("config", "")).toEqual(expect.arrayContaining(["init", "check", "show"]));
    expect(complete("analyze", "--fo")).toEqual(["--format", "--follow"]);
    expect(complete("incidents", "silence", "a")).toEqual(["add"]);
    expect(complete("incidents", "silence", "add", "--r")).toEqual(expect.arrayContaining(["--rule", "--rules", "--reason"]));
  });

  test("after a command's options a path is left to the shell's file completion", () => {
    expect(complete("analyze", "fixtures/")).toEqual([]);
    expect(script).toContain("complete -o default -F _firewatch firewatch");
  });

  test("zsh gets the same function through bashcompinit", () => {
    expect(completionScript(program, "zsh")).toMatch(/^autoload -U \+X bashcompinit && bashcompinit\n# firewatch completion/);
  });
});
