// Escape sequences in log lines never reach a terminal raw: `rules test`, markdown on a TTY and text output show them
// as \xNN (a line could otherwise retitle the terminal, move the cursor or hide the lines after it).
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { printTest, runRulesTest } from "../../../src/cli/rules.js";
import { escapeTerminalDocument } from "../../../src/report/index.js";
import { scratchDir } from "../../harness/scratch-dir.js";

const ESC = "\u001b";
const HOSTILE = `listen EADDRINUSE: address already in use :::9003 ${ESC}]0;pwned${ESC}\\${ESC}[2J${ESC}[8m`;

describe("terminal escapes from logs", () => {
  test("rules test shows the matched line and its fields with \\x1b, no raw ESC", async () => {
    const dir = await scratchDir("esc");
    await writeFile(join(dir, "app.log"), `${HOSTILE}\n`);
    await writeFile(join(dir, "r.yaml"), "id: my_port\nmatch: 'address already in use :::(?<port>\\d+)(?<rest>.*)$'\n");
    const result = await runRulesTest("my_port", [join(dir, "app.log")], { dirs: [dir], maxShown: 10 });
    let out = "";
    printTest(result, { write: (s: string) => void (out += s) });
    expect(result.rules[0]?.matched).toBe(1);
    expect(out).not.toContain(ESC);
    expect(out).toContain("\\x1b]0;pwned");
  });

  test("a markdown document keeps its lines and tabs, loses its escape sequences", () => {
    const doc = `# Incident\n\n\`\`\`\n${HOSTILE}\n\tindented\n\`\`\`\n`;
    const shown = escapeTerminalDocument(doc);
    expect(shown).not.toContain(ESC);
    expect(shown.split("\n")).toHaveLength(doc.split("\n").length);
    expect(shown).toContain("\tindented");
  });
});
