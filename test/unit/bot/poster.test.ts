import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { createSlackClient } from "../../../src/bot/client.js";
import { createIncidentPoster, type PosterOptions } from "../../../src/bot/poster.js";
import { SlackRoutingSchema } from "../../../src/bot/routing.js";
import type { Incident } from "../../../src/incidents/index.js";
import { FileStore, type Store } from "../../../src/store/index.js";
import { startFakeSlack, type FakeSlack } from "../../harness/fake-slack.js";
import { makeTempDir } from "../../harness/program.js";
import { finding, incident, manualClock, T0 } from "./support.js";

const CH = "C0INCIDENT";
const routing = SlackRoutingSchema.parse({ channel: CH, bySeverity: { low: "C0LOW" }, byRule: { stale_job_queue: "C0JOBS" } });

let slack: FakeSlack;
let dir: { path: string; remove(): Promise<void> };
let store: Store;
let clock: ReturnType<typeof manualClock>;

beforeEach(async () => {
  clock = manualClock(T0 + 5_000_000);
  slack = await startFakeSlack({ now: clock.now });
  dir = await makeTempDir("bot-poster");
  store = await FileStore.open(dir.path, { clock });
});
afterEach(async () => {
  await store.close();
  await slack.close();
  await dir.remove();
});

function poster(over: Partial<PosterOptions> = {}) {
  return createIncidentPoster({ client: createSlackClient({ token: "xoxb-test-token", apiUrl: slack.apiUrl }), store, clock, routing, minUpdateIntervalMs: 5_000, ...over });
}

// Each restart is ~9 s after the previous one (seed 000), so a higher counter is also a later lastSeen.
const counter = (n: number): Incident => {
  const lastSeen = T0 + n * 9_000;
  return incident({
    lastSeen,
    findings: [finding({ lastSeen }), finding({ rule: "systemd_restart_loop", count: n, lastSeen, fields: { unit: "transcription-palantir", counter: String(n) } })],
  });
};

const blocksText = (m: { blocks: unknown[] } | undefined) => JSON.stringify(m?.blocks ?? []);

describe("incident poster", () => {
  test("posts a new incident once, with its evidence in the thread, and stores the ts", async () => {
    const p = poster();
    p.notify(await store.upsert(counter(476)));
    expect(await p.flush()).toMatchObject({ posted: 1, updated: 0, deferred: 0 });
    const posts = slack.postsIn(CH);
    expect(posts).toHaveLength(1);
    expect(blocksText(posts[0])).toContain("restart counter *476*");
    expect((await store.get("fw-de060825"))?.slack).toEqual({ channel: CH, ts: posts[0]?.ts });
    expect(blocksText(slack.repliesTo(CH, posts[0]?.ts ?? "")[0])).toContain("Is port 9003 in use?");
  });

  test("later snapshots update the SAME message, coalesced to one update per interval", async () => {
    const p = poster();
    p.notify(await store.upsert(counter(476)));
    await p.flush();
    for (const n of [478, 480, 483]) p.notify(await store.upsert(counter(n)));
    expect(await p.flush()).toMatchObject({ updated: 0, deferred: 1 });
    clock.advance(5_000);
    p.notify(await store.upsert(counter(485)));
    expect(await p.flush()).toMatchObject({ posted: 0, updated: 1, deferred: 0 });
    expect(slack.callsOf("chat.postMessage").filter((c) => c.args["thread_ts"] === undefined)).toHaveLength(1);
    expect(slack.callsOf("chat.update")).toHaveLength(1);
    const [post] = slack.postsIn(CH);
    expect(post?.edits).toBe(1);
    expect(blocksText(post)).toContain("restart counter *485*");
  });

  test("a 429 is honoured: no call before Retry-After, then the latest state is sent", async () => {
    const p = poster();
    p.notify(await store.upsert(counter(476)));
    await p.flush();
    slack.rateLimit("chat.update", 1, 30);
    clock.advance(5_000);
    p.notify(await store.upsert(counter(480)));
    expect(await p.flush()).toMatchObject({ updated: 0, deferred: 1 });
    expect(slack.callsOf("chat.update").map((c) => c.status)).toEqual([429]);
    clock.advance(29_000);
    p.notify(await store.upsert(counter(485)));
    expect(await p.flush()).toMatchObject({ updated: 0, deferred: 1 });
    expect(slack.callsOf("chat.update")).toHaveLength(1);
    clock.advance(1_000);
    expect(await p.flush()).toMatchObject({ updated: 1, deferred: 0 });
    expect(blocksText(slack.postsIn(CH)[0])).toContain("restart counter *485*");
  });

  test("a rate-limited thread reply is sent after Retry-After, once", async () => {
    const p = poster();
    slack.rateLimit("chat.postMessage", 1, 10, 1); // the post goes through, its evidence reply gets a 429
    p.notify(await store.upsert(counter(476)));
    expect(await p.flush()).toMatchObject({ posted: 1 });
    const [post] = slack.postsIn(CH);
    expect(slack.repliesTo(CH, post?.ts ?? "")).toHaveLength(0);
    await p.flush();
    expect(slack.callsOf("chat.postMessage")).toHaveLength(2);
    clock.advance(10_000);
    await p.flush();
    expect(slack.repliesTo(CH, post?.ts ?? "")).toHaveLength(1);
    await p.flush();
    expect(slack.repliesTo(CH, post?.ts ?? "")).toHaveLength(1);
  });

  test("a failed post is retried later and posted exactly once", async () => {
    const p = poster();
    slack.failNext("chat.postMessage", 1);
    p.notify(await store.upsert(counter(476)));
    expect(await p.flush()).toMatchObject({ posted: 0, deferred: 1 });
    expect(await p.flush()).toMatchObject({ posted: 0, deferred: 1 }); // backing off
    clock.advance(2_000);
    expect(await p.flush()).toMatchObject({ posted: 1, deferred: 0 });
    expect(slack.postsIn(CH)).toHaveLength(1);
  });

  test("a post whose answer was lost is found in the channel, not posted twice", async () => {
    const p = poster();
    slack.loseAnswerNext("chat.postMessage", 1);
    p.notify(await store.upsert(counter(476)));
    await p.flush();
    expect(slack.postsIn(CH)).toHaveLength(1);
    clock.advance(2_000);
    await p.flush();
    const posts = slack.postsIn(CH);
    expect(posts).toHaveLength(1);
    expect((await store.get("fw-de060825"))?.slack?.ts).toBe(posts[0]?.ts);
    expect(slack.repliesTo(CH, posts[0]?.ts ?? "")).toHaveLength(1);
  });

  test("a restart between posting and storing the ts adopts the post instead of posting again", async () => {
    let crash = true;
    const crashing: Store = Object.create(store, {
      setSlackRef: { value: (id: string, ref: { channel: string; ts: string }) => (crash ? Promise.reject(new Error("killed")) : store.setSlackRef(id, ref)) },
    }) as Store;
    const first = poster({ store: crashing });
    first.notify(await store.upsert(counter(476)));
    await expect(first.flush()).rejects.toThrow("killed");
    expect(slack.postsIn(CH)).toHaveLength(1);
    crash = false;
    await store.upsert(counter(485));
    const second = poster(); // a new process: nothing in memory
    await second.resync();
    await second.flush();
    await second.flush();
    const posts = slack.postsIn(CH);
    expect(posts).toHaveLength(1);
    expect((await store.get("fw-de060825"))?.slack?.ts).toBe(posts[0]?.ts);
    expect(blocksText(posts[0])).toContain("restart counter *485*");
    // The evidence reply the first process never sent is sent once by the second.
    expect(slack.repliesTo(CH, posts[0]?.ts ?? "")).toHaveLength(1);
  });

  test("acknowledging, resolving and reopening change the post; reopening says so in the thread", async () => {
    const p = poster();
    p.notify(await store.upsert(counter(476)));
    await p.flush();
    await store.acknowledge("fw-de060825", "slack:U024BE7LH");
    p.touch("fw-de060825");
    expect(await p.flush()).toMatchObject({ updated: 1 });
    expect(blocksText(slack.postsIn(CH)[0])).toContain("Acknowledged by <@U024BE7LH>");
    await store.resolve("fw-de060825", "slack:U024BE7LH");
    p.touch("fw-de060825");
    await p.flush();
    expect(blocksText(slack.postsIn(CH)[0])).toContain("Resolved by <@U024BE7LH>");
    clock.advance(60_000);
    const reopened = await store.upsert(counter(490));
    expect(reopened.outcome).toBe("reopened");
    p.notify(reopened);
    await p.flush();
    const [post] = slack.postsIn(CH);
    expect(blocksText(post)).toContain("Reopened* (1 time)");
    expect(slack.repliesTo(CH, post?.ts ?? "").map((r) => r.text)).toContain("Reopened fw-de060825");
    expect(slack.postsIn(CH)).toHaveLength(1);
  });

  test("a deleted post is posted again and the new ts replaces the old one", async () => {
    const p = poster();
    p.notify(await store.upsert(counter(476)));
    await p.flush();
    const [old] = slack.postsIn(CH);
    slack.messages.delete(`${CH}/${old?.ts ?? ""}`);
    clock.advance(5_000);
    p.notify(await store.upsert(counter(480)));
    expect(await p.flush()).toMatchObject({ posted: 1 });
    const ref = (await store.get("fw-de060825"))?.slack;
    expect(ref?.ts).not.toBe(old?.ts);
    expect(slack.messages.has(`${CH}/${ref?.ts ?? ""}`)).toBe(true);
  });

  test("routes by rule first, then severity, then the default channel; observed incidents are not posted", async () => {
    const p = poster();
    p.notify(await store.upsert(incident({ fingerprint: "a".repeat(64), id: "fw-aaaaaaaa", findings: [finding({ rule: "stale_job_queue", groupKey: "s" })] })));
    p.notify(await store.upsert(incident({ fingerprint: "b".repeat(64), id: "fw-bbbbbbbb", severity: "low", findings: [finding({ severity: "low", groupKey: "l" })] })));
    p.notify(await store.upsert(incident({ fingerprint: "c".repeat(64), id: "fw-cccccccc", status: "observed", findings: [finding({ state: "observed", groupKey: "o" })] })));
    expect(await p.flush()).toMatchObject({ posted: 2, deferred: 0 });
    expect(slack.postsIn("C0JOBS")).toHaveLength(1);
    expect(slack.postsIn("C0LOW")).toHaveLength(1);
    expect(slack.postsIn(CH)).toHaveLength(0);
  });

  test("a refused token drops the post instead of retrying forever", async () => {
    const p = createIncidentPoster({ client: createSlackClient({ token: "xoxb-wrong", apiUrl: slack.apiUrl }), store, clock, routing });
    p.notify(await store.upsert(counter(476)));
    expect(await p.flush()).toMatchObject({ posted: 0, dropped: 1, deferred: 0 });
    expect(slack.callsOf("chat.postMessage").map((c) => c.error)).toEqual(["invalid_auth"]);
  });
});

describe("thread replies", () => {
  test("probe output goes in the incident's thread as an escaped code block", async () => {
    const p = poster();
    expect(await p.replyInThread("fw-de060825", "*Port owner*", "x")).toBe(false); // no post yet
    p.notify(await store.upsert(counter(476)));
    await p.flush();
    expect(await p.replyInThread("fw-de060825", "*Port owner* (`ss -ltnp`)", 'LISTEN 0 512 *:9003 users:(("bun",pid=1573680,fd=13)) <!channel>')).toBe(true);
    await p.flush();
    const [post] = slack.postsIn(CH);
    const replies = slack.repliesTo(CH, post?.ts ?? "");
    expect(replies).toHaveLength(2);
    expect(blocksText(replies[1])).toContain("pid=1573680");
    expect(blocksText(replies[1])).toContain("&lt;!channel&gt;");
  });
});

describe("incident poster after a resync", () => {
  test("an incident whose message would not change is not updated again", async () => {
    const p = poster();
    p.notify(await store.upsert(counter(476)));
    await p.flush();
    clock.advance(60_000);
    await p.resync();
    expect(p.pending()).toBe(1);
    expect(await p.flush()).toMatchObject({ updated: 0, deferred: 0 });
    expect(slack.callsOf("chat.update")).toHaveLength(0);
  });

  test("probe results go in the thread once per distinct set, also across posters sharing the store", async () => {
    const claimAs = (owner: string) => async (key: string, ttlMs: number) => {
      const r = await store.claim(key, owner, ttlMs);
      return r.claimed || r.owner === owner;
    };
    const p1 = poster({ claim: claimAs("one") });
    const created = await store.upsert(counter(476));
    p1.notify(created);
    await p1.flush();
    const ts = slack.postsIn(CH)[0]?.ts ?? "";
    const probe = { probe: "port_owner", params: { port: 9003 }, host: "mithrandir", at: T0, ok: true, summary: "PID 1573680 (node <!channel>) holds 9003, PPID 1", data: {} };
    await store.setProbes(created.incident.incident.id, [probe]);
    p1.touch(created.incident.incident.id);
    await p1.flush();
    const probeReplies = () => slack.repliesTo(CH, ts).filter((m) => m.text.startsWith("Probe results"));
    expect(probeReplies()).toHaveLength(1);
    expect(blocksText(probeReplies()[0])).toContain("PID 1573680 (node &lt;!channel&gt;) holds 9003");
    expect(blocksText(slack.postsIn(CH)[0])).toContain("🔎 `port_⁠owner` on mithrandir");

    // A second poster (another process after a restart) renders the same post: the probes are not repeated.
    const p2 = poster({ claim: claimAs("two") });
    await p2.resync();
    clock.advance(10_000);
    await p2.flush();
    expect(probeReplies()).toHaveLength(1);

    // New results: one more reply.
    await store.setProbes(created.incident.incident.id, [{ ...probe, at: T0 + 60_000, summary: "nothing listens on 9003" }]);
    p1.touch(created.incident.incident.id);
    await p1.flush();
    expect(probeReplies()).toHaveLength(2);
    expect(slack.postsIn(CH)).toHaveLength(1);
  });
});

describe("incident poster following the store's change feed", () => {
  const remediation = async (s: { status: string }) =>
    [{ type: "actions" as const, block_id: "fw_remediation", elements: [{ type: "button" as const, text: { type: "plain_text" as const, text: `Kill (${s.status})` }, action_id: "fw_act", value: "t" }] }];

  test("a resolve made elsewhere (no notify, no touch) updates the post at the next follow, without the buttons", async () => {
    const p = poster({ extraBlocks: remediation });
    p.notify(await store.upsert(counter(476)));
    await p.flush();
    expect(await p.follow()).toBe(0); // the first read only notes where the feed is
    const [before] = slack.postsIn(CH);
    expect(blocksText(before)).toContain("fw_act");
    expect(blocksText(before)).toContain("fw_resolve");
    // Another process (the CLI) resolves it in the shared store: this poster hears it only through the feed.
    await store.resolve("fw-de060825", "cli:alice");
    expect(await p.follow()).toBe(1);
    expect(await p.flush()).toMatchObject({ updated: 1 });
    const [after] = slack.postsIn(CH);
    expect(after?.ts).toBe(before?.ts);
    expect(blocksText(after)).toContain("Resolved by cli:alice");
    expect(blocksText(after)).not.toContain("fw_act");
    expect(blocksText(after)).not.toContain("fw_resolve");
    expect(blocksText(after)).not.toContain("fw_ack");
  });

  test("an ack elsewhere is urgent (no coalescing wait); new activity from another daemon waits its interval", async () => {
    const p = poster();
    p.notify(await store.upsert(counter(476)));
    await p.flush();
    await p.follow();
    await store.upsert(counter(480));
    await p.follow();
    expect(await p.flush()).toMatchObject({ updated: 0, deferred: 1 });
    await store.acknowledge("fw-de060825", "cli:bob");
    await p.follow();
    expect(await p.flush()).toMatchObject({ updated: 1, deferred: 0 });
    expect(blocksText(slack.postsIn(CH)[0])).toContain("Acknowledged by cli:bob");
  });

  test("a silence added elsewhere shows on the post; its own slack reference is not a change worth an update", async () => {
    const p = poster();
    p.notify(await store.upsert(counter(476)));
    await p.flush();
    await p.follow();
    expect(await p.follow()).toBe(0);
    const sil = await store.addSilence({ match: { host: "mithrandir" }, by: "cli:carol", durationMs: 3_600_000 });
    expect(await p.follow()).toBe(1);
    await p.flush();
    expect(blocksText(slack.postsIn(CH)[0])).toContain(`silenced by \`${sil.id}\``);
  });
});

describe("incident poster behind the change feed", () => {
  test("a feed that moved on past the poster's mark (lost) re-reads every posted incident changed since", async () => {
    let lose = false;
    const lossy: Store = new Proxy(store, {
      get(target, prop, receiver) {
        if (prop === "changes" && lose) return async () => ({ next: "999999", changes: [], lost: true });
        const v: unknown = Reflect.get(target, prop, receiver);
        return typeof v === "function" ? v.bind(target) : v;
      },
    });
    const p = poster({ store: lossy });
    p.notify(await store.upsert(counter(476)));
    await p.flush();
    await p.follow();
    clock.advance(1_000);
    await store.resolve("fw-de060825", "cli:dave");
    lose = true;
    expect(await p.follow()).toBe(1);
    await p.flush();
    expect(blocksText(slack.postsIn(CH)[0])).toContain("Resolved by cli:dave");
  });
});
