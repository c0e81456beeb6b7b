import { readFile } from "node:fs/promises";
import { describe, expect, test } from "vitest";
import { parse } from "yaml";
import { z } from "zod";
import { SUBCOMMANDS } from "../../../src/bot/access.js";

const Manifest = z.object({
  features: z.object({
    slash_commands: z.array(z.object({ command: z.string(), url: z.url(), usage_hint: z.string(), should_escape: z.boolean() })),
    bot_user: z.object({ display_name: z.string() }),
  }),
  oauth_config: z.object({ scopes: z.object({ bot: z.array(z.string()) }) }),
  settings: z.object({ interactivity: z.object({ is_enabled: z.literal(true), request_url: z.url() }), socket_mode_enabled: z.boolean() }),
});

describe("slack-app.yaml", () => {
  test("creates the app with the scopes the code calls, the slash command and interactivity", async () => {
    const m = Manifest.parse(parse(await readFile("slack-app.yaml", "utf8")));
    // chat.postMessage/update (chat:write), /firewatch (commands), files.uploadV2 (files:write), conversations.history,
    // usergroups.users.list (guard allow-lists by user group).
    expect(m.oauth_config.scopes.bot).toEqual(expect.arrayContaining(["chat:write", "commands", "files:write", "channels:history", "usergroups:read"]));
    const [cmd] = m.features.slash_commands;
    expect(cmd?.command).toBe("/firewatch");
    expect(new URL(cmd?.url ?? "").pathname).toBe("/slack/events");
    expect(new URL(m.settings.interactivity.request_url).pathname).toBe("/slack/events");
    for (const sub of SUBCOMMANDS) expect(cmd?.usage_hint).toContain(sub);
  });
});
