// Runs `firewatch bot` in its own process: args STORE API_URL [NAMESPACE]; STORE is a directory (file store) or a
// redis:// URL. Prints "ready PORT" when it listens.
import { Command } from "commander";
import { registerBot } from "../../../src/cli/bot.js";
import { systemClock } from "../../../src/time.js";

const [store = "", apiUrl, namespace] = process.argv.slice(2);
const env = {
  ...process.env,
  FIREWATCH_SLACK__BOT_TOKEN: "xoxb-test-token",
  FIREWATCH_SLACK__SIGNING_SECRET: "restart-signing-secret",
  FIREWATCH_SLACK__CHANNEL: "C0ONCALL",
  FIREWATCH_SLACK__API_URL: apiUrl ?? "",
  FIREWATCH_SLACK__PORT: "0",
};
const spec = /^rediss?:\/\//.test(store) ? store : `file:${store}`;
const program = new Command("firewatch").exitOverride();
registerBot(program, { env, stderr: process.stderr, clock: systemClock, onReady: (port) => console.log(`ready ${String(port)}`) });
await program.parseAsync(["node", "firewatch", "bot", "--store", spec, "--poll", "1s", ...(namespace ? ["--namespace", namespace] : [])]);
