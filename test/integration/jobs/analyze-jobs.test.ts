// `firewatch analyze --jobs-redis`: seed 000 for real — the service's journal and its BullMQ queue make ONE incident.
import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ReportJsonSchema } from "../../../src/report/index.js";
import { runJobs } from "../../harness/bullmq.js";
import { redisAvailability, startRedis, type RedisInstance } from "../../harness/redis.js";

const avail = redisAvailability();
const ROOT = path.resolve(import.meta.dirname, "../../..");
const DONE = "08 Masterclass QA Session with Leif and Paul.m4a";
const NOT_DONE = "04 Interview - Baptism of Love.m4a";

/** journalctl -o short-iso lines of the crash loop, the last one a few seconds ago (the jobs fail now too). */
function journal(now: number): string {
  const at = (msAgo: number) => new Date(now - msAgo).toISOString().replace(/\.\d{3}Z$/, "+0000");
  const lines: string[] = [];
  for (let i = 0; i < 10; i++) {
    const ago = 120_000 - i * 10_000;
    lines.push(`${at(ago)} mithrandir transcription-palantir[${4000 + i}]: Error: Failed to start server. Is port 9003 in use?`);
    lines.push(`${at(ago - 5_000)} mithrandir systemd[1722]: transcription-palantir.service: Scheduled restart job, restart counter is at ${476 + i}.`);
  }
  return `${lines.join("\n")}\n`;
}

describe.skipIf(avail.missing !== undefined)(`analyze --jobs-redis ${avail.missing ?? ""}`, () => {
  let redis: RedisInstance;
  let dir: string;
  beforeAll(async () => {
    redis = await startRedis();
    dir = await mkdtemp(path.join(tmpdir(), "fw-analyze-jobs-"));
    await mkdir(path.join(dir, "completed", "Course"), { recursive: true });
    await writeFile(path.join(dir, "completed", "Course", DONE), "audio");
    const inbox = (f: string) => path.join(dir, "inbox", "Course", f);
    const fail = (f: string) => ({ data: { filePath: inbox(f) }, fail: `Input file not accessible: ${inbox(f)}` });
    await runJobs(redis.url, "transcription", [fail(DONE), fail(DONE), fail(DONE), fail(NOT_DONE), fail(NOT_DONE)]);
    await writeFile(path.join(dir, "journal.log"), journal(Date.now()));
  });
  afterAll(async () => {
    await redis?.cleanup();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  // The queue belongs to the service (--jobs-service): one failing thing, one incident (docs/incidents.md).
  test("the stale jobs from Redis join the port conflict from the journal in one incident, files checked on disk", () => {
    const r = spawnSync(
      process.execPath,
      ["--import", "tsx", path.join(ROOT, "src/cli.ts"), "analyze", "--format", "json", "--jobs-redis", redis.url, "--jobs-queue", "transcription", "--jobs-service", "transcription-palantir", path.join(dir, "journal.log")],
      { cwd: ROOT, timeout: 60_000 },
    );
    expect(r.stderr.toString()).toBe("");
    expect(r.status).toBe(1);
    const doc = ReportJsonSchema.parse(JSON.parse(r.stdout.toString()));
    expect(doc.incidents).toHaveLength(1);
    const incident = doc.incidents[0];
    expect(incident?.host).toBe("mithrandir");
    expect(incident?.findings.map((f) => f.rule)).toEqual(expect.arrayContaining(["eaddrinuse_loop", "systemd_restart_loop", "stale_job_queue"]));
    const stale = incident?.findings.find((f) => f.rule === "stale_job_queue");
    expect(stale?.count).toBe(5);
    expect(stale?.state).toBe("firing");
  });

  test("an unreachable Redis is one clear line and exit 2", () => {
    const r = spawnSync(
      process.execPath,
      ["--import", "tsx", path.join(ROOT, "src/cli.ts"), "analyze", "--jobs-redis", "redis://127.0.0.1:1", path.join(dir, "journal.log")],
      { cwd: ROOT, timeout: 60_000 },
    );
    expect(r.status).toBe(2);
    expect(r.stderr.toString()).toMatch(/^firewatch: .*127\.0\.0\.1:1/m);
    expect(r.stderr.toString()).not.toMatch(/\n\s+at /);
  });
});
