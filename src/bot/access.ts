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

/** Undefined when allowed; otherwise the sentence to show the user. `help` is always allowed. */
export function checkAccess(access: SlackAccess, command: Subcommand, who: { userId: string; channelId: string }): string | undefined {
  if (command === "help") return undefined;
  const allow = access.commands[command] ?? access.default;
  if (allow.users !== undefined && !allow.users.includes(who.userId)) return `You are not allowed to run \`${command}\`; ask an admin to add you to slack.access.`;
  if (allow.channels !== undefined && !allow.channels.includes(who.channelId)) return `\`${command}\` cannot be run in this channel.`;
  return undefined;
}
