// The Slack part of firewatch's config: tokens (from env or files, never argv), receiver, routing and access.
import { z } from "zod";
import { SlackAccessSchema } from "./access.js";
import { SlackRoutingSchema } from "./routing.js";

/** Where `/firewatch jobs` reads live queues (read-only, like `firewatch jobs`). */
export const SlackJobsSchema = z
  .object({
    redis: z.string().regex(/^rediss?:\/\/.+/, 'a URL like "redis://127.0.0.1:6379"').describe("Redis holding the queues (env FIREWATCH_SLACK__JOBS__REDIS)"),
    prefix: z.string().min(1).default("bull").describe("BullMQ key prefix"),
    queues: z.array(z.string().min(1)).default([]).describe("Queues to show; empty: every queue under the prefix"),
    completedDir: z.string().min(1).optional().describe("Where completed input files live (the stale-job table)"),
  })
  .strict();
export type SlackJobs = z.infer<typeof SlackJobsSchema>;

export const SlackConfigSchema = z
  .object({
    botToken: z.string().regex(/^xoxb-/, 'a bot token starting with "xoxb-"').describe("Bot User OAuth Token (env FIREWATCH_SLACK__BOT_TOKEN)"),
    signingSecret: z.string().min(8).optional().describe("Signing secret, for the HTTP receiver (env FIREWATCH_SLACK__SIGNING_SECRET)"),
    appToken: z.string().regex(/^xapp-/, 'an app-level token starting with "xapp-"').optional().describe("App-level token with connections:write, for Socket Mode (env FIREWATCH_SLACK__APP_TOKEN)"),
    socketMode: z.boolean().default(false).describe("Connect over Socket Mode instead of receiving HTTP requests"),
    port: z.number().int().min(0).max(65535).default(3000).describe("HTTP receiver port"),
    host: z.string().default("127.0.0.1").describe("HTTP receiver address (put a TLS proxy in front)"),
    apiUrl: z.url().optional().describe("Slack Web API base URL; only tests change it"),
    minUpdateInterval: z.number().int().min(1000).default(5000).describe("At most one update of an incident post per this many ms"),
    poll: z.number().int().min(1000).default(10_000).describe("How often (ms) the poster reads the store for new or changed incidents"),
    jobs: SlackJobsSchema.optional().describe("The BullMQ queues `/firewatch jobs` reads; absent: it lists stored job incidents only"),
    routing: SlackRoutingSchema,
    access: SlackAccessSchema.default({ default: {}, commands: {} }),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.socketMode && !c.appToken) ctx.addIssue({ code: "custom", path: ["appToken"], message: "Socket Mode needs an app-level token (xapp-...)" });
    if (!c.socketMode && !c.signingSecret) ctx.addIssue({ code: "custom", path: ["signingSecret"], message: "the HTTP receiver needs the app's signing secret" });
  });
export type SlackConfig = z.infer<typeof SlackConfigSchema>;

/** Why Slack is off, in one sentence, or undefined when a bot token is configured. */
export function slackOffReason(env: NodeJS.ProcessEnv): string | undefined {
  if (env["FIREWATCH_SLACK__BOT_TOKEN"]) return undefined;
  return "Slack is off: FIREWATCH_SLACK__BOT_TOKEN is not set (see docs/slack.md). Everything else works without it.";
}

/** The Slack config from FIREWATCH_SLACK__* variables plus an optional parsed YAML section (routing, access...). */
export function slackConfigFromEnv(env: NodeJS.ProcessEnv, section: Record<string, unknown> = {}): unknown {
  const pick = (name: string) => env[`FIREWATCH_SLACK__${name}`];
  const fromFile = z.record(z.string(), z.unknown()).safeParse(section["routing"]);
  const routing: Record<string, unknown> = fromFile.success ? { ...fromFile.data } : {};
  if (pick("CHANNEL")) routing["channel"] = pick("CHANNEL");
  const port = pick("PORT");
  const jobsRedis = pick("JOBS__REDIS");
  const jobsFromFile = z.record(z.string(), z.unknown()).safeParse(section["jobs"]);
  const jobs = jobsRedis ? { ...(jobsFromFile.success ? jobsFromFile.data : {}), redis: jobsRedis } : undefined;
  return {
    ...section,
    ...(pick("BOT_TOKEN") ? { botToken: pick("BOT_TOKEN") } : {}),
    ...(pick("SIGNING_SECRET") ? { signingSecret: pick("SIGNING_SECRET") } : {}),
    ...(pick("APP_TOKEN") ? { appToken: pick("APP_TOKEN") } : {}),
    ...(pick("SOCKET_MODE") ? { socketMode: pick("SOCKET_MODE") === "true" } : {}),
    ...(pick("API_URL") ? { apiUrl: pick("API_URL") } : {}),
    ...(port && /^\d+$/.test(port) ? { port: Number(port) } : {}),
    ...(jobs ? { jobs } : {}),
    routing,
  };
}
