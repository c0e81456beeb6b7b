import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { GuardConfigSchema } from "../../../src/actions/index.js";
import { createSlackClient } from "../../../src/bot/client.js";
import { createGroupResolver, GROUP_CACHE_MS, policyGroups } from "../../../src/bot/user-groups.js";
import { startFakeSlack, type FakeSlack } from "../../harness/fake-slack.js";
import { manualClock, T0 } from "./support.js";

const config = GuardConfigSchema.parse({
  actions: {
    kill_port_owner: { groups: ["S0ONCALL", "S0SRE"], hosts: ["*"], ports: ["1024-65535"], targets: ["*"] },
    restart_unit: { groups: ["S0SRE", "S0GONE"], hosts: ["*"], targets: ["*"] },
  },
});

let slack: FakeSlack;
beforeAll(async () => {
  slack = await startFakeSlack();
  slack.setUserGroup("S0ONCALL", ["U0CAROL"]);
  slack.setUserGroup("S0SRE", ["U0CAROL", "U0DAVE"]);
});
afterAll(() => slack.close());

describe("user groups of a clicker", () => {
  test("the guard's groups, each once", () => {
    expect(policyGroups(config).sort()).toEqual(["S0GONE", "S0ONCALL", "S0SRE"]);
  });

  test("asks Slack for the groups the guard names, keeps the answer a minute, and counts an unreadable group as not joined", async () => {
    const clock = manualClock(T0);
    const groupsOf = createGroupResolver({ client: createSlackClient({ token: "xoxb-test-token", apiUrl: slack.apiUrl }), clock, config });
    expect((await groupsOf("U0CAROL")).sort()).toEqual(["S0ONCALL", "S0SRE"]);
    expect(await groupsOf("U0DAVE")).toEqual(["S0SRE"]);
    expect(await groupsOf("U0MALLORY")).toEqual([]);
    // S0GONE does not exist: asked each time (nothing to keep), never a member.
    const asked = () => slack.callsOf("usergroups.users.list").filter((c) => c.args["usergroup"] === "S0SRE").length;
    expect(asked()).toBe(1);

    slack.setUserGroup("S0SRE", ["U0DAVE"]);
    clock.advance(GROUP_CACHE_MS - 1);
    expect((await groupsOf("U0CAROL")).sort()).toEqual(["S0ONCALL", "S0SRE"]);
    clock.advance(1);
    expect(await groupsOf("U0CAROL")).toEqual(["S0ONCALL"]);
    expect(asked()).toBe(2);
  });
});
