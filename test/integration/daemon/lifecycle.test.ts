// `firewatch watch` as operators run it: SIGTERM drains and commits, /healthz and /metrics answer, a bad config exits 2,
// and a source that goes quiet becomes an incident of its own.
import { spawnSync } from "node:child_process";
import { once } from "node:events";
import { appendFile, mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { makeTempDir } from "../../harness/program.js";
import { ROOT, seqLines, SEQ_RULE, startWatch, storedIncidents, writeConfig, type ChangeLine, type WatchProcess } from "./watch-process.js";

let tmp: { path: string; remove(): Promise<void> };
let rules: string;
const running: WatchProcess[] = [];
beforeAll(async () => {
  tmp = await makeTempDir("watch-life");
  rules = path.join(tmp.path, "rules");
  await mkdir(rules);
  await writeFile(path.join(rules, "seq.yaml"), SEQ_RULE);
});
afterAll(async () => {
  for (const w of running) await w.kill9();
  await tmp.remove();
});

/** The health port from the daemon's "Watching." log line on stderr. */
async function healthPort(w: WatchProcess): Promise<number> {
  const stderr = w.proc.child.stderr;
  if (!stderr) throw new Error("no stderr");
  for (;;) {
    const m = /"healthPort":(\d+)/.exec(w.proc.stderr());
    if (m?.[1]) return Number(m[1]);
    await once(stderr, "data");
  }
}

/** The change lines left on stdout after the process exited. */
async function remainingChanges(w: WatchProcess): Promise<ChangeLine[]> {
  const out: ChangeLine[] = [];
  for (;;) {
    try {
      out.push(await w.nextChange());
    } catch {
      return out;
    }
  }
}

describe("firewatch watch lifecycle", () => {
  test("SIGTERM drains: what was read is committed, exit 0, and a restart goes on from there", { timeout: 90_000 }, async () => {
    const dir = path.join(tmp.path, "term");
    await mkdir(dir);
    const log = path.join(dir, "app.log");
    await writeFile(log, "");
    const state = path.join(dir, "state");
    const config = await writeConfig(path.join(dir, "fw.yaml"), {
      sources: [{ kind: "file", name: "app", paths: [log], startAt: "beginning", poll: "50ms" }],
      rules: { dirs: [rules] },
      store: { url: `file:${state}` },
    });
    const w = startWatch(config);
    running.push(w);
    const port = await healthPort(w);
    await appendFile(log, seqLines(1, 30_000));
    const first = await w.waitFor((c) => c.count > 0);
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: "ok" });
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toMatch(/firewatch_source_up\{source="app"\} 1/);
    expect(await w.term()).toBe(0);
    const [stored] = await storedIncidents(state);
    const count = stored?.incident.findings[0]?.count ?? 0;
    expect(count).toBeGreaterThanOrEqual(first.count);
    // The final commit's change was printed before exit: stdout agrees with the store.
    const printed = [first, ...(await remainingChanges(w))];
    expect(printed.at(-1)?.count).toBe(count);
    const again = startWatch(config, ["--once-idle"]);
    running.push(again);
    expect((await again.exit()).code).toBe(0);
    expect((await storedIncidents(state))[0]?.incident.findings[0]?.count).toBe(30_000);
  });

  test("a source quiet past its quiet time is an incident of its own", { timeout: 60_000 }, async () => {
    const dir = path.join(tmp.path, "quiet");
    await mkdir(dir);
    const log = path.join(dir, "app.log");
    await writeFile(log, "");
    const config = await writeConfig(path.join(dir, "fw.yaml"), {
      sources: [{ kind: "file", name: "silent-app", paths: [log], quiet: "2s", poll: "50ms" }],
      store: { url: `file:${path.join(dir, "state")}` },
    });
    const w = startWatch(config);
    running.push(w);
    const c = await w.waitFor((x) => x.findings.some((f) => f.rule === "firewatch_source_quiet"));
    expect(c).toMatchObject({ outcome: "created", title: "Log source silent-app is quiet" });
    expect(await w.term()).toBe(0);
  });

  test("a config error is the config floor's one line with file:line field, exit 2", () => {
    const bad = path.join(tmp.path, "bad.yaml");
    spawnSync("sh", ["-c", `printf 'sources:\\n  - kind: file\\n    startAt: end\\n' > ${bad}`]);
    const r = spawnSync(process.execPath, ["--import", "tsx", path.join(ROOT, "src/cli.ts"), "watch", "--config", bad], { cwd: ROOT, timeout: 60_000 });
    expect(r.status).toBe(2);
    expect(r.stderr.toString()).toBe(`firewatch: ${bad}:2 sources[0].paths: missing (expected array)\n`);
  });
});
