import { execFile } from "node:child_process";
import { promisify } from "node:util";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { quoteArg, quoteArgv } from "../../../src/hosts/index.js";

const run = promisify(execFile);

/** What /bin/sh makes of a command line: each argument printed between markers. */
async function shellArgs(line: string): Promise<string[]> {
  const { stdout } = await run("/bin/sh", ["-c", `printf '<%s>\\0' ${line}`]);
  return stdout.split("\0").filter((_, i, a) => i < a.length - 1).map((s) => s.slice(1, -1));
}

describe("quoteArgv", () => {
  test("hostile values stay literal arguments", async () => {
    const argv = ["$(id)", "; rm -rf /", "`whoami`", "a\nb", "it's", "", "*", "$HOME", "\\", "'", "''", "-n", "\t x "];
    expect(await shellArgs(quoteArgv(argv))).toEqual(argv);
  });

  test("quotes a single quote by closing, escaping and reopening", () => {
    expect(quoteArg("it's")).toBe(`'it'\\''s'`);
    expect(quoteArg("")).toBe("''");
  });

  test("any argv without NUL survives /bin/sh unchanged", async () => {
    const arg = fc.string({ unit: "binary", maxLength: 40 }).map((s) => s.replaceAll("\0", ""));
    await fc.assert(
      fc.asyncProperty(fc.array(arg, { minLength: 1, maxLength: 6 }), async (argv) => {
        expect(await shellArgs(quoteArgv(argv))).toEqual(argv);
      }),
      { numRuns: 150 },
    );
  });
});
