// Which of the guard's Slack user groups a user belongs to, asked of Slack (usergroups.users.list) and kept briefly.
import type { webApi } from "@slack/bolt";
import type { Logger } from "pino";
import { z } from "zod";
import type { GuardConfig } from "../actions/index.js";
import type { Clock } from "../time.js";
import { classifySlackError } from "./slack-errors.js";

/** Group membership is asked again after this long: a person removed from on-call loses the buttons within a minute. */
export const GROUP_CACHE_MS = 60_000;

const UsersReply = z.object({ users: z.array(z.string()).default([]) });

/** The user group ids named anywhere in the guard's allow-lists. */
export function policyGroups(config: GuardConfig): string[] {
  return [...new Set(Object.values(config.actions).flatMap((p) => p?.groups ?? []))];
}

/**
 * Returns the groups (of those the guard config names) that `userId` is a member of. A click payload carries no
 * groups, so they are asked of Slack with the bot token; when Slack cannot say, the user is taken to be in none
 * (they may still be allowed by user id) and that is logged.
 */
export function createGroupResolver(deps: { client: webApi.WebClient; clock: Clock; config: GuardConfig; log?: Logger }): (userId: string) => Promise<string[]> {
  const members = new Map<string, { users: ReadonlySet<string>; at: number }>();
  async function usersOf(group: string): Promise<ReadonlySet<string>> {
    const have = members.get(group);
    if (have && deps.clock.now() - have.at < GROUP_CACHE_MS) return have.users;
    try {
      const reply = UsersReply.parse(await deps.client.usergroups.users.list({ usergroup: group }));
      const users = new Set(reply.users);
      members.set(group, { users, at: deps.clock.now() });
      return users;
    } catch (e) {
      deps.log?.warn({ component: "bot", errorType: classifySlackError(e).kind, group }, "Could not read a Slack user group; its members count as not in it.");
      return new Set();
    }
  }
  return async (userId) => {
    const out: string[] = [];
    for (const g of policyGroups(deps.config)) if ((await usersOf(g)).has(userId)) out.push(g);
    return out;
  };
}
