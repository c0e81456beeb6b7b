import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { ActionPolicySchema, checkRequester, checkScope, GuardConfigSchema, matchesAny } from "../../../src/actions/index.js";

describe("allow-lists", () => {
  test("globs: * and ? match, every other character is literal", () => {
    expect(matchesAny(["transcription-*.service"], "transcription-palantir.service")).toBe(true);
    expect(matchesAny(["transcription-*.service"], "transcription-palantir.socket")).toBe(false);
    expect(matchesAny(["web-?"], "web-1")).toBe(true);
    expect(matchesAny(["web-?"], "web-10")).toBe(false);
    expect(matchesAny(["a.b"], "axb")).toBe(false);
    expect(matchesAny(["(a|b)"], "a")).toBe(false);
  });

  test("a pattern without * or ? matches only itself", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }).filter((s) => !s.includes("*") && !s.includes("?")), fc.string(), (p, n) => {
        expect(matchesAny([p], n)).toBe(p === n);
      }),
    );
  });

  test("users and groups, then channels; hosts, then targets", () => {
    const policy = ActionPolicySchema.parse({ users: ["U1"], groups: ["S1"], channels: ["C1"], hosts: ["web-*"], targets: ["api"] });
    expect(checkRequester(policy, { user: "U1", groups: [], channel: "C1" })).toBeUndefined();
    expect(checkRequester(policy, { user: "U2", groups: ["S1"], channel: "C1" })).toBeUndefined();
    expect(checkRequester(policy, { user: "U2", groups: ["S2"], channel: "C1" })).toBe("user_not_allowed");
    expect(checkRequester(policy, { user: "U1", groups: [], channel: "C2" })).toBe("channel_not_allowed");
    expect(checkScope(policy, "web-1", "api")).toBeUndefined();
    expect(checkScope(policy, "db-1", "api")).toBe("host_not_allowed");
    expect(checkScope(policy, "web-1", "db")).toBe("target_not_allowed");
  });

  test("the config is strict, has defaults, and refuses an unknown action", () => {
    expect(GuardConfigSchema.parse({})).toEqual({ tokenTtl: 900_000, actions: {}, people: {}, sudo: [] });
    const p = ActionPolicySchema.parse({ hosts: ["h"], targets: ["t"] });
    expect(p).toMatchObject({ users: [], channels: [], rateLimit: { max: 3, per: 3_600_000 }, approvalWithin: 600_000 });
    expect(ActionPolicySchema.safeParse({ hosts: ["h"], targets: ["t"], user: ["typo"] }).success).toBe(false);
    expect(GuardConfigSchema.safeParse({ actions: { reboot: { hosts: ["h"], targets: ["t"] } } }).success).toBe(false);
    expect(ActionPolicySchema.safeParse({ hosts: [], targets: ["t"] }).success).toBe(false);
  });
});
