// `firewatch jobs` against real BullMQ queues in a real redis-server: seed 003's summary, seed 000's table, guarded clean.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { Command } from "commander";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { localActor } from "../../../src/cli/actor.js";
import { registerJobs } from "../../../src/cli/jobs.js";
import { FileStore } from "../../../src/store/index.js";
import { systemClock } from "../../../src/time.js";
import { addWaiting, holdActive, runJobs, testRedis, type JobSpec } from "../../harness/bullmq.js";
import { redisAvailability, startRedis, type RedisInstance } from "../../harness/redis.js";

const avail = redisAvailability();

const SEED_003: readonly [string, number][] = [
  ["Automatic decryption not yet implemented - requires manual trigger", 4],
  ["Exceeded maximum retries (3)", 3],
  ["Transcription failed or too short", 2],
  ["MAC check failed", 2],
  ["File does not start with RIFF id", 1],
  ["Transcription processing timeout", 1],
];
const DONE_A = "08 Masterclass QA Session with Leif and Paul.m4a";
const DONE_B = "04 Interview - Baptism of Love.m4a";
const MISSING = "09 Never Processed.m4a";

interface Run { out: string; code: number | undefined }

describe.skipIf(avail.missing !== undefined)(`firewatch jobs on real BullMQ queues ${avail.missing ?? ""}`, () => {
  let redis: RedisInstance;
  let client: Redis;
  let root: string;
  let storeDir: string;

  async function cli(args: readonly string[]): Promise<Run> {
    let out = "";
    let code: number | undefined;
    const program = new Command("firewatch").exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
    // No terminal: `jobs clean` must be told --yes. The guard's secret as an operator would set it.
    const stdin = Object.assign(Readable.from([]), { isTTY: false });
    registerJobs(program, { stdout: { write: (s: string) => (out += s) }, env: { USER: "alice", FIREWATCH_GUARD__SECRET: "s".repeat(48) }, clock: systemClock, setExitCode: (c) => { code = c; }, stdin });
    await program.parseAsync(["node", "firewatch", ...args]);
    return { out, code };
  }

  /** A firewatch.yaml whose guard allows clean_failed_jobs for this OS user from the CLI, on this host. */
  let configs = 0;
  async function guardConfig(policy: { targets: string[]; categories?: string[]; destructive?: boolean }): Promise<string> {
    const file = join(root, `firewatch-${++configs}.yaml`);
    const lines = [
      "guard:",
      "  actions:",
      "    clean_failed_jobs:",
      `      users: ["${localActor()}"]`,
      '      channels: ["cli"]',
      '      hosts: ["local"]',
      `      targets: ${JSON.stringify(policy.targets)}`,
      ...(policy.categories === undefined ? [] : [`      categories: ${JSON.stringify(policy.categories)}`]),
      ...(policy.destructive === undefined ? [] : [`      destructive: ${policy.destructive}`]),
    ];
    await writeFile(file, `${lines.join("\n")}\n`);
    return file;
  }

  const inbox = (file: string) => join(root, "inbox", "Kingdom Life Blueprint", "Chapter 3", file);

  beforeAll(async () => {
    redis = await startRedis();
    client = testRedis(redis.url);
    root = await mkdtemp(join(tmpdir(), "fw-jobs-"));
    storeDir = join(root, "state");
    // Seed 000: two files already moved to completed/, one never processed; their inbox paths are gone.
    await mkdir(join(root, "completed", "Kingdom Life Blueprint", "Chapter 3"), { recursive: true });
    await mkdir(join(root, "inbox"), { recursive: true });
    for (const f of [DONE_A, DONE_B]) await writeFile(join(root, "completed", "Kingdom Life Blueprint", "Chapter 3", f), "audio");

    const specs: JobSpec[] = [];
    for (const [reason, n] of SEED_003) for (let i = 0; i < n; i++) specs.push({ data: { filePath: `/audio/${i}.3gp` }, fail: reason });
    specs[specs.length - 1] = { data: { filePath: "/audio/t.3gp" }, fail: "Transcription processing timeout", attempts: 2 };
    specs.push({ data: {}, fail: "Something nobody has a rule for" });
    specs.push({ data: { filePath: "/audio/ok1.3gp" } }, { data: { filePath: "/audio/ok2.3gp" } });
    await runJobs(redis.url, "processing", specs);

    const stale: JobSpec[] = [];
    const add = (file: string, n: number) => {
      for (let i = 0; i < n; i++) stale.push({ data: { filePath: inbox(file) }, fail: `Input file not accessible: ${inbox(file)}` });
    };
    add(DONE_A, 3);
    add(DONE_B, 2);
    add(MISSING, 1);
    await runJobs(redis.url, "transcription", stale);
  });

  afterAll(async () => {
    await client?.quit();
    await redis?.cleanup();
    if (root) await rm(root, { recursive: true, force: true });
  });

  test("the summary has seed 003's shape: status breakdown, counts per category, the documented solution", async () => {
    const { out, code } = await cli(["jobs", "--redis", redis.url, "--queue", "processing"]);
    expect(code).toBe(1);
    expect(out).toMatch(/\[SUMMARY\] Status Breakdown:\n\s+✅ completed:\s+2\n\s+❌ failed:\s+14\n/);
    const cats = out.slice(out.indexOf("[ERROR CATEGORIES]"), out.indexOf("[DETAILED ERROR BREAKDOWN]"));
    expect(cats.trim().split("\n").slice(1).map((l) => l.trim())).toEqual([
      "legacy_encryption: 4",
      "max_retries: 3",
      "decryption_error: 2",
      "transcription_failed: 2",
      "format_error: 1",
      "timeout: 1",
      "uncategorized: 1",
    ]);
    expect(out).toContain("LEGACY_ENCRYPTION (4 jobs):\n    → SOLUTION: delete these audio files from S3");
    expect(out).toContain("MAX_RETRIES (3 jobs):\n    → SOLUTION: check logs, fix root cause, retry");
    expect(out).toContain("TRANSCRIPTION_FAILED (2 jobs):\n    → SOLUTION: may need manual review");
    expect(out).toContain("DECRYPTION_ERROR (2 jobs):\n    → SOLUTION: Delete the job and the associated audio file");
    expect(out).toContain("FORMAT_ERROR (1 job):\n    → SOLUTION: Fix ffmpeg, then retry the failed jobs");
    expect(out).toContain("TIMEOUT (1 job):\n    → SOLUTION: Retry the job");
    expect(out).not.toContain("[JOBS]");
  });

  test("seed 000's table: file × failed jobs × already completed, from a probe of the completed tree", async () => {
    const { out } = await cli(["jobs", "--redis", redis.url, "--queue", "transcription"]);
    expect(out).toContain("[STALE JOBS] 6 failed jobs for 3 input files");
    const rows = out.split("\n").filter((l) => l.startsWith("  | `"));
    expect(rows).toEqual([
      `  | \`${DONE_A}\` | 3 | ✅ Already completed |`,
      `  | \`${DONE_B}\` | 2 | ✅ Already completed |`,
      `  | \`${MISSING}\` | 1 | ❌ Not completed |`,
    ]);
    // --completed-dir searches by base name instead of mirroring the inbox path.
    const json = JSON.parse((await cli(["jobs", "--redis", redis.url, "--format", "json", "--completed-dir", join(root, "completed")])).out);
    expect(json.stale.map((s: { file: string; failedJobs: number; completed: boolean }) => [s.file, s.failedJobs, s.completed])).toEqual([
      [DONE_A, 3, true],
      [DONE_B, 2, true],
      [MISSING, 1, false],
    ]);
  });

  test("without --queue every queue is read; -v lists each job with reason, attempts and data; json parses", async () => {
    const { out } = await cli(["jobs", "--redis", redis.url, "-v"]);
    expect(out).toMatch(/^Queues: processing, transcription on /);
    expect(out).toMatch(/processing\/\d+ {2}TIMEOUT {2}attempts=2 {2}failed=\d{4}-/);
    expect(out).toContain("reason: Something nobody has a rule for");
    expect(out).toContain('data: {"filePath":"/audio/0.3gp","__fail":"MAC check failed"}');
    const json = JSON.parse((await cli(["jobs", "--redis", redis.url, "-v", "--format", "json"])).out);
    expect(json.totals.failed).toBe(20);
    expect(json.totals.completed).toBe(2);
    const byCat = Object.fromEntries(json.categories.map((c: { category: string; count: number }) => [c.category, c.count]));
    expect(byCat).toEqual({ LEGACY_ENCRYPTION: 4, MAX_RETRIES: 3, TRANSCRIPTION_FAILED: 2, DECRYPTION_ERROR: 2, FORMAT_ERROR: 1, TIMEOUT: 1, UNCATEGORIZED: 1, STALE_JOB_QUEUE: 6 });
    const jobs = json.queues.flatMap((q: { jobs: unknown[] }) => q.jobs);
    expect(jobs).toHaveLength(20);
    expect(jobs.find((j: { category: string }) => j.category === "MAX_RETRIES")).toMatchObject({ rule: "max_retries_exceeded", fields: { max_retries: "3" }, attemptsMade: 1 });
  });

  test("reading changes nothing in Redis", async () => {
    const dump = async () => {
      const keys = (await client.keys("*")).sort();
      return Promise.all(keys.map(async (k) => [k, await client.type(k), (await client.dumpBuffer(k))?.toString("base64")]));
    };
    const before = await dump();
    await cli(["jobs", "--redis", redis.url, "-v"]);
    await cli(["jobs", "clean", "--redis", redis.url, "--category", "legacy_encryption", "--dry-run"]);
    expect(await dump()).toEqual(before);
  });

  test("a queue name that looks like shell is refused by validation, before Redis is asked", async () => {
    await expect(cli(["jobs", "--redis", redis.url, "--queue", "q; rm -rf /"])).rejects.toMatchObject({ code: "usage" });
    // With Redis unreachable the answer is still the usage error: the name is checked before connecting.
    await expect(cli(["jobs", "--redis", "redis://127.0.0.1:1", "--queue", "q; rm -rf /"])).rejects.toMatchObject({ code: "usage", message: expect.stringContaining("--queue") });
    await expect(cli(["jobs", "clean", "--redis", redis.url, "--queue", "$(reboot)", "--category", "timeout", "--dry-run"])).rejects.toMatchObject({ code: "usage" });
    await expect(cli(["jobs", "clean", "--redis", redis.url, "--category", "no_such_thing", "--dry-run"])).rejects.toMatchObject({ code: "usage" });
  });

  test("job data that is not JSON is counted and shown, and the job still classified", async () => {
    const { ids } = await runJobs(redis.url, "broken", [{ data: { x: 1 }, fail: "MAC check failed" }, { data: { y: 2 }, fail: "Exceeded maximum retries (3)" }]);
    await client.hset(`bull:broken:${ids[0]}`, "data", "{not json");
    await client.hdel(`bull:broken:${ids[1]}`, "data");
    const { out } = await cli(["jobs", "--redis", redis.url, "--queue", "broken", "-v"]);
    expect(out).toContain("[DATA] 2 failed job(s) whose data is missing or not JSON");
    expect(out).toMatch(new RegExp(`broken/${ids[0]}  DECRYPTION_ERROR  .*\\[data_not_json\\]`));
    expect(out).toMatch(new RegExp(`broken/${ids[1]}  MAX_RETRIES  .*\\[data_missing\\]`));
    const json = JSON.parse((await cli(["jobs", "--redis", redis.url, "--queue", "broken", "-v", "--format", "json"])).out);
    expect(json.dataIssues).toBe(2);
  });

  test("an unreachable Redis is a clear usage-class error, not a hang", async () => {
    await expect(cli(["jobs", "--redis", "redis://127.0.0.1:1"])).rejects.toMatchObject({ code: "input_missing", message: expect.stringContaining("unreachable") });
  });

  test("clean --dry-run lists exactly the jobs of the category; the real clean removes them, audits, and spares the rest", async () => {
    const q = "cleanme";
    await runJobs(redis.url, q, [
      { data: { n: 1 }, fail: "Automatic decryption not yet implemented - requires manual trigger" },
      { data: { n: 2 }, fail: "Automatic decryption not yet implemented - requires manual trigger" },
      { data: { n: 3 }, fail: "Automatic decryption not yet implemented - requires manual trigger" },
      { data: { n: 4 }, fail: "MAC check failed" },
      { data: { n: 5 } },
    ]);
    const active = await holdActive(redis.url, q);
    try {
      const waiting = await addWaiting(redis.url, q, 2);
      const legacyIds = async () => {
        const json = JSON.parse((await cli(["jobs", "--redis", redis.url, "--queue", q, "-v", "--format", "json"])).out);
        return json.queues[0].jobs.filter((j: { category: string }) => j.category === "LEGACY_ENCRYPTION").map((j: { id: string }) => j.id).sort();
      };
      const expected = await legacyIds();
      expect(expected).toHaveLength(3);

      const dry = await cli(["jobs", "clean", "--redis", redis.url, "--queue", q, "--category", "LEGACY_ENCRYPTION", "--dry-run", "--format", "json"]);
      expect(JSON.parse(dry.out).candidates.map((c: { id: string }) => c.id).sort()).toEqual(expected);
      expect(await legacyIds()).toEqual(expected);

      // One of them is retried between the listing and the removal: it is not failed any more, so it stays.
      const { planClean, executeClean, inspectJobs, findCategory, localFileProbe } = await import("../../../src/jobs/index.js");
      const { QueueReader } = await import("../../../src/sources/bullmq.js");
      const { loadRules, compileRules, createMatcher } = await import("../../../src/rules/index.js");
      const rules = await loadRules({});
      const match = createMatcher(compileRules(rules));
      const reader = await QueueReader.connect(redis.url);
      const store = await FileStore.open(storeDir, { clock: systemClock });
      try {
        const category = findCategory(rules, "legacy_encryption");
        if (!category) throw new Error("legacy_encryption category missing");
        const plan = planClean(await inspectJobs({ reader, rules, match, probe: localFileProbe() }, { queue: q }), category);
        const retried = expected[0];
        const { Queue } = await import("bullmq");
        const bq = new Queue(q, { connection: { url: redis.url } });
        await (await bq.getJob(retried))?.retry("failed");
        await bq.close();
        const result = await executeClean({ reader, rules, match, appendAudit: (e) => store.appendAudit(e), actor: "test" }, plan);
        expect(result.removed.map((c) => c.id).sort()).toEqual(expected.slice(1));
        expect(result.skipped).toEqual([expect.objectContaining({ id: retried, reason: "no_longer_failed", state: "waiting" })]);
        expect(await client.exists(`bull:${q}:${retried}`)).toBe(1);
        const audit = await store.listAudit();
        expect(audit.at(-1)).toMatchObject({ actor: "test", action: "jobs.clean", details: { category: "LEGACY_ENCRYPTION", removed: 2, skipped: 1 } });
      } finally {
        await store.close();
        await reader.close();
      }

      // The CLI path: the MAC job goes, audited in the store; the completed, waiting and active jobs survive.
      const real = await cli(["jobs", "clean", "--redis", redis.url, "--queue", q, "--category", "decryption_error", "--store", `file:${storeDir}`, "--config", await guardConfig({ targets: [q] }), "--yes"]);
      expect(real.out).toMatch(/^Will remove 1 failed job\(s\) of category DECRYPTION_ERROR/);
      expect(real.out).toContain(`done: ${q}: failed jobs 1 → 0`);
      expect(real.code).toBe(0);
      const after = JSON.parse((await cli(["jobs", "--redis", redis.url, "--queue", q, "--format", "json"])).out);
      expect(after.queues[0].counts).toMatchObject({ completed: 1, active: 1, waiting: 3, failed: 0 });
      for (const id of [...waiting, active.id]) expect(await client.exists(`bull:${q}:${id}`)).toBe(1);
      const s = await FileStore.open(storeDir, { clock: systemClock, }, { readOnly: true });
      try {
        const last = (await s.listAudit()).filter((e) => e.action === "jobs.clean").at(-1);
        // The real uid's name, not $USER (the test sets USER=alice: anyone can).
        expect(last).toMatchObject({ actor: localActor(), action: "jobs.clean", target: q, details: { category: "DECRYPTION_ERROR", removed: 1, planned: 1 } });
      } finally {
        await s.close();
      }
    } finally {
      await active.release();
    }
  });

  test("keys whose queue part is not a plain name are listed as skipped; --max-failed caps and says so", async () => {
    await client.hset("bull:we ird;x:meta", "version", "bullmq:5");
    const { out } = await cli(["jobs", "--redis", redis.url]);
    expect(out).toContain('skipped 1 key(s) whose queue name is not a plain name: "we ird;x"');
    expect(out).not.toMatch(/^Queues: .*we ird/m);
    const capped = await cli(["jobs", "--redis", redis.url, "--queue", "processing", "--max-failed", "5", "--format", "json"]);
    const q = JSON.parse(capped.out).queues[0];
    expect(q).toMatchObject({ failedRead: 5, truncated: true, counts: { failed: 14 } });
    await expect(cli(["jobs", "--redis", redis.url, "--max-failed", "0"])).rejects.toMatchObject({ code: "usage" });
  });

  test("a queue whose keys have another layout is reported, exits 2, and the other queues are still read", async () => {
    await client.hset("bull:oldlayout:meta", "version", "bull:3.0.0");
    await client.set("bull:oldlayout:failed", "not a sorted set");
    const { out, code } = await cli(["jobs", "--redis", redis.url]);
    expect(code).toBe(2);
    expect(out).toMatch(/\[ERROR\] oldlayout: not readable as a BullMQ queue \(.*WRONGTYPE/);
    expect(out).toContain("legacy_encryption: 4");
    await client.del("bull:oldlayout:meta", "bull:oldlayout:failed");
  });

  test("the real clean asks first, then goes through the guard: allow-lists, categories, a second person when destructive", async () => {
    const q = "guarded";
    await runJobs(redis.url, q, [
      { data: { n: 1 }, fail: "MAC check failed" },
      { data: { n: 2 }, fail: "MAC check failed" },
      { data: { n: 3 }, fail: "Automatic decryption not yet implemented - requires manual trigger" },
    ]);
    const store = `sqlite:${join(root, "guard.db")}`;
    const failed = async () => Number(await client.zcard(`bull:${q}:failed`));
    const clean = (category: string, config: string, ...more: string[]) => cli(["jobs", "clean", "--redis", redis.url, "--queue", q, "--category", category, "--store", store, "--config", config, ...more]);
    const allowed = await guardConfig({ targets: ["gua*"], categories: ["DECRYPTION_ERROR"] });

    // No terminal to ask on and no --yes: refused before the guard is asked; the list was shown.
    await expect(clean("decryption_error", allowed)).rejects.toMatchObject({ code: "usage", message: expect.stringContaining("stdin is not a terminal") });
    expect(await failed()).toBe(3);

    // A category the allow-list does not name, a queue outside its targets: refused, audited, nothing removed.
    const otherCategory = await clean("legacy_encryption", allowed, "--yes");
    expect([otherCategory.code, otherCategory.out]).toEqual([1, expect.stringContaining("refused (target_not_allowed): category LEGACY_ENCRYPTION is not in guard.actions.clean_failed_jobs.categories")]);
    const otherQueue = await clean("decryption_error", await guardConfig({ targets: ["transcription"] }), "--yes");
    expect([otherQueue.code, otherQueue.out]).toEqual([1, expect.stringContaining("refused (target_not_allowed)")]);
    expect(await failed()).toBe(3);

    // Allowed: the two MAC jobs go, listed first; the legacy one stays.
    const done = await clean("decryption_error", allowed, "--yes");
    expect(done.out).toMatch(/^Will remove 2 failed job\(s\) of category DECRYPTION_ERROR \(each re-checked right before removal\):\n {2}guarded\/\d+ {2}MAC check failed\n {2}guarded\/\d+ {2}MAC check failed\n/);
    expect([done.code, done.out]).toEqual([0, expect.stringContaining("done: guarded: failed jobs 3 → 1")]);
    expect(await failed()).toBe(1);

    // Configured destructive: a second person must approve; without waiting nothing is removed.
    const pending = await clean("legacy_encryption", await guardConfig({ targets: [q], destructive: true }), "--yes", "--no-wait");
    expect([pending.code, pending.out]).toEqual([3, expect.stringMatching(/approval \S+ requested by .*configured destructive[\s\S]*firewatch act approve \S+\nnot waiting \(--no-wait\): nothing was removed/)]);
    expect(await failed()).toBe(1);

    const { openStore, parseStoreSpec } = await import("../../../src/store/index.js");
    const s = await openStore(parseStoreSpec(store, {}), { clock: systemClock }, { readOnly: true });
    try {
      const audit = await s.listAudit();
      const mine = (action: string) => audit.filter((e) => e.action === action).map((e) => ({ actor: e.actor, target: e.target, reason: e.details["reason"] }));
      expect(mine("action.refused")).toEqual([
        { actor: localActor(), target: `jobs:${q}`, reason: "category_not_allowed" },
        { actor: localActor(), target: `jobs:${q}`, reason: "target_not_allowed" },
      ]);
      expect(mine("jobs.clean")).toEqual([{ actor: localActor(), target: q, reason: undefined }]);
      expect(mine("action.approval_requested")).toEqual([{ actor: localActor(), target: `jobs:${q}`, reason: undefined }]);
    } finally {
      await s.close();
    }
  });

  test("clean --only-completed takes stale jobs whose file is completed, and re-checks the file before removing", async () => {
    await expect(cli(["jobs", "clean", "--redis", redis.url, "--category", "timeout", "--only-completed", "--dry-run"])).rejects.toMatchObject({ code: "usage" });
    const dry = JSON.parse((await cli(["jobs", "clean", "--redis", redis.url, "--queue", "transcription", "--category", "stale_job_queue", "--only-completed", "--dry-run", "--format", "json"])).out);
    expect(dry.candidates).toHaveLength(5);
    expect(dry.candidates.every((c: { path: string }) => !c.path.endsWith(MISSING))).toBe(true);

    const { planClean, executeClean, inspectJobs, findCategory, localFileProbe, QueueReader } = await import("../../../src/jobs/index.js");
    const { loadRules, compileRules, createMatcher } = await import("../../../src/rules/index.js");
    const rules = await loadRules({});
    const match = createMatcher(compileRules(rules));
    const reader = await QueueReader.connect(redis.url);
    const store = await FileStore.open(storeDir, { clock: systemClock });
    try {
      const category = findCategory(rules, "stale_job_queue");
      if (!category) throw new Error("stale_job_queue category missing");
      const probe = localFileProbe();
      const plan = planClean(await inspectJobs({ reader, rules, match, probe }, { queue: "transcription" }), category, { onlyCompleted: true });
      // DONE_B leaves the completed directory after the listing: its two jobs must stay.
      await rm(join(root, "completed", "Kingdom Life Blueprint", "Chapter 3", DONE_B));
      const result = await executeClean({ reader, rules, match, probe: localFileProbe(), appendAudit: (e) => store.appendAudit(e), actor: "test" }, plan);
      expect(result.removed).toHaveLength(3);
      expect(result.removed.every((c) => c.path?.endsWith(DONE_A))).toBe(true);
      expect(result.skipped.map((c) => c.reason)).toEqual(["not_completed", "not_completed"]);
      expect((await reader.counts("transcription")).failed).toBe(3);
      expect((await store.listAudit()).at(-1)).toMatchObject({ details: { category: "STALE_JOB_QUEUE", onlyCompleted: true, removed: 3, skipped: 2 } });
    } finally {
      await store.close();
      await reader.close();
    }
  });

  test("a queue that does not exist is an error naming the queues that do, not an empty healthy queue", async () => {
    await expect(cli(["jobs", "--redis", redis.url, "--queue", "transcriptoin"])).rejects.toMatchObject({
      code: "not_found",
      message: expect.stringMatching(/no BullMQ queue "transcriptoin"[\s\S]*queues there: .*transcription/),
    });
  });
});
