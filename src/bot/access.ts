// Who may run which /firewatch subcommand, and where: user and channel allow-lists, per subcommand or by default.
import { z } from "zod";

export const SUBCOMMANDS = ["list", "show", "report", "ack", "resolve", "silence", "jobs", "probe", "help"] as const;
export type Subcommand = (typeof SUBCOMMANDS)[number];

const UserId = z.string().regex(/^[UW][A-Z0-9]{2,20}$/, 'a Slack user id like "U024BE7LH"');
const ChannelId = z.string().regex(/^[CGD][A-Z0-9]{2,20}$/, 'a Slack channel id like "C0123ABC"');

const AllowSchema = z
  .object({
    users: z.array(UserId).optional().describe("Only these users; absent: any member of the workspace"),
    channels: z.array(ChannelId).optional().describe("Only in these channels; absent: any channel the app is in"),
  })
  .strict();
export type Allow = z.infer<typeof AllowSchema>;

/** The access part of the Slack config; buttons count as the subcommand they stand for (Acknowledge = ack). */
export const SlackAccessSchema = z
  .object({
    default: AllowSchema.default({}).describe("Applies to subcommands without their own entry"),
    commands: z.partialRecord(z.enum(SUBCOMMANDS), AllowSchema).default({}).describe("Per subcommand; replaces the default"),
  })
  .strict();
export type SlackAccess = z.infer<typeof SlackAccessSchema>;

/**
 * Subcommands that change state, run commands on hosts or hand out the raw evidence: refused unless slack.access
 * names the users who may (in their own entry or the default). Any member of the workspace is not trusted with them.
 */
export const GUARDED_SUBCOMMANDS: ReadonlySet<Subcommand> = new Set(["ack", "resolve", "silence", "probe", "report"]);

/** Undefined when allowed; otherwise the sentence to show the user. `help` is always allowed. */
export function checkAccess(access: SlackAccess, command: Subcommand, who: { userId: string; channelId: string }): string | undefined {
  if (command === "help") return undefined;
  const allow = access.commands[command] ?? access.default;
  if (allow.users === undefined && GUARDED_SUBCOMMANDS.has(command)) {
    return `\`${command}\` is off until slack.access lists who may run it (users, in commands.${command} or default).`;
  }
  if (allow.users !== undefined && !allow.users.includes(who.userId)) return `You are not allowed to run \`${command}\`; ask an admin to add you to slack.access.`;
  if (allow.channels !== undefined && !allow.channels.includes(who.channelId)) return `\`${command}\` cannot be run in this channel.`;
  return undefined;
}

/** A sentence for the startup log when some subcommand is open to every member of the workspace; undefined otherwise. */
export function openAccessWarning(access: SlackAccess): string | undefined {
  const open = SUBCOMMANDS.filter((c) => c !== "help" && (access.commands[c] ?? access.default).users === undefined);
  if (open.length === 0) return undefined;
  const refused = open.filter((c) => GUARDED_SUBCOMMANDS.has(c));
  const readable = open.filter((c) => !GUARDED_SUBCOMMANDS.has(c));
  return `slack.access leaves ${readable.map((c) => `/firewatch ${c}`).join(", ") || "nothing"} open to every member of the workspace${refused.length > 0 ? `; ${refused.join(", ")} are refused until it lists their users` : ""}.`;
}
