// Latency of `firewatch watch`: time from a line appended to a followed file to its incident's JSON line on stdout,
// then end-to-end lines/s through the same daemon, and its peak RSS. Prints a markdown section for bench/RESULTS.md.
//   node bench/latency.mjs [--events 250] [--rate 10] [--noise 200000] [--burst-rate 0] [--keep]
// --burst-rate N: while the events are written, non-matching lines are appended at N lines/s (in 50 ms slices), so
// the latencies are those of a daemon reading a burst (issue 18: p99 < 2 s under 50,000 lines/s).
// The daemon is the real CLI (`node dist/cli.js watch --config ...`, built here if dist is older than src/daemon),
// with a file source (poll 250 ms, the default), the file store, JSON lines on stdout and /metrics on a free port.
import { spawn, spawnSync } from "node:child_process";
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { get } from "node:http";
import { createInterface } from "node:readline";
import { setTimeout } from "node:timers";
import { fileURLToPath } from "node:url";

const root = resolve(fileURLToPath(new URL("..", import.meta.url)));
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? Number(args[i + 1]) : dflt;
};
const EVENTS = opt("--events", 250);
const RATE = opt("--rate", 10);
const NOISE = opt("--noise", 200_000);
const BURST = opt("--burst-rate", 0);
const GOAL_P99_MS = 2000;

// 1. A dist whose daemon is at least as new as its sources (tsc emits even when other files have type errors).
function newest(dir) {
  let t = 0;
  for (const f of readdirSync(dir)) if (f.endsWith(".ts")) t = Math.max(t, statSync(join(dir, f)).mtimeMs);
  return t;
}
const builtWatch = join(root, "dist/daemon/watch.js");
if (!existsSync(builtWatch) || statSync(builtWatch).mtimeMs < newest(join(root, "src/daemon"))) {
  console.error("latency: building (tsc + copy-assets)");
  spawnSync("npx", ["tsc", "-p", "tsconfig.build.json"], { cwd: root, stdio: "inherit" });
  spawnSync("node", ["scripts/copy-assets.mjs"], { cwd: root, stdio: "inherit" });
}
if (!existsSync(builtWatch)) throw new Error("latency: dist/daemon/watch.js is missing after the build: does `firewatch watch` exist yet?");

// 2. A temp world: one log file, one rule, the file store, a config.
const work = mkdtempSync(join(process.env.TMPDIR ?? tmpdir(), "fw-latency-"));
const logFile = join(work, "app.log");
const rulesDir = join(work, "rules");
mkdirSync(rulesDir);
writeFileSync(logFile, "");
// A single-kind rule; each event names its own host, so each is its own incident and makes its own "created" line.
writeFileSync(
  join(rulesDir, "bench_latency_event.yaml"),
  `id: bench_latency_event
title: "Latency event {id}"
severity: low
kind: single
match: 'LATENCY-EVENT id=(?<id>\\d+)'
group_by: [host, id]
`,
);
const config = join(work, "firewatch.yaml");
writeFileSync(
  config,
  `hosts: { local: { kind: local } }
sources:
  - kind: file
    name: bench
    paths: [${JSON.stringify(logFile)}]
    startAt: beginning
rules: { dirs: [${JSON.stringify(rulesDir)}] }
store: { url: ${JSON.stringify(`file:${join(work, "state")}`)} }
outputs: { jsonLines: true }
health: { host: 127.0.0.1, port: 0 }
`,
);

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
function stamp(ms) {
  const d = new Date(ms);
  const p = (n) => String(n).padStart(2, "0");
  return `${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2, " ")} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}
const eventLine = (id) => `${stamp(Date.now())} bench-${id} benchd[4242]: ERROR LATENCY-EVENT id=${id} the probe line of event ${id}\n`;
const noiseLine = (i) => `${stamp(Date.now())} bench-noise benchd[4242]: INFO request ${i} served in 12 ms path=/api/v1/items/${i % 997}\n`;

// 3. The daemon.
const child = spawn(process.execPath, [join(root, "dist/cli.js"), "watch", "--config", config], { cwd: work, stdio: ["ignore", "pipe", "pipe"] });
const seen = new Map(); // event id -> time its incident line arrived (ms, performance.now())
const waiters = new Map();
let stderrTail = "";
let healthPort;
let ready;
const readyP = new Promise((r) => (ready = r));
createInterface({ input: child.stderr }).on("line", (line) => {
  stderrTail = (stderrTail + line + "\n").slice(-4000);
  if (healthPort === undefined && line.includes('"Watching."')) {
    healthPort = JSON.parse(line).healthPort;
    ready();
  }
});
createInterface({ input: child.stdout }).on("line", (line) => {
  const at = performance.now();
  let msg;
  try {
    msg = JSON.parse(line);
  } catch {
    return;
  }
  for (const f of msg.findings ?? []) {
    const id = f.fields?.id;
    if (f.rule !== "bench_latency_event" || id === undefined || seen.has(id)) continue;
    seen.set(id, at);
    waiters.get(id)?.();
  }
});
const exited = new Promise((r) => child.once("exit", (code, sig) => r({ code, sig })));
const failIfExited = exited.then(({ code, sig }) => {
  throw new Error(`latency: firewatch watch exited early (code ${code}, signal ${sig}):\n${stderrTail}`);
});
const waitFor = (id, ms) =>
  seen.has(id)
    ? Promise.resolve()
    : Promise.race([
        new Promise((r) => waiters.set(id, r)),
        new Promise((_, rej) => setTimeout(() => rej(new Error(`latency: no incident line for event ${id} within ${ms} ms`)), ms)),
        failIfExited,
      ]);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function metric(name) {
  const text = await new Promise((ok, fail) => {
    get(`http://127.0.0.1:${healthPort}/metrics`, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (c) => (body += c)).on("end", () => ok(body));
    }).on("error", fail);
  });
  const line = text.split("\n").find((l) => l.startsWith(name));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(" ") + 1));
}
function peakRssMiB(pid) {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : NaN;
}

function quantile(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

try {
  await Promise.race([readyP, failIfExited, sleep(30_000).then(() => Promise.reject(new Error(`latency: watch not ready in 30 s:\n${stderrTail}`)))]);
  // Warm-up: the first event pays for JIT and the first store write; it is not measured.
  appendFileSync(logFile, eventLine("900001"));
  await waitFor("900001", 20_000);

  // Phase 1: steady rate, one line per event, each written with its own write(2).
  const written = new Map();
  let bursting = BURST > 0;
  let burstLines = 0;
  const burst = (async () => {
    const slice = Math.max(1, Math.round(BURST / 20));
    const b0 = performance.now();
    while (bursting) {
      let chunk = "";
      for (let j = 0; j < slice; j++) chunk += noiseLine(burstLines + j);
      appendFileSync(logFile, chunk);
      burstLines += slice;
      const wait = b0 + (burstLines / BURST) * 1000 - performance.now();
      await sleep(Math.max(0, wait));
    }
  })();
  const t0 = performance.now();
  for (let i = 0; i < EVENTS; i++) {
    const due = t0 + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    const id = String(i);
    written.set(id, performance.now());
    appendFileSync(logFile, eventLine(id));
  }
  const burstSeconds = (performance.now() - t0) / 1000;
  bursting = false;
  await burst;
  await Promise.all([...written.keys()].map((id) => waitFor(id, BURST > 0 ? 180_000 : 30_000)));
  const lat = [...written].map(([id, w]) => seen.get(id) - w).sort((a, b) => a - b);
  const rssAfterEvents = peakRssMiB(child.pid);

  // Phase 2: throughput. NOISE lines that match nothing, in 1,000-line writes, then one event; time to its incident.
  const before = await metric('firewatch_lines_read_total{source="bench"}');
  const n0 = performance.now();
  for (let i = 0; i < NOISE; i += 1000) {
    let chunk = "";
    for (let j = i; j < Math.min(NOISE, i + 1000); j++) chunk += noiseLine(j);
    appendFileSync(logFile, chunk);
  }
  const writtenAt = performance.now();
  appendFileSync(logFile, eventLine("900002"));
  await waitFor("900002", 120_000);
  const elapsed = (seen.get("900002") - n0) / 1000;
  const after = await metric('firewatch_lines_read_total{source="bench"}');
  const rss = peakRssMiB(child.pid);

  child.kill("SIGTERM");
  const { code } = await exited;

  const p = (q) => quantile(lat, q).toFixed(0);
  const mean = lat.reduce((a, b) => a + b, 0) / lat.length;
  const p99 = quantile(lat, 0.99);
  console.log(`## Latency of \`firewatch watch\` (bench/latency.mjs, ${new Date().toISOString()})

A file source (poll 250 ms), the file store (commit every 500 ms), JSON lines on stdout. ${EVENTS} events at ${RATE}/s,
each a new incident; latency = line appended → its incident's JSON line read from the daemon's stdout.${
    BURST > 0 ? `\nMeanwhile a burst: ${burstLines.toLocaleString("en-US")} non-matching lines in ${burstSeconds.toFixed(1)} s (${Math.round(burstLines / burstSeconds).toLocaleString("en-US")} lines/s asked: ${BURST.toLocaleString("en-US")}).` : ""
  }

| events | p50 ms | p90 ms | p99 ms | max ms | mean ms | goal p99 | met? |
|---:|---:|---:|---:|---:|---:|---:|---|
| ${lat.length} | ${p(0.5)} | ${p(0.9)} | ${p(0.99)} | ${lat.at(-1).toFixed(0)} | ${mean.toFixed(0)} | < ${GOAL_P99_MS} | ${p99 < GOAL_P99_MS ? "yes" : "**no**"} |

Throughput: ${NOISE.toLocaleString("en-US")} non-matching lines appended in ${((writtenAt - n0) / 1000).toFixed(2)} s, then one event:
its incident line came ${elapsed.toFixed(2)} s after the first noise line, **${Math.round(NOISE / elapsed).toLocaleString("en-US")} lines/s** end to end
(firewatch_lines_read_total grew by ${after !== undefined && before !== undefined ? (after - before).toLocaleString("en-US") : "?"}).
Peak RSS of the daemon: ${rssAfterEvents.toFixed(0)} MiB after the events, ${rss.toFixed(0)} MiB after the noise. Exit on SIGTERM: ${code}.
`);
  if (code !== 0) process.exitCode = 1;
} catch (e) {
  child.kill("SIGKILL");
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
} finally {
  if (!args.includes("--keep")) rmSync(work, { recursive: true, force: true });
  else console.error(`latency: kept ${work}`);
}
