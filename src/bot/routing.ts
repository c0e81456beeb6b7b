// Which channel an incident is posted to: per rule first, then per severity, then the default channel.
import { z } from "zod";
import type { Incident } from "../incidents/index.js";

const Channel = z.string().regex(/^[CGD][A-Z0-9]{2,}$|^#[a-z0-9_-]{1,80}$/, 'a channel id like "C0123ABC" (or "#name")');

/** The routing part of the Slack config. */
export const SlackRoutingSchema = z
  .object({
    channel: Channel.describe("Where incident posts go when no rule or severity route matches"),
    bySeverity: z.partialRecord(z.enum(["critical", "high", "medium", "low", "info"]), Channel).default({}).describe("Channel per severity"),
    byRule: z.record(z.string().regex(/^[a-z][a-z0-9_]*$/), Channel).default({}).describe("Channel per rule id; wins over severity"),
  })
  .strict();
export type SlackRouting = z.infer<typeof SlackRoutingSchema>;

/** The channel for an incident: the first of its findings (most severe first) with a rule route, else by severity. */
export function channelFor(incident: Incident, routing: SlackRouting): string {
  for (const f of incident.findings) {
    const byRule = routing.byRule[f.rule];
    if (byRule !== undefined) return byRule;
  }
  return routing.bySeverity[incident.severity] ?? routing.channel;
}
