// `firewatch act clean_failed_jobs` on real BullMQ queues in a real redis-server: only the incident's category goes.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { Command } from "commander";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { localActor, registerAct } from "../../../src/cli/act.js";
import { FileStore } from "../../../src/store/index.js";
import { systemClock } from "../../../src/time.js";
import { runJobs, testRedis } from "../../harness/bullmq.js";
import { redisAvailability, startRedis, type RedisInstance } from "../../harness/redis.js";
import { SECRET, seed000Incident } from "./act-helpers.js";

const avail = redisAvailability();

describe.skipIf(avail.missing !== undefined)(`act clean_failed_jobs on a real redis-server ${avail.missing ?? ""}`, () => {
  let redis: RedisInstance;
  let dir: string;
  let cfg: string;
  beforeAll(async () => {
    redis = await startRedis();
    dir = await mkdtemp(join(tmpdir(), "fw-act-jobs-"));
    cfg = join(dir, "firewatch.yaml");
    await writeFile(cfg, [
      "store:",
      `  url: file:${join(dir, "state")}`,
      "guard:",
      "  actions:",
      "    clean_failed_jobs:",
      `      users: ["${localActor()}"]`,
      "      channels: [cli]",
      "      hosts: [local]",
      "      targets: [processing]",
      "",
    ].join("\n"));
  }, 60_000);
  afterAll(async () => {
    await redis?.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  test("seed 003: the legacy-encryption failures are removed through the guard, the uncategorized failure stays", async () => {
    const reason = "Automatic decryption not yet implemented - requires manual trigger";
    await runJobs(redis.url, "processing", [
      { data: { n: 1 }, fail: reason }, { data: { n: 2 }, fail: reason }, { data: { n: 3 }, fail: reason },
      { data: { n: 4 }, fail: "Something nobody has a rule for" },
    ]);
    const base = seed000Incident({ fingerprint: "7e570000000000000000000000000003", host: "local", container: "processing", port: 1, at: Date.now() - 60_000 });
    const [first] = base.findings;
    if (!first) throw new Error("no finding");
    const store = await FileStore.open(join(dir, "state"), { clock: systemClock });
    await store.upsert({ ...base, title: "LEGACY_ENCRYPTION in processing", findings: [{ ...first, rule: "legacy_encryption", fields: {} }] });
    await store.close();

    let out = "";
    let code = 0;
    const program = new Command("firewatch").exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
    registerAct(program, (c) => { code = c; }, { stdout: { write: (s: string) => (out += s) }, stdin: new PassThrough(), env: { FIREWATCH_GUARD__SECRET: SECRET }, clock: systemClock, setExitCode: (c) => { code = c; } });
    await program.parseAsync(["node", "firewatch", "act", "clean_failed_jobs", "--incident", base.id, "--yes", "--config", cfg, "--jobs-redis", redis.url]);
    expect(out).toContain("queue=processing (incident service)");
    expect(out).toMatch(/now +4 failed jobs in processing/);
    expect(out).toContain("done: processing: failed jobs 4 → 1");
    expect(code).toBe(0);

    const client = testRedis(redis.url);
    try {
      expect(await client.zcard("bull:processing:failed")).toBe(1);
    } finally {
      client.disconnect();
    }
    const after = await FileStore.open(join(dir, "state"), { clock: systemClock }, { readOnly: true });
    const audit = (await after.listAudit()).map((e) => [e.action, e.details["removed"] ?? e.details["result"] ?? ""]);
    await after.close();
    expect(audit).toContainEqual(["jobs.clean", 3]);
    expect(audit).toContainEqual(["action.done", "done"]);
  }, 60_000);

  /** Stores a seed 003 incident of the `processing` container (its own fingerprint) and returns its id. */
  async function storeLegacyIncident(fingerprint: string): Promise<string> {
    const base = seed000Incident({ fingerprint, host: "local", container: "processing", port: 1, at: Date.now() - 60_000 });
    const [first] = base.findings;
    if (!first) throw new Error("no finding");
    const store = await FileStore.open(join(dir, "state"), { clock: systemClock });
    await store.upsert({ ...base, title: "LEGACY_ENCRYPTION in processing", findings: [{ ...first, rule: "legacy_encryption", fields: {} }] });
    await store.close();
    return base.id;
  }

  async function act(args: readonly string[]): Promise<{ out: string; code: number }> {
    let out = "";
    let code = 0;
    const program = new Command("firewatch").exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
    registerAct(program, (c) => { code = c; }, { stdout: { write: (s: string) => (out += s) }, stdin: new PassThrough(), env: { FIREWATCH_GUARD__SECRET: SECRET }, clock: systemClock, setExitCode: (c) => { code = c; } });
    await program.parseAsync(["node", "firewatch", "act", "clean_failed_jobs", "--yes", ...args]);
    return { out, code };
  }

  async function failedCount(key: string): Promise<number> {
    const client = testRedis(redis.url);
    try {
      return await client.zcard(key);
    } finally {
      client.disconnect();
    }
  }

  test("without --jobs-redis the queue is found in the config's bullmq source, under its own prefix", async () => {
    const reason = "Automatic decryption not yet implemented - requires manual trigger";
    await runJobs(redis.url, "processing", [{ data: { n: 1 }, fail: reason }, { data: { n: 2 }, fail: reason }, { data: { n: 3 }, fail: "Something nobody has a rule for" }], "fwq");
    const withSource = join(dir, "with-source.yaml");
    await writeFile(withSource, [
      (await readFile(cfg, "utf8")).trimEnd(),
      "sources:",
      "  - kind: bullmq",
      "    host: local",
      `    redis: ${redis.url}`,
      "    prefix: fwq",
      "    queues: [processing]",
      "",
    ].join("\n"));
    const id = await storeLegacyIncident("7e570000000000000000000000000004");
    const { out, code } = await act(["--incident", id, "--config", withSource]);
    expect(out).toMatch(/now +3 failed jobs in processing/);
    expect(out).toContain("done: processing: failed jobs 3 → 1");
    expect(code).toBe(0);
    expect(await failedCount("fwq:processing:failed")).toBe(1);
  }, 60_000);

  test("with neither --jobs-redis nor a bullmq source nothing is removed and the outcome says why", async () => {
    const reason = "Automatic decryption not yet implemented - requires manual trigger";
    await runJobs(redis.url, "processing", [{ data: { n: 5 }, fail: reason }], "nosrc");
    const id = await storeLegacyIncident("7e570000000000000000000000000005");
    const { out, code } = await act(["--incident", id, "--config", cfg]);
    expect(out).toContain("no job queue is configured");
    expect(code).toBe(1);
    expect(await failedCount("nosrc:processing:failed")).toBe(1);
  }, 60_000);
});
