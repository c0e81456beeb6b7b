// `watch --once-idle` over log files concludes what `analyze` concludes over the same files: the same incidents, with
// the same firing and observed rules, counts and key fields. The files are real: two Loghub samples (2,000 lines each,
// https://github.com/logpai/loghub, fixtures/loghub/README.md), four excerpts of public issue threads
// (fixtures/real/manifest.yaml gives each one's address) and four seed fixtures. Each finding's first and last seen
// must agree too.
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, expect, test } from "vitest";
import { runAnalyze } from "../../../src/cli/analyze.js";
import { makeTempDir } from "../../harness/program.js";
import { ROOT, startWatch, storedIncidents, writeConfig } from "./watch-process.js";

const FILES = [
  "fixtures/loghub/Thunderbird_2k.log",
  "fixtures/loghub/Linux_2k.log",
  // https://github.com/systemd/systemd/issues/4449
  "fixtures/real/systemd_restart_loop/systemd-journald-no-holdoff-dmesg.log",
  // https://github.com/docker/for-linux/issues/1001
  "fixtures/real/oom_kill/kernel5-docker-host-syslog.log",
  // https://github.com/leafo/pgmoon/issues/47
  "fixtures/real/pg_too_many_clients/postgres-server-log-cst.log",
  // https://github.com/XTLS/Xray-examples/issues/68
  "fixtures/real/eaddrinuse_loop/nginx-journal-unix-socket.log",
  "fixtures/seed-000-port-conflict/journal.log",
  "fixtures/seed-000-port-conflict/app.log",
  "fixtures/seed-002-disk-full/compose.log",
].map((f) => path.join(ROOT, f));
const KEY_FIELDS = ["port", "unit", "container", "exit_code"] as const;

type Stamp = number | string | Date | null | undefined;

interface Side {
  readonly service?: string | null | undefined;
  readonly findings: readonly { rule: string; state: string; count: number; firstSeen?: Stamp; lastSeen?: Stamp; fields: Readonly<Record<string, string>> }[];
}

const iso = (t: Stamp) => (t === null || t === undefined ? "-" : new Date(t).toISOString());

/**
 * Each finding's span as the logs date it, "rule fields first..last", sorted: a live catch-up must not move it. Not the
 * host fields: live, the host is the source's; `analyze` reads the logged one from the text.
 */
function spans(incidents: readonly Side[]): string[] {
  return incidents
    .flatMap((i) => i.findings.map((f) => `${f.rule} ${Object.entries(f.fields).filter(([k]) => k !== "host" && k !== "logged_host").map(([k, v]) => `${k}=${v}`).sort().join(",")} ${iso(f.firstSeen)}..${iso(f.lastSeen)}`))
    .sort();
}

/**
 * Each incident as its findings, "service rule state count key=value...", sorted. Not the host: live, a record's host
 * is its source's configured host ("local"); `analyze` reads it from the text.
 */
function conclusions(incidents: readonly Side[], service: (s: string | null | undefined) => string = (s) => s ?? "-"): string[] {
  return incidents
    .map((i) =>
      i.findings
        .map((f) => [service(f.fields.service ?? i.service), f.rule, f.state, f.count, ...KEY_FIELDS.filter((k) => f.fields[k]).map((k) => `${k}=${f.fields[k]}`)].join(" "))
        .sort()
        .join(" ; "),
    )
    .sort();
}

let tmp: { path: string; remove(): Promise<void> };
beforeAll(async () => {
  tmp = await makeTempDir("watch-equals-analyze");
});
afterAll(async () => {
  await tmp.remove();
});

test("watch --once-idle over real logs raises the incidents analyze finds in them, with the same counts and fields", { timeout: 60_000 }, async () => {
  // Seed 004's 46,274 lines, where a recurrence finding's first-seen once depended on when watch committed.
  const streamvault = path.join(tmp.path, "streamvault.log");
  await writeFile(streamvault, gunzipSync(await readFile(path.join(ROOT, "fixtures/seed-004-segment-rotation/streamvault.log.gz"))));
  const files = [...FILES, streamvault];
  const state = path.join(tmp.path, "state");
  const config = await writeConfig(path.join(tmp.path, "fw.yaml"), {
    sources: files.map((f, k) => ({ kind: "file", name: `file-${k}`, paths: [f], startAt: "beginning" })),
    store: { url: `file:${state}` },
    outputs: { jsonLines: false },
  });
  const w = startWatch(config, ["--once-idle"]);
  const { code } = await w.exit();
  expect(code, w.proc.stderr().slice(-2000)).toBe(0);
  const live = await storedIncidents(state);

  // Yearless stamps (syslog's "Aug 15") are placed by the clock, as `watch` places them: without it, `analyze` takes
  // the year near the newest dated stamp of its other inputs (2025 here, from seed 000's journal).
  const analyzed = await runAnalyze(files, { rules: [], referenceTime: new Date().toISOString() }, { now: Date.now });
  // Where a line names no service, both name it after its file (postgres-server-log-cst).
  const expected = conclusions(analyzed.incidents);
  expect(expected).toEqual([
    "analysis_service disk_full firing 7",
    "kernel oom_kill firing 8",
    "kernel systemd_restart_loop firing 3 unit=systemd-journald",
    "nginx eaddrinuse_loop firing 6 ; nginx systemd_unit_failed firing 1 unit=nginx",
    "postgres-server-log-cst pg_too_many_clients firing 4",
    "sshd eaddrinuse_loop observed 1 port=22",
    "streamvault process_lookup_error firing 3901 ; streamvault segment_rotation_stuck firing 1310 ; streamvault segment_rotation_stuck firing 1342 ; streamvault segment_rotation_stuck firing 570 ; streamvault segment_rotation_stuck firing 679",
    "transcription-palantir eaddrinuse_loop firing 72 port=9003 ; transcription-palantir stale_job_queue firing 20 ; transcription-palantir systemd_restart_loop firing 35 unit=transcription-palantir ; transcription-palantir systemd_unit_failed firing 37 unit=transcription-palantir",
  ]);
  expect(conclusions(live.map((s) => s.incident))).toEqual(expected);
  expect(spans(live.map((s) => s.incident))).toEqual(spans(analyzed.incidents));
});
