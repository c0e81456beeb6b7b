// Figures count what their sentence names: jobs that log their failure twice are counted once per job, not per line.
// One test per rule whose title and report say "jobs", each on a log where every job logs two matching lines.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { runAnalyze } from "../../../src/cli/analyze.js";
import { renderAnalysis } from "../../../src/cli/analyze.js";

const scratch = mkdtempSync(path.join(tmpdir(), "fw-entities-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const JOBS = ["cf58d457-8a0e-4363-9e6c-f15fe4ece2b2", "11791564-09a9-438a-a267-0cdff7139b96", "25fec095-6849-4ce6-a3fe-b36cf7eec800"];

/** Per rule: the two lines each job logs (J is the job id), as a worker would: a detail line, then the job's failure. */
const CASES: readonly [rule: string, lines: (j: string) => [string, string], title: string][] = [
  ["mac_check_failed", (j) => [`Decryption failed for job ${j}: MAC check failed`, `Job ${j} failed: MAC check failed`], "Decryption failing: MAC check failed (3 jobs)"],
  ["legacy_encryption", (j) => [`Skipping job ${j}: Automatic decryption not yet implemented - requires manual trigger`, `Job ${j} failed: Automatic decryption not yet implemented - requires manual trigger`], "Jobs failing on legacy encryption (3 jobs)"],
  ["max_retries_exceeded", (j) => [`job_id=${j} max retries exceeded, giving up`, `Job ${j} failed: Exceeded maximum retries (3)`], "Jobs exceeding maximum retries (3 jobs)"],
  ["transcription_failed", (j) => [`Whisper returned an empty text for job ${j}: transcription failed`, `Job ${j} failed: Transcription failed or too short`], "Transcriptions failing (3 jobs)"],
  ["transcription_timeout", (j) => [`Transcription timed out after 300s for job ${j}`, `Job ${j} failed: Transcription processing timeout`], "Transcription timeouts (3 jobs)"],
  ["riff_format_error", (j) => [`Cannot load audio of job ${j}: File does not start with RIFF id`, `Job ${j} failed: File does not start with RIFF id`], "Audio format errors: not valid WAV/RIFF or unreadable by ffmpeg (3 jobs)"],
  ["stale_job_queue", (j) => [`Job ${j} failed: Input file not accessible: /mnt/inbox/${j.slice(0, 4)}.m4a`, `Worker gave up on job ${j}: Input file not accessible: /mnt/inbox/${j.slice(0, 4)}.m4a`], "Stale job queue: 3 jobs failed for inaccessible input files"],
];

function logOf(lines: (j: string) => [string, string]): string {
  let s = 0;
  const stamp = () => `2025-10-09 10:02:${String(10 + s++).padStart(2, "0")},000 - worker - ERROR - `;
  return JOBS.flatMap((j) => lines(j).map((l) => stamp() + l)).join("\n") + "\n";
}

describe.each(CASES)("%s", (rule, lines, title) => {
  test("three jobs logging two lines each are 3 jobs (6 log lines), in the title, the fields and the report", async () => {
    const dir = path.join(scratch, rule);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, "worker.log"), logOf(lines));
    const result = await runAnalyze([dir], { rules: [], timeZone: "UTC" }, { now: () => Date.now() });
    const incident = result.incidents.find((i) => i.findings.some((f) => f.rule === rule));
    const finding = incident?.findings.find((f) => f.rule === rule);
    expect(finding).toMatchObject({ count: 6, fields: { job: "3", failed: "3 jobs" } });
    expect(incident?.title).toBe(title);
    const md = renderAnalysis({ ...result, incidents: incident ? [incident] : [] }, "markdown", { timeZone: "UTC", color: false, now: Date.now() }).stdout;
    expect(md).toContain("3 jobs (6 log lines)");
    expect(md).not.toMatch(/\*\*6\*\* jobs|\b6 jobs\b/);
  });
});

test("without a job id in the lines the figure says log lines, not jobs", async () => {
  const dir = path.join(scratch, "no-ids");
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "worker.log"), ["10:00:01", "10:00:02"].map((t) => `2025-10-09 ${t},000 - worker - ERROR - ValueError: MAC check failed`).join("\n") + "\n");
  const { incidents } = await runAnalyze([dir], { rules: [], timeZone: "UTC" }, { now: () => Date.now() });
  expect(incidents[0]?.title).toBe("Decryption failing: MAC check failed (2 log lines)");
});

test("eaddrinuse_loop counts failed starts (processes), not the lines each logs in the app log and the journal", async () => {
  const dir = path.join(scratch, "bind");
  mkdirSync(dir, { recursive: true });
  const pids = [4101, 4107, 4113];
  const t0 = Date.parse("2025-12-26T22:42:09Z");
  writeFileSync(path.join(dir, "app.log"), pids.map((pid, i) => `{"level":60,"time":${t0 + i * 9000},"pid":${pid},"hostname":"web1","name":"api","msg":"Failed to start server. Is port 9003 in use?"}`).join("\n") + "\n");
  writeFileSync(path.join(dir, "journal.log"), pids.map((pid, i) => `${new Date(t0 + i * 9000).toISOString().slice(0, 19)}+0000 web1 api[${pid}]: error: Failed to start server. Is port 9003 in use?`).join("\n") + "\n");
  const result = await runAnalyze([dir], { rules: [], timeZone: "UTC" }, { now: () => Date.now() });
  const f = result.incidents.flatMap((i) => i.findings).find((x) => x.rule === "eaddrinuse_loop");
  expect(f).toMatchObject({ state: "firing", count: 6, fields: { processes: "3", failed_starts: "3 failed starts" } });
  const md = renderAnalysis(result, "markdown", { timeZone: "UTC", color: false, now: Date.now() }).stdout;
  expect(md).toContain("It failed 3 times (3 processes, 6 log lines)");
});
