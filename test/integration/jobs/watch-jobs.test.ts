// Failed BullMQ jobs live in `firewatch watch`: each emitted once across kill -9, seed 000 joined, cleaned from Slack.
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { runJobs, testRedis } from "../../harness/bullmq.js";
import { startFakeSlack, type FakeSlack } from "../../harness/fake-slack.js";
import { freePort, makeTempDir } from "../../harness/program.js";
import { redisAvailability, startRedis, type RedisInstance } from "../../harness/redis.js";
import { crashLoop } from "../bot/rogue.js";
import { buttonsOf, slackDriver } from "../bot/slack-driver.js";
import { startWatch, storedIncidents, writeConfig, type WatchProcess } from "../daemon/watch-process.js";
import { Queue, QueueEvents, Worker } from "bullmq";
import { pino } from "pino";
import { decodeSourceCursor, encodeSourceCursor } from "../../../src/daemon/cursors.js";
import type { SourceEntry } from "../../../src/config/index.js";
import { sourceLane, type LinkState, type SourceBatch } from "../../../src/daemon/source-runner.js";
import { LocalHost } from "../../../src/hosts/index.js";
import { QueueReader } from "../../../src/jobs/index.js";
import { systemClock } from "../../../src/time.js";

const avail = redisAvailability();
const LEGACY = "Automatic decryption not yet implemented - requires manual trigger";

describe.skipIf(avail.missing !== undefined)(`firewatch watch with a bullmq source ${avail.missing ?? ""}`, () => {
  let redis: RedisInstance;
  let dir: { path: string; remove(): Promise<void> };
  const running: WatchProcess[] = [];
  beforeAll(async () => {
    redis = await startRedis();
    dir = await makeTempDir("watch-jobs");
  });
  afterAll(async () => {
    for (const w of running) if (w.proc.child.exitCode === null && w.proc.child.signalCode === null) await w.kill9();
    await redis?.cleanup();
    await dir?.remove();
  });

  const fails = (n: number, reason: string, tag: string) => Array.from({ length: n }, (_, i) => ({ data: { n: i, tag }, fail: reason }));

  test("each failed job is counted once across kill -9 and restarts; failures after a restart are counted", { timeout: 110_000 }, async () => {
    const state = path.join(dir.path, "state-noloss");
    const config = await writeConfig(path.join(dir.path, "noloss.yaml"), {
      sources: [{ kind: "bullmq", name: "jobs", redis: redis.url, queues: ["processing"], poll: "100ms", service: "processor" }],
      store: { url: `file:${state}` },
    });
    let failed = 0;
    const more = async (n: number, tag: string) => {
      await runJobs(redis.url, "processing", fails(n, LEGACY, tag));
      failed += n;
    };
    await more(1200, "before");
    for (let cycle = 0; cycle < 3; cycle++) {
      const w = startWatch(config);
      running.push(w);
      // Killed right after its first commit (the 1,200 jobs go out in batches of 512: it may come between two).
      const before = failed;
      await w.waitFor((c) => c.findings.some((f) => f.rule === "legacy_encryption"));
      await w.kill9();
      await more(150, `after-${cycle}`);
      expect(failed).toBeGreaterThan(before);
    }
    const last = startWatch(config, ["--once-idle"]);
    running.push(last);
    expect((await last.exit()).code).toBe(0);
    const incidents = await storedIncidents(state);
    const findings = incidents.flatMap((s) => s.incident.findings).filter((f) => f.rule === "legacy_encryption");
    expect(findings).toHaveLength(1);
    expect(findings[0]?.count).toBe(failed);
    expect(findings[0]?.fields.queue).toBe("processing");
    expect(incidents[0]?.incident.service).toBe("processor");
  });

  test("Redis down: the lane reports retrying, then connected and the jobs failed meanwhile once Redis is back", { timeout: 60_000 }, async () => {
    await runJobs(redis.url, "outage", fails(3, LEGACY, "first"));
    const links: LinkState[] = [];
    const stop = new AbortController();
    const entry: SourceEntry = { kind: "bullmq", name: "q", host: "local", retries: 5, redis: redis.url, queues: ["outage"], prefix: "bull", poll: 100 };
    const lane = sourceLane(entry, undefined, { host: () => new LocalHost({ name: "local" }), clock: systemClock, log: pino({ level: "silent" }), onLink: (_s, _h, st) => links.push(st), random: () => 0 }, stop.signal);
    const it = lane.items[Symbol.asyncIterator]();
    const records = async (n: number, first?: ReturnType<typeof it.next>) => {
      let got = 0;
      let next = first ?? it.next();
      for (;;) {
        const r = await next;
        const batch: SourceBatch = r.done === true ? [] : r.value;
        got += batch.filter((i) => i.record !== undefined).length;
        if (got >= n) return got;
        next = it.next();
      }
    };
    try {
      expect(await records(3)).toBe(3);
      await redis.kill9();
      // The lane's next poll fails; the runner says so and keeps trying (this next() resolves once Redis is back).
      const pending = it.next();
      await vi.waitFor(() => expect(links).toContain("retrying"), { timeout: 20_000, interval: 50 });
      await redis.restart();
      await runJobs(redis.url, "outage", fails(2, LEGACY, "second"));
      expect(await records(2, pending)).toBe(2);
      expect(links.at(-1)).toBe("connected");
    } finally {
      stop.abort();
      await it.return?.(undefined);
    }
  });

  test("a queue whose keys are not BullMQ's is skipped; the other queues of the source are still read", { timeout: 30_000 }, async () => {
    await runJobs(redis.url, "good", fails(2, LEGACY, "good"));
    const client = testRedis(redis.url);
    try {
      await client.set("bull:broken:failed", "not a sorted set");
    } finally {
      client.disconnect();
    }
    const stop = new AbortController();
    const entry: SourceEntry = { kind: "bullmq", name: "two", host: "local", retries: 5, redis: redis.url, queues: ["broken", "good"], prefix: "bull", poll: 100 };
    const links: LinkState[] = [];
    const lane = sourceLane(entry, undefined, { host: () => new LocalHost({ name: "local" }), clock: systemClock, log: pino({ level: "silent" }), onLink: (_s, _h, st) => links.push(st), untilCaughtUp: true }, stop.signal);
    const got: string[] = [];
    for await (const batch of lane.items) for (const i of batch) if (i.record) got.push(`${i.record.fields.queue ?? ""}/${i.record.fields.job_id ?? ""}`);
    expect(got).toHaveLength(2);
    expect(got.every((g) => g.startsWith("good/"))).toBe(true);
    expect(links).toEqual(["connected"]);
  });

  test("a job retried and failing again is a new event; read again from the cursor, nothing else is", { timeout: 30_000 }, async () => {
    await runJobs(redis.url, "retried", [{ data: {}, fail: LEGACY, jobId: "r1" }, { data: {}, fail: LEGACY, jobId: "r2" }]);
    const entry: SourceEntry = { kind: "bullmq", name: "r", host: "local", retries: 5, redis: redis.url, queues: ["retried"], prefix: "bull", poll: 100 };
    /** One catch-up read of the lane from `stored`: the records' job ids@time and the cursor to store. */
    const readOnce = async (stored: string | undefined) => {
      const got: string[] = [];
      let cursor = stored;
      const parts = new Map<string, string>();
      const lane = sourceLane(entry, stored, { host: () => new LocalHost({ name: "local" }), clock: systemClock, log: pino({ level: "silent" }), onLink: () => undefined, untilCaughtUp: true }, new AbortController().signal);
      for await (const batch of lane.items) {
        for (const i of batch) {
          if (i.record) got.push(`${i.record.fields.job_id ?? ""}@${i.record.time ?? ""}`);
          if (i.cursor !== undefined) parts.set(i.part, i.cursor);
        }
      }
      if (parts.size > 0) cursor = encodeSourceCursor(new Map([...decodeSourceCursor(stored), ...parts]));
      return { got, cursor };
    };
    const first = await readOnce(undefined);
    expect(first.got.map((g) => g.split("@")[0]).sort()).toEqual(["r1", "r2"]);
    expect((await readOnce(first.cursor)).got).toEqual([]);
    // r1 is retried by hand and fails again, later.
    const queue = new Queue("retried", { connection: { url: redis.url, maxRetriesPerRequest: null } });
    const events = new QueueEvents("retried", { connection: { url: redis.url, maxRetriesPerRequest: null } });
    await events.waitUntilReady();
    const failedAgain = new Promise<void>((resolve) => events.on("failed", ({ jobId }) => jobId === "r1" && resolve()));
    const worker = new Worker("retried", async () => { throw new Error(LEGACY); }, { connection: { url: redis.url, maxRetriesPerRequest: null } });
    try {
      await (await queue.getJob("r1"))?.retry("failed");
      await failedAgain;
    } finally {
      await worker.close();
      await events.close();
      await queue.close();
    }
    const third = await readOnce(first.cursor);
    expect(third.got).toHaveLength(1);
    expect(third.got[0]?.startsWith("r1@")).toBe(true);
    expect(first.got).not.toContain(third.got[0]);
    expect((await readOnce(third.cursor)).got).toEqual([]);
  });

  test("seed 000 live: stale jobs join the port-conflict incident, and its clean button removes the completed ones", { timeout: 110_000 }, async () => {
    const CH = "C0ONCALL";
    const SECRET = "watch-jobs-signing-secret";
    const env: Record<string, string> = {
      FIREWATCH_SLACK__BOT_TOKEN: "xoxb-test-token",
      FIREWATCH_SLACK__SIGNING_SECRET: SECRET,
      FIREWATCH_GUARD__SECRET: "0123456789abcdef0123456789abcdef-jobs",
    };
    const saved = new Map<string, string | undefined>();
    const slack: FakeSlack = await startFakeSlack();
    let w: WatchProcess | undefined;
    try {
      for (const [k, v] of Object.entries(env)) {
        saved.set(k, process.env[k]);
        process.env[k] = v;
      }
      const root = path.join(dir.path, "whisper");
      const DONE = "08 Masterclass QA Session with Leif and Paul.m4a";
      const NOT_DONE = "04 Interview - Baptism of Love.m4a";
      await mkdir(path.join(root, "done", "Course"), { recursive: true });
      await writeFile(path.join(root, "done", "Course", DONE), "audio");
      const inbox = (f: string) => path.join(root, "inbox", "Course", f);
      const stale = (f: string) => ({ data: { filePath: inbox(f) }, fail: `Input file not accessible: ${inbox(f)}` });
      await runJobs(redis.url, "transcription", [stale(DONE), stale(DONE), stale(DONE), stale(NOT_DONE), stale(NOT_DONE)]);
      const UNIT = "transcription-palantir";
      const log = path.join(dir.path, "journal.log");
      await writeFile(log, crashLoop(UNIT, 476, 485, Date.now(), "Error: Failed to start server. Is port 9003 in use?"));
      const receiver = await freePort();
      const state = path.join(dir.path, "state-seed000");
      const config = await writeConfig(path.join(dir.path, "seed000.yaml"), {
        hosts: { mithrandir: { kind: "local" } },
        sources: [
          { kind: "file", name: "journal", host: "mithrandir", paths: [log], startAt: "beginning", poll: "100ms" },
          // completedDir is not the /inbox/ → /completed/ default: the probe must search it.
          { kind: "bullmq", name: "queue", host: "mithrandir", redis: redis.url, queues: ["transcription"], poll: "200ms", service: UNIT, completedDir: path.join(root, "done") },
        ],
        store: { url: `file:${state}` },
        slack: { apiUrl: slack.apiUrl, port: receiver, poll: 1000, minUpdateInterval: 1000, routing: { channel: CH } },
        guard: { actions: { clean_failed_jobs: { users: ["U0ALICE"], channels: [CH], hosts: ["mithrandir"], targets: ["transcription"] } } },
      });
      w = startWatch(config);
      running.push(w);

      const label = "Clean failed jobs of transcription";
      const post = () => slack.postsIn(CH).find((m) => buttonsOf(m).some((b) => b.text === label));
      const withButton = await slack.waitFor(post, 60_000);
      const button = buttonsOf(withButton).find((b) => b.text === label);
      const drive = slackDriver(slack, `http://127.0.0.1:${receiver}/slack/events`, SECRET, Date.now, CH);
      const done = await drive.click("U0ALICE", button ?? fail(), withButton.ts);
      expect(done, done).toContain("done");
      expect(slack.repliesTo(CH, withButton.ts).map((m) => m.text).join("\n")).toContain("transcription: failed jobs 5 → 2");

      // The real queue: the three jobs whose file is completed are gone; the two whose file is not stay.
      const reader = await QueueReader.connect(redis.url);
      try {
        const snap = await reader.snapshot("transcription");
        expect(snap.counts.failed).toBe(2);
        expect(snap.failed.every((j) => j.failedReason.includes(NOT_DONE))).toBe(true);
      } finally {
        await reader.close();
      }

      expect(await w.term()).toBe(0);
      w = undefined;
      const incidents = (await storedIncidents(state)).filter((s) => s.incident.findings.some((f) => f.rule === "stale_job_queue"));
      expect(incidents).toHaveLength(1);
      const incident = incidents[0]!.incident;
      expect(incident.host).toBe("mithrandir");
      expect(incident.findings.map((f) => f.rule)).toEqual(expect.arrayContaining(["eaddrinuse_loop", "stale_job_queue"]));
      const finding = incident.findings.find((f) => f.rule === "stale_job_queue");
      expect(finding?.count).toBe(5);
      expect(finding?.fields.queue).toBe("transcription");
      expect(finding?.table?.rows).toEqual([
        [DONE, "3", "✅ Already completed"],
        [NOT_DONE, "2", "❌ Not completed"],
      ]);
    } finally {
      if (w) await w.term().catch(() => undefined);
      for (const [k, v] of saved) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      await slack.close();
    }
  });
});

function fail(): never {
  throw new Error("button not found");
}
