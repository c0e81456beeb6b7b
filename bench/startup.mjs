// What a command costs in memory before its first line: RSS of `watch` when it logs "Watching." (one empty file
// source, the file store) and peak RSS of `analyze --format json` on an empty file, median of a few runs.
//   node bench/startup.mjs [--runs 5] [--cli dist/cli.js]
// --cli points at another build (e.g. an older commit built aside) to compare before and after.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(fileURLToPath(new URL("..", import.meta.url)));
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : dflt;
};
const runs = Number(opt("--runs", "5"));
const cli = resolve(opt("--cli", join(root, "dist/cli.js")));
// Run as the `firewatch` command runs: with the V8 flags of the #! line ("#!/usr/bin/env -S node FLAGS").
const nodeFlags = /^#!\/usr\/bin\/env -S node\s+(.*)$/.exec(readFileSync(cli, "utf8").split("\n")[0] ?? "")?.[1]?.trim().split(/\s+/) ?? [];
const work = mkdtempSync(join(process.env.TMPDIR ?? tmpdir(), "fw-bench-startup-"));
const empty = join(work, "empty.log");
writeFileSync(empty, "");

const rssMiB = (pid) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? NaN) / 1024;

/** RSS of a `watch` at its "Watching." line, then SIGTERM. */
function watchAtReady(k) {
  const config = join(work, `watch-${k}.yaml`);
  writeFileSync(config, `sources: [{ kind: file, name: empty, paths: [${JSON.stringify(empty)}], startAt: beginning }]\nstore: { url: ${JSON.stringify(`file:${join(work, `state-${k}`)}`)} }\nhealth: { host: 127.0.0.1, port: 0 }\n`);
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [...nodeFlags, cli, "watch", "--config", config], { stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    let rss;
    child.stderr.on("data", (d) => {
      err += d;
      if (rss === undefined && err.includes('"msg":"Watching."')) {
        rss = rssMiB(child.pid);
        child.kill("SIGTERM");
      }
    });
    child.on("exit", () => (rss === undefined ? fail(new Error(`watch never said "Watching.":\n${err}`)) : done(rss)));
  });
}

/** Peak RSS (MiB) of `analyze --format json` on an empty file: what it holds at its end, with nothing read. */
function analyzeEmpty() {
  const r = spawnSync("/usr/bin/time", ["-f", "%M", process.execPath, ...nodeFlags, cli, "analyze", "--format", "json", empty], { encoding: "utf8" });
  return Number(r.stderr.trim().split("\n").at(-1)) / 1024;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const watch = [];
const analyze = [];
for (let k = 0; k < runs; k++) {
  watch.push(await watchAtReady(k));
  analyze.push(analyzeEmpty());
}
rmSync(work, { recursive: true, force: true });
const fmt = (xs) => `${median(xs).toFixed(0)} (${xs.map((x) => x.toFixed(0)).join(", ")})`;
console.log(`## Start-up memory (bench/startup.mjs, ${cli}, node flags: ${nodeFlags.join(" ") || "none"}, ${new Date().toISOString()})\n`);
console.log("| command | MiB, median (runs) |");
console.log("|---|---|");
console.log(`| \`watch\` RSS at "Watching." (empty file source, file store) | ${fmt(watch)} |`);
console.log(`| \`analyze --format json\` peak RSS, empty file | ${fmt(analyze)} |`);
