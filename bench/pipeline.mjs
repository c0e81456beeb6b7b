// The jobs users run, beside the matching stage: `scan --count`, `analyze --format json` and a `watch --once-idle`
// catch-up on the same corpus, one run each in the same minutes, with wall time, CPU time, lines/s and peak RSS.
//   node bench/pipeline.mjs [--no-watch] [--watch-big] [--rules rules.tsv] CORPUS [BIGGER_CORPUS ...]
// Every file gets scan and analyze; watch runs on the first file only (its catch-up of 10M lines takes minutes on
// 2 cores), unless --watch-big. That analyze finds the same incidents as its record path is test/unit/cli/skim.test.ts.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(fileURLToPath(new URL("..", import.meta.url)));
const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : dflt;
};
const rulesTsv = resolve(opt("--rules", join(root, "../shared/bench/rules.tsv")));
const files = args.filter((a, i) => !a.startsWith("--") && args[i - 1] !== "--rules");
if (files.length === 0) throw new Error("usage: node bench/pipeline.mjs [--no-watch] [--watch-big] CORPUS [BIGGER ...]");
const cli = join(root, "dist/cli.js");
// Run as the `firewatch` command runs: with the V8 flags of dist/cli.js's "#!/usr/bin/env -S node FLAGS" line.
const nodeFlags = /^#!\/usr\/bin\/env -S node\s+(.*)$/.exec(readFileSync(cli, "utf8").split("\n")[0] ?? "")?.[1]?.trim().split(/\s+/) ?? [];
const node = ["node", ...nodeFlags];

/** One command under /usr/bin/time: wall and CPU seconds, peak RSS (MiB), exit code and stdout. */
function timed(argv, opts = {}) {
  const r = spawnSync("/usr/bin/time", ["-f", "%e %U %S %M", ...argv], { encoding: "utf8", maxBuffer: 1 << 28, ...opts });
  if (r.error) throw r.error;
  const last = r.stderr.trim().split("\n").at(-1) ?? "";
  const [e, u, s, kb] = last.split(" ").map(Number);
  return { wall: e, cpu: u + s, mb: kb / 1024, status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function lineCount(file) {
  const r = spawnSync("wc", ["-l", file], { encoding: "utf8" });
  return Number(r.stdout.trim().split(" ")[0]);
}

/** A temp config: one file source from the beginning, the file store, no outputs but the store. */
function watchWorld(file) {
  const work = mkdtempSync(join(process.env.TMPDIR ?? tmpdir(), "fw-bench-watch-"));
  const config = join(work, "firewatch.yaml");
  writeFileSync(
    config,
    `hosts: { local: { kind: local } }
sources:
  - kind: file
    name: bench
    paths: [${JSON.stringify(file)}]
    startAt: beginning
store: { url: ${JSON.stringify(`file:${join(work, "state")}`)} }
health: { host: 127.0.0.1, port: 0 }
`,
  );
  return { work, config };
}

const rows = [];
for (const [k, file] of files.entries()) {
  const lines = lineCount(file);
  const mib = statSync(file).size / 1048576;
  const scan = timed([...node, cli, "scan", "--patterns", rulesTsv, "--count", file]);
  const analyze = timed([...node, cli, "analyze", "--format", "json", file]);
  const incidents = analyze.status === 0 || analyze.status === 1 ? JSON.parse(analyze.stdout).incidents.length : NaN;
  let watch;
  if (!flag("--no-watch") && (k === 0 || flag("--watch-big"))) {
    const { work, config } = watchWorld(file);
    watch = timed([...node, cli, "watch", "--config", config, "--once-idle"]);
    const records = /"records":(\d+)/.exec(watch.stderr)?.[1];
    watch.note = records === undefined ? "did not finish" : `${Number(records).toLocaleString("en-US")} records`;
    rmSync(work, { recursive: true, force: true });
  }
  rows.push({ lines, mib, scan, analyze, incidents, watch });
}

const fmt = (n, d = 2) => (Number.isFinite(n) ? n.toFixed(d) : "-");
const per = (lines, s) => (s > 0 ? Math.round(lines / s).toLocaleString("en-US") : "-");
console.log(`## The pipeline beside the scan (bench/pipeline.mjs, ${new Date().toISOString()})\n`);
console.log(`Each command ran as \`node ${nodeFlags.join(" ")} dist/cli.js ...\` (the flags of its #! line).\n`);
console.log("| lines | command | wall s | CPU s | lines/s (wall) | peak RSS MiB | wall vs scan | CPU vs scan | note |");
console.log("|---:|---|---:|---:|---:|---:|---:|---:|---|");
for (const r of rows) {
  const n = r.lines.toLocaleString("en-US");
  const line = (name, t, note) =>
    console.log(`| ${n} | ${name} | ${fmt(t.wall)} | ${fmt(t.cpu)} | ${per(r.lines, t.wall)} | ${fmt(t.mb, 0)} | ${fmt(t.wall / r.scan.wall)}x | ${fmt(t.cpu / r.scan.cpu)}x | ${note} |`);
  line("`scan --patterns rules.tsv --count`", r.scan, `${fmt(r.mib, 0)} MiB of input`);
  line("`analyze --format json`", r.analyze, `${r.incidents} incidents, exit ${r.analyze.status}`);
  if (r.watch) line("`watch --once-idle` (file store)", r.watch, r.watch.note);
}
console.log("\nTargets: analyze ≤ 3x scan, watch ≤ 4x scan, peak RSS ≤ 150 MiB. SEC's time for the same signatures is in the peers table above.");
