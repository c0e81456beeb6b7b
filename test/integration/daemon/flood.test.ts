// A source that floods (a crash loop writing 10k lines/s) is read at its share: a quiet source next to it is still
// heard within seconds, and every flood line is still counted once.
import { spawn } from "node:child_process";
import { appendFile, mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { makeTempDir } from "../../harness/program.js";
import { startWatch, storedIncidents, writeConfig, type WatchProcess } from "./watch-process.js";

let tmp: { path: string; remove(): Promise<void> };
const running: WatchProcess[] = [];
beforeAll(async () => {
  tmp = await makeTempDir("watch-flood");
});
afterAll(async () => {
  for (const w of running) await w.kill9();
  await tmp.remove();
});

const RULES = `rules:
  - id: flood_line
    title: Flood
    kind: single
    severity: low
    match: 'flood seq=(?<n>\\d+)'
  - id: quiet_line
    title: Quiet source spoke
    kind: single
    severity: high
    match: 'quiet seq=(?<n>\\d+)'
`;

/** Appends `total` flood lines at `perSecond`, in 20 slices a second, from a child process (the test does not pace). */
function flood(file: string, total: number, perSecond: number): Promise<void> {
  const script = `
    const fs = require("node:fs");
    const [file, total, rate] = [process.argv[1], Number(process.argv[2]), Number(process.argv[3])];
    const slice = Math.ceil(rate / 20);
    let n = 0;
    const t = setInterval(() => {
      let s = "";
      for (let i = 0; i < slice && n < total; i++) s += "2026-11-23T12:00:00Z web1 api[7]: panic: flood seq=" + (++n) + "\\n";
      fs.appendFileSync(file, s);
      if (n >= total) { clearInterval(t); }
    }, 50);`;
  const child = spawn(process.execPath, ["-e", script, file, String(total), String(perSecond)], { stdio: "ignore" });
  return new Promise((resolve, reject) => child.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`flood writer exited ${code}`)))));
}

test("a flooding source does not starve a quiet one, and each of its lines counts once", { timeout: 120_000 }, async () => {
  const rules = path.join(tmp.path, "rules");
  await mkdir(rules);
  await writeFile(path.join(rules, "flood.yaml"), RULES);
  const floodLog = path.join(tmp.path, "flood.log");
  const quietLog = path.join(tmp.path, "quiet.log");
  await writeFile(floodLog, "");
  await writeFile(quietLog, "");
  const state = path.join(tmp.path, "state");
  const config = await writeConfig(path.join(tmp.path, "fw.yaml"), {
    sources: [
      { kind: "file", name: "flood", paths: [floodLog], startAt: "beginning", poll: "100ms" },
      { kind: "file", name: "quiet", paths: [quietLog], startAt: "beginning", poll: "100ms", flushAfter: "200ms" },
    ],
    rules: { dirs: [rules] },
    store: { url: `file:${state}` },
  });
  const w = startWatch(config);
  running.push(w);
  const TOTAL = 100_000;
  const writing = flood(floodLog, TOTAL, 10_000);
  // Once the flood is being read, a single quiet line must come through while it goes on.
  await w.waitFor((c) => c.findings.some((f) => f.rule === "flood_line" && f.count > 0));
  const t0 = performance.now();
  await appendFile(quietLog, "2026-11-23T12:00:00Z web2 cron[9]: quiet seq=1\n");
  const heard = await w.waitFor((c) => c.findings.some((f) => f.rule === "quiet_line"));
  const quietMs = performance.now() - t0;
  const floodSoFar = await w.waitFor((c) => c.findings.some((f) => f.rule === "flood_line"));
  console.log(`quiet line heard after ${quietMs.toFixed(0)} ms while the flood ran (${floodSoFar.count} flood lines counted by then)`);
  expect(heard.count).toBe(1);
  expect(quietMs).toBeLessThan(3000);
  await writing;
  expect(await w.term()).toBe(0);
  const last = startWatch(config, ["--once-idle"]);
  running.push(last);
  expect((await last.exit()).code).toBe(0);
  const counts = Object.fromEntries((await storedIncidents(state)).flatMap((s) => s.incident.findings.map((f) => [f.rule, f.count])));
  expect(counts).toEqual({ flood_line: TOTAL, quiet_line: 1 });
});
