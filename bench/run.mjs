// `npm run bench`: builds if needed, makes the corpus if missing, runs the peer harness with firewatch, the stage
// micro-benchmarks and the peak-RSS check at 1M and 10M lines, and prints the tables.
//   npm run bench -- [--runs N] [--slow-runs N] [--skip sec,swatchdog,fail2ban-regex] [--no-10m] [--lines N] [--no-pipeline] [--no-store] [--no-latency] [--no-sources] [--no-streams]
// Then bench/latency.mjs: `firewatch watch` from a line written to its incident (see that file), and
// bench/sources.mjs: lines/s of the file follower (local, over SSH) and entries/s of journald, and
// bench/scale-streams.mjs: records/s through Redis Streams with 1 collector and 1, 2, 3 analyzers.
// Environment: FIREWATCH_BENCH_HARNESS (default ../shared/bench), TMPDIR (corpus under $TMPDIR/firewatch-bench).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(fileURLToPath(new URL("..", import.meta.url)));
const harness = resolve(process.env.FIREWATCH_BENCH_HARNESS ?? join(root, "../shared/bench"));
const work = join(process.env.TMPDIR ?? "/tmp", "firewatch-bench");
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : dflt;
};
const runs = opt("--runs", "3");
const skip = opt("--skip", "");
const slowRuns = opt("--slow-runs", "");
const lines = Number(opt("--lines", "1000000"));
const big = args.includes("--no-10m") ? 0 : 10 * lines;

function sh(cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, { stdio: ["ignore", "pipe", "inherit"], encoding: "utf8", maxBuffer: 1 << 26, ...opts });
  if (r.error) throw r.error;
  return r;
}

// 1. Build. Errors elsewhere in the tree must not hide the engine: tsc emits anyway, so check for the files.
const built = join(root, "dist/cli/scan.js");
if (!existsSync(built) || statSync(built).mtimeMs < statSync(join(root, "src/rules/count-lines.ts")).mtimeMs) {
  console.error("bench: building (tsc + copy-assets)");
  sh("npx", ["tsc", "-p", "tsconfig.build.json"], { cwd: root, stdio: "inherit" });
  sh("node", ["scripts/copy-assets.mjs"], { cwd: root, stdio: "inherit" });
}
if (!existsSync(built)) throw new Error("bench: dist/cli/scan.js is missing after the build");

// 2. The firewatch the harness runs: dist/cli.js when it knows `scan`, else a shim that only registers scan.
let fwDir = root;
const probe = spawnSync("node", [join(root, "dist/cli.js"), "scan", "--help"], { encoding: "utf8" });
if (probe.status !== 0) {
  fwDir = join(work, "shim");
  mkdirSync(join(fwDir, "dist"), { recursive: true });
  writeFileSync(join(fwDir, "package.json"), '{"type":"module"}\n');
  writeFileSync(
    join(fwDir, "dist/cli.js"),
    `// bench shim: dist/cli.js does not register scan yet\nimport { Command } from ${JSON.stringify(join(root, "node_modules/commander/index.js"))};\n` +
      `import { registerScan } from ${JSON.stringify(join(root, "dist/cli/scan.js"))};\n` +
      `const p = new Command("firewatch"); registerScan(p); await p.parseAsync(process.argv);\n`,
  );
  console.error(`bench: dist/cli.js has no scan command yet; the harness runs a shim that registers only scan (${fwDir})`);
}

// 3. The corpus (deterministic; ~6 s per million lines).
mkdirSync(work, { recursive: true });
const corpus = join(work, `corpus-${lines}.log`);
if (!existsSync(corpus) || !existsSync(`${corpus}.expected.tsv`)) {
  console.error(`bench: making ${corpus}`);
  sh(join(harness, "make-corpus.sh"), [String(lines), corpus], { stdio: "inherit" });
}

// 4. The peer harness: every tool on the same corpus, counts checked.
const harnessArgs = ["--firewatch", fwDir, "--runs", runs, ...(slowRuns ? ["--slow-runs", slowRuns] : []), ...(skip ? ["--skip", skip] : []), "--json", join(work, "results.json"), corpus];
console.error(`bench: ${join(harness, "run.sh")} ${harnessArgs.join(" ")}`);
const peers = sh(join(harness, "run.sh"), harnessArgs);
console.log(`## Peers (run.sh, ${new Date().toISOString()})\n\n${peers.stdout}`);

// 5. Stage costs, in-process.
const stages = sh("node", [join(root, "bench/stages.mjs"), corpus, join(harness, "rules.tsv")]);
console.log(stages.stdout);

// 6. Peak RSS of `scan` at N and 10N lines: it must not grow with the input.
function rss(file) {
  const r = sh("/usr/bin/time", ["-f", "%e %M", "node", join(fwDir, "dist/cli.js"), "scan", "--patterns", join(harness, "rules.tsv"), "--count", file], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const [s, kb] = r.stderr.trim().split("\n").at(-1).split(" ");
  const counts = Object.fromEntries(r.stdout.trim().split("\n").map((l) => l.split("\t")).map(([id, n]) => [id, Number(n)]));
  return { seconds: Number(s), mb: Number(kb) / 1024, bytes: statSync(file).size, counts };
}
const sizes = [{ n: lines, file: corpus }];
let bigFile;
if (big > 0) {
  // Ten copies of the 1M corpus: the same lines, 10x the bytes, made in seconds (make-corpus.sh would also run 26
  // grep passes over 1.3 GB for its truth file). Its counts must be exactly ten times the small corpus's.
  bigFile = join(work, `corpus-${big}.log`);
  console.error(`bench: making ${bigFile} (deleted afterwards)`);
  sh("sh", ["-c", `for i in 1 2 3 4 5 6 7 8 9 10; do cat "$0"; done > "$1"`, corpus, bigFile], { stdio: "inherit" });
  sizes.push({ n: big, file: bigFile });
}
console.log("Peak RSS of `firewatch scan --patterns rules.tsv --count` (one run each):\n\n| lines | MiB of input | seconds | MiB/s | peak RSS MiB | counts |\n|---:|---:|---:|---:|---:|---|");
let base;
for (const { n, file } of sizes) {
  const r = rss(file);
  base ??= r.counts;
  const factor = n / lines;
  const ok = Object.keys(base).length > 0 && Object.entries(base).every(([id, c]) => r.counts[id] === c * factor);
  console.log(`| ${n.toLocaleString("en-US")} | ${(r.bytes / 1048576).toFixed(0)} | ${r.seconds.toFixed(2)} | ${(r.bytes / 1048576 / r.seconds).toFixed(0)} | ${r.mb.toFixed(0)} | ${factor === 1 ? "(reference)" : ok ? `OK (${factor}x the reference)` : "WRONG"} |`);
}
// 6b. The jobs users run beside the scan: analyze and a watch catch-up at N lines, analyze at 10N too.
if (!args.includes("--no-pipeline")) {
  const pipeline = sh("node", [join(root, "bench/pipeline.mjs"), "--rules", join(harness, "rules.tsv"), corpus, ...(bigFile ? [bigFile] : [])], { stdio: ["ignore", "pipe", "inherit"] });
  console.log(`\n${pipeline.stdout}`);
  if (pipeline.status !== 0) console.log("bench/pipeline.mjs FAILED (exit code " + pipeline.status + "): see stderr above.");
}
if (bigFile) rmSync(bigFile, { force: true });

// 7. The stores: upserts and commits per second, the embedded default beside the file store and Redis.
if (!args.includes("--no-store")) {
  const store = sh("node", ["--import", "tsx", join(root, "bench/store-bench.mjs")], { cwd: root, stdio: ["ignore", "pipe", "inherit"] });
  console.log(`\n${store.stdout}`);
  if (store.status !== 0) console.log("bench/store-bench.mjs FAILED (exit code " + store.status + "): see stderr above.");
}

// 8. Latency of the daemon (`firewatch watch`): line written → incident JSON line, p50/p99, lines/s, RSS.
if (!args.includes("--no-latency")) {
  const latency = sh("node", [join(root, "bench/latency.mjs")], { stdio: ["ignore", "pipe", "inherit"] });
  console.log(`\n${latency.stdout}`);
  if (latency.status !== 0) console.log("bench/latency.mjs FAILED (exit code " + latency.status + "): see stderr above.");
}

// 8. Sources: lines/s read from a local file, from the same file over a loopback sshd, entries/s from journald.
if (!args.includes("--no-sources")) {
  const sources = sh("node", ["--import", "tsx", join(root, "bench/sources.mjs")], { cwd: root, stdio: ["ignore", "pipe", "inherit"] });
  console.log(`\n${sources.stdout}`);
  if (sources.status !== 0) console.log("bench/sources.mjs FAILED (exit code " + sources.status + "): see stderr above.");
}

// 9. Scale-out through Redis Streams: records/s end to end, 1 collector and 1, 2, 3 analyzers, beside one plain watch.
if (!args.includes("--no-streams")) {
  const streams = sh("node", ["--import", "tsx", join(root, "bench/scale-streams.mjs")], { cwd: root, stdio: ["ignore", "pipe", "inherit"] });
  console.log(`\n${streams.stdout}`);
  if (streams.status !== 0) console.log("bench/scale-streams.mjs FAILED (exit code " + streams.status + "): see stderr above.");
}
