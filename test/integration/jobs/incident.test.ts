// Seed 000 end to end: real BullMQ stale jobs and the service's own log make ONE incident, table marked from the probe.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createCorrelator } from "../../../src/correlate/index.js";
import { groupIntoIncidents } from "../../../src/incidents/index.js";
import { inspectJobs, jobSignals, localFileProbe, QueueReader } from "../../../src/jobs/index.js";
import { renderMarkdown } from "../../../src/report/index.js";
import { compileRules, createMatcher, loadBuiltinRules } from "../../../src/rules/index.js";
import { createReadStats, expandInputs, readLogRecords } from "../../../src/sources/index.js";
import { runJobs } from "../../harness/bullmq.js";
import { redisAvailability, startRedis, type RedisInstance } from "../../harness/redis.js";

const avail = redisAvailability();
const DONE = "08 Masterclass QA Session with Leif and Paul.m4a";
const NOT_DONE = "04 Interview - Baptism of Love.m4a";

/** journalctl -o short-iso style, UTC: what the service logged during the port conflict, ending `now`. */
function journal(now: number): string {
  const at = (msAgo: number) => new Date(now - msAgo).toISOString().replace(/\.\d{3}Z$/, "+0000");
  const lines: string[] = [];
  for (let i = 0; i < 8; i++) {
    const t = 8 * 20_000 - i * 20_000;
    lines.push(`${at(t)} mithrandir transcription-palantir[${4000 + i}]: Error: Failed to start server. Is port 9003 in use?`);
    lines.push(`${at(t - 5_000)} mithrandir systemd[1722]: transcription-palantir.service: Scheduled restart job, restart counter is at ${470 + i}.`);
  }
  return lines.join("\n") + "\n";
}

describe.skipIf(avail.missing !== undefined)(`stale jobs join the port-conflict incident ${avail.missing ?? ""}`, () => {
  let redis: RedisInstance;
  let root: string;
  beforeAll(async () => {
    redis = await startRedis();
    root = await mkdtemp(join(tmpdir(), "fw-jobs-incident-"));
    await mkdir(join(root, "completed", "Course"), { recursive: true });
    await writeFile(join(root, "completed", "Course", DONE), "audio");
    const inbox = (f: string) => join(root, "inbox", "Course", f);
    const fail = (f: string) => ({ data: { filePath: inbox(f) }, fail: `Input file not accessible: ${inbox(f)}` });
    await runJobs(redis.url, "transcription", [fail(DONE), fail(DONE), fail(DONE), fail(NOT_DONE), fail(NOT_DONE)]);
  });
  afterAll(async () => {
    await redis?.cleanup();
    if (root) await rm(root, { recursive: true, force: true });
  });

  test("one incident for host mithrandir with the port conflict and the stale jobs; Affected Files from the probe", async () => {
    const rules = await loadBuiltinRules();
    const match = createMatcher(compileRules(rules));
    const reader = await QueueReader.connect(redis.url);
    let report;
    try {
      report = await inspectJobs({ reader, rules, match, probe: localFileProbe() }, { queue: "transcription", origin: { host: "mithrandir", service: "transcription-palantir" } });
    } finally {
      await reader.close();
    }
    const lastFailure = Math.min(...report.queues[0]!.jobs.map((j) => j.record.time ?? Infinity));
    const logFile = join(root, "journal.log");
    await writeFile(logFile, journal(lastFailure));

    const correlator = createCorrelator(rules);
    for await (const r of readLogRecords(await expandInputs([logFile]), { stats: createReadStats(), now: () => lastFailure }))
      for (const s of match(r)) correlator.push(s);
    for (const s of jobSignals(report, match)) correlator.push(s);
    const incidents = groupIntoIncidents(correlator.findings(), rules);

    expect(incidents).toHaveLength(1);
    const incident = incidents[0]!;
    expect(incident.host).toBe("mithrandir");
    expect(incident.findings.map((f) => f.rule)).toEqual(expect.arrayContaining(["eaddrinuse_loop", "stale_job_queue"]));
    const stale = incident.findings.find((f) => f.rule === "stale_job_queue");
    expect(stale?.count).toBe(5);
    expect(stale?.table?.rows).toEqual([
      [DONE, "3", "✅ Already completed"],
      [NOT_DONE, "2", "❌ Not completed"],
    ]);
    const md = renderMarkdown(incident, new Map(rules.map((r) => [r.id, r])));
    expect(md).toContain("Affected Files");
    expect(md).toMatch(/\| `?08 Masterclass QA Session with Leif and Paul\.m4a`? \| 3 \| ✅ Already completed \|/);
  });
});
