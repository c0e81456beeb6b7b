// Remediation buttons through the signed HTTP receiver and the fake Slack: the real guard, a fake executor and fake probes.
import { userInfo } from "node:os";
import { createHash, randomBytes } from "node:crypto";
import pino from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { createGuard, createNonceCache, createTokenService, GuardConfigSchema, type ActionCommand, type ActionProbes, type ActionReadiness, type PortHolder } from "../../../src/actions/index.js";
import { createBot, type Bot } from "../../../src/bot/app.js";
import type { RemediationOffer } from "../../../src/bot/action-blocks.js";
import { SlackConfigSchema } from "../../../src/bot/config.js";
import { incidentId } from "../../../src/incidents/index.js";
import { FileStore } from "../../../src/store/index.js";
import { blockKitProblems, startFakeSlack, type FakeSlack, type StoredMessage } from "../../harness/fake-slack.js";
import { makeTempDir } from "../../harness/program.js";
import { incident } from "../../unit/bot/support.js";
import { buttonsOf, slackDriver, type Driver } from "./slack-driver.js";

const SECRET = "remediation-signing-secret";
const CH = "C0ONCALL";
const [ALICE, BOB, CAROL, MALLORY] = ["U0ALICE", "U0BOB", "U0CAROL", "U0MALLORY"] as const;

let now = Date.now();
const clock = { now: () => now, sleep: (ms: number) => Promise.resolve(void (now += ms)) };

// The world the fake probes see: who holds port 9003, whether the unit is up, failed jobs.
const world = { holder: undefined as PortHolder | undefined, unitActive: false, failed: 0 };
const ran: ActionCommand[] = [];
const probes: ActionProbes = {
  portHolder: () => Promise.resolve(world.holder),
  unitState: () => Promise.resolve({ mainPid: "4242", activeState: world.unitActive ? "active" : "activating", subState: world.unitActive ? "running" : "auto-restart", nRestarts: 485 }),
  containerState: () => Promise.resolve(undefined),
  failedJobCount: () => Promise.resolve(world.failed),
};
const executor = (c: ActionCommand) => {
  ran.push(c);
  if (c.kind === "argv" && c.argv[0] === "kill") {
    world.holder = undefined;
    world.unitActive = true;
    return Promise.resolve({ ok: true, detail: `${c.argv.join(" ")}: exit 0` });
  }
  if (c.kind === "clean_failed_jobs") world.failed = 0;
  return Promise.resolve({ ok: true, detail: "removed 20 failed jobs" });
};

const rogue = (pid = "1573680"): PortHolder => ({ pid, command: "node server.js", inUnit: false, otherHolders: [], user: userInfo().username });
const KILL: RemediationOffer = { action: "kill_port_owner", host: "mithrandir", params: { pid: "1573680", port: "9003", unit: "transcription-palantir" }, label: "Kill PID 1573680 holding :9003", why: "PID 1573680 (node <!channel>) holds 9003 outside transcription-palantir, PPID 1" };
const CLEAN: RemediationOffer = { action: "clean_failed_jobs", host: "mithrandir", params: { queue: "transcription" }, label: "Clean failed jobs of transcription", why: "20 failed jobs whose files are already completed" };

const offers = new Map<string, RemediationOffer[]>();
/** `firewatch doctor`'s verdicts per host, as the kit's readiness answers them (undefined: not read, offered as before). */
let verdicts: readonly ActionReadiness[] | undefined;
const config = GuardConfigSchema.parse({
  tokenTtl: "15m",
  actions: {
    kill_port_owner: { users: [ALICE, BOB], groups: ["S0ONCALL"], channels: [CH], hosts: ["mithrandir"], ports: ["1024-65535"], targets: ["transcription-*"], rateLimit: { max: 50, per: "1h" } },
    clean_failed_jobs: { users: [ALICE], channels: [CH], hosts: ["mithrandir"], targets: ["transcription"], rateLimit: { max: 50, per: "1h" } },
  },
});

let slack: FakeSlack;
let dir: { path: string; remove(): Promise<void> };
let store: FileStore;
let bot: Bot;
let drive: Driver;
let n = 0;

beforeAll(async () => {
  slack = await startFakeSlack({ now: clock.now });
  slack.setUserGroup("S0ONCALL", [CAROL]);
  dir = await makeTempDir("bot-remediation");
  store = await FileStore.open(dir.path, { clock });
  const tokens = createTokenService({ clock, secret: randomBytes(32), nonces: createNonceCache({ clock }) });
  const guard = createGuard({ clock, store, tokens, probes, config });
  const slackConfig = SlackConfigSchema.parse({ botToken: "xoxb-test-token", signingSecret: SECRET, port: 0, apiUrl: slack.apiUrl, routing: { channel: CH } });
  bot = createBot(slackConfig, {
    store, clock, log: pino({ level: "silent" }), rules: () => Promise.resolve(new Map()),
    guard: { guard, tokens, executor, config, readiness: () => Promise.resolve(verdicts) },
    offers: (s) => offers.get(s.incident.id) ?? [],
  });
  const port = await bot.start();
  drive = slackDriver(slack, `http://127.0.0.1:${port}/slack/events`, SECRET, clock.now, CH);
});
afterAll(async () => {
  await bot.stop();
  await store.close();
  await slack.close();
  await dir.remove();
});
beforeEach(() => {
  verdicts = undefined;
  world.holder = rogue();
  world.unitActive = false;
  world.failed = 20;
  ran.length = 0;
});

/** A new incident with these offers, stored and posted; returns its id and post. */
async function posted(list: RemediationOffer[]): Promise<{ id: string; post: () => StoredMessage }> {
  n += 1;
  const fingerprint = createHash("sha256").update(`remediation-${n}`).digest("hex");
  const id = incidentId(fingerprint);
  offers.set(id, list);
  bot.poster.notify(await store.upsert(incident({ id, fingerprint })));
  await bot.poster.flush();
  const find = () => slack.postsIn(CH).find((m) => JSON.stringify(m.metadata).includes(id));
  const first = find();
  if (!first) throw new Error("no post");
  return { id, post: () => find() ?? first };
}

const runButton = (m: StoredMessage) => buttonsOf(m).find((b) => b.action_id === "fw_act:0");
const dryButton = (m: StoredMessage) => buttonsOf(m).find((b) => b.action_id === "fw_dry:0");
const thread = (m: StoredMessage) => slack.repliesTo(CH, m.ts).map((r) => r.text);
const approvalIn = (m: StoredMessage) => slack.repliesTo(CH, m.ts).find((r) => buttonsOf(r).some((b) => b.action_id === "fw_approve"));

describe("remediation buttons on the incident post", () => {
  test("an action firewatch cannot run on the host is not offered; the post says why and what to grant", async () => {
    verdicts = [
      { action: "kill_port_owner", ok: false, how: "firewatch may not signal other users' processes", grant: "run firewatch actuator on this host" },
      { action: "clean_failed_jobs", ok: true, how: "talks to the queue's Redis" },
    ];
    const { post } = await posted([KILL, CLEAN]);
    const m = post();
    expect(blockKitProblems(m.blocks)).toEqual([]);
    // One offer left, so one Run button: the queue cleanup's.
    expect(buttonsOf(m).map((b) => b.action_id).filter((a) => /^fw_(act|dry):/.test(a))).toEqual(["fw_act:0", "fw_dry:0"]);
    expect(JSON.stringify(runButton(m)?.confirm)).toContain("clean failed jobs of queue transcription");
    const all = JSON.stringify(m.blocks);
    expect(all).toContain("not offered, firewatch cannot run `kill -TERM 1573680` on *mithrandir*: firewatch may not signal other users' processes");
    expect(all).toContain("To allow it: run firewatch actuator on this host");
  });

  test("each offer gets a Run button with a signed token and a confirm dialog naming the exact command and host", async () => {
    const { post } = await posted([KILL, CLEAN]);
    const m = post();
    expect(blockKitProblems(m.blocks)).toEqual([]);
    const run = runButton(m);
    expect(run?.value.length).toBeLessThanOrEqual(2000);
    expect(run?.value).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    const confirm = JSON.stringify(run?.confirm);
    expect(confirm).toContain("kill -TERM 1573680");
    expect(confirm).toContain("mithrandir");
    expect(confirm).toContain("second person must approve");
    // Process text from the probe is escaped: no broadcast from a process name.
    expect(JSON.stringify(m.blocks)).not.toContain("<!channel>");
    expect(buttonsOf(m).map((b) => b.action_id)).toEqual(expect.arrayContaining(["fw_act:0", "fw_dry:0", "fw_act:1", "fw_dry:1"]));
  });

  test("allowed (not destructive): runs at once, the result goes in the thread, the incident resolves and the post updates in place", async () => {
    const { id, post } = await posted([CLEAN]);
    const reply = await drive.click(ALICE, runButton(post()) ?? fail(), post().ts);
    expect(reply).toContain("done");
    expect(ran).toEqual([{ kind: "clean_failed_jobs", host: "mithrandir", queue: "transcription" }]);
    expect(thread(post()).join("\n")).toContain("Done");
    expect(thread(post()).join("\n")).toContain("removed 20 failed jobs");
    expect((await store.get(id))?.status).toBe("resolved");
    await slack.waitFor(() => (JSON.stringify(post().blocks).includes("Resolved") ? true : undefined));
    expect(runButton(post())).toBeUndefined();
    expect(slack.postsIn(CH).filter((m) => JSON.stringify(m.metadata).includes(id))).toHaveLength(1);
  });

  test("destructive: needs approval, a second user approves, it runs, and the unit's postcondition resolves the incident", async () => {
    const { id, post } = await posted([KILL]);
    const asked = await drive.click(ALICE, runButton(post()) ?? fail(), post().ts);
    expect(asked).toContain("second person must approve");
    expect(ran).toEqual([]);
    const approval = approvalIn(post());
    expect(approval?.text).toContain("<@U0ALICE> requests `kill -TERM 1573680` on *mithrandir*");
    const approve = buttonsOf(approval).find((b) => b.action_id === "fw_approve") ?? fail();

    expect(await drive.click(ALICE, approve, approval?.ts ?? "")).toContain("same_person");
    expect(await drive.click(MALLORY, approve, approval?.ts ?? "")).toContain("user_not_allowed");
    expect(ran).toEqual([]);

    expect(await drive.click(BOB, approve, approval?.ts ?? "")).toContain("done");
    expect(ran).toEqual([{ kind: "argv", host: "mithrandir", argv: ["kill", "-TERM", "1573680"] }]);
    const said = thread(post()).join("\n");
    expect(said).toContain("approved by <@U0BOB>");
    expect(said).toContain("port 9003 is free of PID 1573680; transcription-palantir is active");
    const s = await store.get(id);
    expect(s?.status).toBe("resolved");
    expect(s?.resolved?.by).toBe("slack:U0BOB");
    // The approval message lost its buttons; the audit names requester and approver.
    expect(buttonsOf(slack.messages.get(`${CH}/${approval?.ts ?? ""}`))).toEqual([]);
    const done = (await store.listAudit({ target: id, action: "action.done" }))[0];
    expect(done).toMatchObject({ actor: BOB, details: { approvedBy: BOB, host: "mithrandir" } });
  });

  test("two clicks on Run make one pending request: the second click is pointed at it, nothing is posted twice", async () => {
    const { id, post } = await posted([KILL]);
    expect(await drive.click(ALICE, runButton(post()) ?? fail(), post().ts)).toContain("second person must approve");
    await slack.waitFor(() => runButton(post()));
    expect(await drive.click(BOB, runButton(post()) ?? fail(), post().ts)).toContain("Already waiting for a second person: requested by <@U0ALICE>");
    const requests = slack.repliesTo(CH, post().ts).filter((r) => buttonsOf(r).some((b) => b.action_id === "fw_approve"));
    expect(requests).toHaveLength(1);
    expect((await store.listAudit({ target: id, action: "action.approval_requested" })).length).toBe(1);
    // Bob approves the one request; it runs once.
    const approve = buttonsOf(requests[0]).find((b) => b.action_id === "fw_approve") ?? fail();
    expect(await drive.click(BOB, approve, requests[0]?.ts ?? "")).toContain("done");
    expect(ran).toHaveLength(1);
  });

  test("a member of an allowed user group may approve (groups asked of Slack)", async () => {
    const { post } = await posted([KILL]);
    await drive.click(BOB, runButton(post()) ?? fail(), post().ts);
    const approval = approvalIn(post());
    expect(await drive.click(CAROL, buttonsOf(approval).find((b) => b.action_id === "fw_approve") ?? fail(), approval?.ts ?? "")).toContain("done");
    expect(ran).toHaveLength(1);
  });

  test("a user not on the list is refused with the reason, and nothing runs", async () => {
    const { id, post } = await posted([CLEAN]);
    const reply = await drive.click(BOB, runButton(post()) ?? fail(), post().ts);
    expect(reply).toContain("user_not_allowed");
    expect(ran).toEqual([]);
    expect((await store.get(id))?.status).toBe("open");
    expect(await store.listAudit({ action: "action.refused", actor: BOB })).not.toHaveLength(0);
  });

  test("a replayed token is refused; the post carries a fresh button that works", async () => {
    const { post } = await posted([CLEAN]);
    const used = runButton(post()) ?? fail();
    world.failed = 20;
    await drive.click(ALICE, used, post().ts);
    expect(ran).toHaveLength(1);
    world.failed = 20; // failed again: the precondition holds once more
    expect(await drive.click(ALICE, used, post().ts)).toContain("replayed");
    expect(ran).toHaveLength(1);
  });

  test("an expired token is refused and the post is refreshed with a new one", async () => {
    const { post } = await posted([CLEAN]);
    const old = runButton(post()) ?? fail();
    now += 16 * 60_000;
    expect(await drive.click(ALICE, old, post().ts)).toContain("expired");
    expect(ran).toEqual([]);
    const fresh = await slack.waitFor(() => {
      const b = runButton(post());
      return b && b.value !== old.value ? b : undefined;
    });
    expect(await drive.click(ALICE, fresh, post().ts)).toContain("done");
  });

  test("when the world changed (another PID holds the port) nothing runs and the user is told what changed", async () => {
    const { id, post } = await posted([KILL]);
    await drive.click(ALICE, runButton(post()) ?? fail(), post().ts);
    world.holder = rogue("1600001");
    const approval = approvalIn(post());
    const reply = await drive.click(BOB, buttonsOf(approval).find((b) => b.action_id === "fw_approve") ?? fail(), approval?.ts ?? "");
    expect(reply).toContain("world changed");
    expect(ran).toEqual([]);
    expect(thread(post()).join("\n")).toContain("port 9003 is now held by PID 1600001");
    expect((await store.get(id))?.status).toBe("open");
  });

  test("dry run shows what would run and the precondition, runs nothing, and leaves the button usable", async () => {
    const { post } = await posted([CLEAN]);
    const reply = await drive.click(ALICE, dryButton(post()) ?? fail(), post().ts);
    expect(reply).toContain("Dry run");
    expect(reply).toContain("clean failed jobs of queue transcription");
    expect(reply).toContain("20 failed jobs in transcription");
    expect(ran).toEqual([]);
    expect(await drive.click(ALICE, runButton(post()) ?? fail(), post().ts)).toContain("done");
  });

  test("a denied request cannot be approved afterwards", async () => {
    const { post } = await posted([KILL]);
    await drive.click(ALICE, runButton(post()) ?? fail(), post().ts);
    const approval = approvalIn(post());
    const deny = buttonsOf(approval).find((b) => b.action_id === "fw_deny") ?? fail();
    const approve = buttonsOf(approval).find((b) => b.action_id === "fw_approve") ?? fail();
    expect(await drive.click(MALLORY, deny, approval?.ts ?? "")).toContain("may not deny");
    expect(await drive.click(BOB, deny, approval?.ts ?? "")).toContain("Denied");
    expect(buttonsOf(approval)).toEqual([]);
    expect(approval?.text).toContain("denied by <@U0BOB>");
    // A click on the old Approve button (a stale client) is still refused.
    expect(await drive.click(BOB, approve, approval?.ts ?? "")).toContain("denied by <@U0BOB>");
    expect(ran).toEqual([]);
  });

  test("an approval that comes too late is refused and the request says it expired", async () => {
    const { post } = await posted([KILL]);
    await drive.click(ALICE, runButton(post()) ?? fail(), post().ts);
    const approval = approvalIn(post());
    const approve = buttonsOf(approval).find((b) => b.action_id === "fw_approve") ?? fail();
    now += 11 * 60_000;
    expect(await drive.click(BOB, approve, approval?.ts ?? "")).toContain("approval_expired");
    expect(ran).toEqual([]);
    expect(approval?.text).toContain("expired before a second person approved it");
    expect(buttonsOf(approval)).toEqual([]);
  });

  test("the requester may withdraw their own request", async () => {
    const { id, post } = await posted([KILL]);
    await drive.click(ALICE, runButton(post()) ?? fail(), post().ts);
    const approval = approvalIn(post());
    const [approve, deny] = [buttonsOf(approval).find((b) => b.action_id === "fw_approve") ?? fail(), buttonsOf(approval).find((b) => b.action_id === "fw_deny") ?? fail()];
    expect(await drive.click(ALICE, deny, approval?.ts ?? "")).toContain("Denied");
    expect(await drive.click(BOB, approve, approval?.ts ?? "")).toContain("denied by <@U0ALICE>");
    expect(await store.listAudit({ target: id, action: "action.denied" })).toHaveLength(1);
    expect(ran).toEqual([]);
  });

  test("an altered token in a genuine click is refused; forged, tampered, stale and replayed clicks never reach the guard", async () => {
    const { post } = await posted([CLEAN]);
    const b = runButton(post()) ?? fail();
    const altered = { ...b, value: b.value.replace(/^./, (c) => (c === "e" ? "f" : "e")) };
    expect(await drive.click(ALICE, altered, post().ts)).toMatch(/malformed|bad_signature/);
    const body = new URLSearchParams({ payload: JSON.stringify({ type: "block_actions", user: { id: ALICE }, channel: { id: CH }, actions: [{ action_id: "fw_act:0", block_id: b.block_id, value: b.value }] }) }).toString();
    expect(await drive.sendSigned(body, { secret: "not-the-secret" })).toBe(401);
    expect(await drive.sendSigned(body, { tamper: (x) => x.replace("U0ALICE", "U0BOBBY") })).toBe(401);
    expect(await drive.sendSigned(body, { at: now - 6 * 60_000 })).toBe(401);
    expect(ran).toEqual([]);
    // A captured genuine click sent again: the receiver refuses the replay before the guard sees it.
    const [first, replay] = await drive.sendTwice(body);
    expect([first, replay]).toEqual([200, 401]);
    await slack.waitFor(() => (ran.length === 1 ? true : undefined));
    expect(ran).toHaveLength(1);
  });
});

function fail(): never {
  throw new Error("button not found");
}
