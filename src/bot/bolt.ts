// Loads @slack/bolt on first use: about 35 MiB of RSS and a few hundred ms that a run without Slack never pays.
import { createRequire } from "node:module";

// A require, not an import, so that the bot floor's index can be loaded (the config schema composes SlackConfigSchema,
// the daemon wires startSlack) without Bolt; the first App, receiver or WebClient made loads it.
const require = createRequire(import.meta.url);
/** The @slack/bolt module, loaded on the first call. */
export const bolt = (): typeof import("@slack/bolt") => require("@slack/bolt") as typeof import("@slack/bolt");
