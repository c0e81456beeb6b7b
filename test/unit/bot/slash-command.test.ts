import { describe, expect, test } from "vitest";
import { checkAccess, openAccessWarning, SlackAccessSchema } from "../../../src/bot/access.js";
import { runCommand, type CommandDeps } from "../../../src/bot/slash-command.js";
import { FirewatchError } from "../../../src/errors.js";
import type { Store } from "../../../src/store/index.js";
import { manualClock, stored, T0 } from "./support.js";

const who = { userId: "U0ALICE", channelId: "C0ONCALL" };

function deps(store: Partial<Store>, access = SlackAccessSchema.parse({ default: { users: [who.userId] } })): CommandDeps {
  return { store: store as Store, clock: manualClock(T0), access, rules: () => Promise.resolve(new Map()) };
}

describe("/firewatch command text", () => {
  test("empty text and help give the usage", async () => {
    expect((await runCommand("", who, deps({}))).text).toContain("*Usage:*");
    expect((await runCommand("  HELP ", who, deps({}))).text).toContain("`silence RULE|ID DURATION`");
  });

  test("a store failure is one sentence; an unexpected error is an apology without a stack", async () => {
    const coded = await runCommand("list", who, deps({ list: () => Promise.reject(new FirewatchError("store_unavailable", "Redis at 127.0.0.1:6379 is unreachable\n  hint: start it")) }));
    expect(coded.text).toBe("⚠️ Redis at 127.0.0.1:6379 is unreachable");
    const bug = await runCommand("list", who, deps({ list: () => Promise.reject(new TypeError("x is undefined")) }));
    expect(bug.text).toContain("Something went wrong");
    expect(bug.text).not.toContain("TypeError");
  });

  test("silence refuses durations past 30 days and unknown rules", async () => {
    expect((await runCommand("silence eaddrinuse_loop 60d", who, deps({}))).text).toContain("at most 30 days");
    expect((await runCommand("silence no_such_rule 1h", who, deps({}))).text).toContain("No rule `no_such_rule`");
  });

  test("jobs shows the live queues from the jobs hook, escaped, beside the job incidents", async () => {
    const jobIncident = stored({}, { ...stored().incident, findings: [{ ...stored().incident.findings[0]!, rule: "stale_job_queue" }] });
    const d = { ...deps({ list: () => Promise.resolve([jobIncident, stored()]) }), jobsText: () => Promise.resolve("transcription: failed 20 <!channel>") };
    const reply = await runCommand("jobs", who, d);
    const all = JSON.stringify(reply.blocks);
    expect(reply.text).toContain("Job incidents* (1)");
    expect(all).toContain("failed 20 &lt;!channel&gt;");
    const none = (await runCommand("jobs", who, deps({ list: () => Promise.resolve([]) }))).text;
    expect(none).toContain("No incidents about failed jobs.");
    // Without a queue configured it says so, rather than looking like empty queues.
    expect(none).toContain("No job queue is configured");
  });

  test("log text in a title cannot mention anyone in list output", async () => {
    const s = stored({}, { ...stored().incident, title: "<!channel> port in use @here" });
    const reply = await runCommand("list", who, deps({ list: () => Promise.resolve([s]) }));
    expect(reply.text).not.toMatch(/<!channel>|@here/);
  });
});

describe("allow-lists", () => {
  const access = SlackAccessSchema.parse({ default: { channels: ["C0ONCALL"] }, commands: { resolve: { users: ["U0BOSS"] } } });
  test("a subcommand's own entry replaces the default; help is always allowed", () => {
    expect(checkAccess(access, "list", who)).toBeUndefined();
    expect(checkAccess(access, "list", { ...who, channelId: "C0OTHER" })).toMatch(/this channel/);
    expect(checkAccess(access, "resolve", who)).toMatch(/not allowed/);
    expect(checkAccess(access, "resolve", { userId: "U0BOSS", channelId: "C0OTHER" })).toBeUndefined();
    expect(checkAccess(access, "help", { userId: "U0X", channelId: "C0X" })).toBeUndefined();
  });
  test("with slack.access unset, any member may list and show, but ack, resolve, silence, probe and report are refused and change nothing", async () => {
    const open = SlackAccessSchema.parse({});
    const changed: string[] = [];
    const store = {
      get: () => Promise.resolve(stored()),
      list: () => Promise.resolve([stored()]),
      acknowledge: () => (changed.push("ack"), Promise.resolve(stored())),
      resolve: () => (changed.push("resolve"), Promise.resolve(stored())),
      addSilence: () => (changed.push("silence"), Promise.reject(new Error("must not be called"))),
    };
    const d = deps(store, open);
    const dm = { userId: "U0RANDOM", channelId: "D0DIRECT" };
    expect((await runCommand("list", dm, d)).text).toContain("fw-");
    for (const cmd of ["ack fw-de060825", "resolve fw-de060825", "silence eaddrinuse_loop 30d", "report fw-de060825", "probe fw-de060825"]) {
      const reply = await runCommand(cmd, dm, d);
      expect(reply.text, cmd).toMatch(/^⛔ `\w+` is off until slack.access lists who may run it/);
      expect(reply.file, cmd).toBeUndefined();
    }
    expect(changed).toEqual([]);
    expect(openAccessWarning(open)).toMatch(/open to every member of the workspace; report, ack, resolve, silence, probe are refused/);
    expect(openAccessWarning(SlackAccessSchema.parse({ default: { users: ["U0ALICE"] } }))).toBeUndefined();
  });

  test("ids that are not Slack ids are refused in the config", () => {
    expect(() => SlackAccessSchema.parse({ default: { users: ["alice"] } })).toThrow(/Slack user id/);
  });
});
