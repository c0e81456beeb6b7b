// Input errors end as one line and exit 2, never "internal error": an invalid bot token, a YAML alias bomb in the
// config or a rule file, an oversized rule file.
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { SlackConfigSchema, startSlack } from "../../../src/bot/index.js";
import { loadConfig } from "../../../src/config/index.js";
import { loadRules, MAX_RULE_FILE_BYTES } from "../../../src/rules/index.js";
import { FileStore } from "../../../src/store/index.js";
import { systemClock } from "../../../src/time.js";
import { startFakeSlack, type FakeSlack } from "../../harness/fake-slack.js";
import { makeTempDir } from "../../harness/program.js";

let slack: FakeSlack;
let dir: { path: string; remove(): Promise<void> };
beforeAll(async () => {
  slack = await startFakeSlack();
  dir = await makeTempDir("bad-input");
});
afterAll(async () => {
  await slack.close();
  await dir.remove();
});

/** Nine levels of nine aliases: 9^9 nodes once expanded. */
function aliasBomb(): string {
  const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  let prev = "a";
  for (const n of "bcdefghi") {
    lines.push(`${n}: &${n} [${Array.from({ length: 9 }, () => `*${prev}`).join(",")}]`);
    prev = n;
  }
  return `${lines.join("\n")}\n`;
}

describe("input errors are exit-2 errors with one line", () => {
  test("Slack refusing the bot token is config_invalid, naming the variable", async () => {
    const store = await FileStore.open(path.join(dir.path, "state"), { clock: systemClock });
    try {
      const config = SlackConfigSchema.parse({ botToken: "xoxb-not-the-right-one", signingSecret: "a-signing-secret", port: 0, apiUrl: slack.apiUrl, routing: { channel: "C0ONCALL" } });
      await expect(startSlack(config, { store, clock: systemClock, log: pino({ level: "silent" }), rules: () => Promise.resolve(new Map()) })).rejects.toMatchObject({
        code: "config_invalid",
        message: expect.stringMatching(/^Slack refused the bot token \(invalid_auth\)/),
      });
    } finally {
      await store.close();
    }
  });

  test("a YAML alias bomb in firewatch.yaml or a rule file is refused, not expanded", async () => {
    const cfg = path.join(dir.path, "firewatch.yaml");
    await writeFile(cfg, aliasBomb());
    await expect(loadConfig({ file: cfg, env: {} })).rejects.toMatchObject({ code: "config_invalid", message: expect.stringContaining("not usable YAML") });
    const rules = path.join(dir.path, "rules");
    await mkdir(rules);
    await writeFile(path.join(rules, "bomb.yaml"), aliasBomb());
    await expect(loadRules({ dirs: [rules] })).rejects.toMatchObject({ code: "rule_invalid", message: expect.stringContaining("not usable YAML") });
  });

  test("a rule file over the cap is refused before it is read", async () => {
    const rules = path.join(dir.path, "big");
    await mkdir(rules);
    await writeFile(path.join(rules, "big.yaml"), `# ${"x".repeat(MAX_RULE_FILE_BYTES)}\n`);
    await expect(loadRules({ dirs: [rules] })).rejects.toMatchObject({ code: "rule_invalid", message: expect.stringContaining(`a rule file holds at most ${MAX_RULE_FILE_BYTES} bytes`) });
  });
});
