// No loss, no duplicates for a Docker container's log through kill -9 of `watch`, a restart of the container, and a
// stop and start of the Docker daemon itself while `watch` follows the container's logs and events.
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { dockerdAvailability, startDockerd, type DockerdInstance } from "../../harness/dockerd.js";
import { makeTempDir } from "../../harness/program.js";
import { BLOCK, blockCounts, BLOCK_RULE, SEQ_RULE, startWatch, storedIncidents, writeConfig, type ChangeLine, type WatchProcess } from "./watch-process.js";

const avail = dockerdAvailability();

/** Per block, how many of these "seq=N blk=dB" lines there are: what an exact reader counts. */
function countsOf(lines: readonly string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const l of lines) {
    const b = /^seq=\d+ blk=(\w+)$/.exec(l)?.[1];
    if (b !== undefined) out.set(b, (out.get(b) ?? 0) + 1);
  }
  return out;
}

describe.skipIf(avail.missing !== undefined)(`firewatch watch on a container ${avail.missing ?? ""}`, () => {
  let tmp: { path: string; remove(): Promise<void> };
  let dockerd: DockerdInstance;
  const running: WatchProcess[] = [];
  beforeAll(async () => {
    tmp = await makeTempDir("watch-docker");
    dockerd = await startDockerd();
  }, 120_000);
  afterAll(async () => {
    for (const w of running) await w.kill9();
    await dockerd?.stop();
    await tmp?.remove();
  });

  test("every line of every run counted once through kill -9 and docker restart", { timeout: 180_000 }, async () => {
    const rules = path.join(tmp.path, "rules");
    await mkdir(rules);
    await writeFile(path.join(rules, "seq.yaml"), SEQ_RULE);
    const state = path.join(tmp.path, "state");
    const config = await writeConfig(path.join(tmp.path, "fw.yaml"), {
      sources: [{ kind: "docker", name: "docker", socketPath: dockerd.socketPath, containers: ["counter"], events: false }],
      rules: { dirs: [rules] },
      store: { url: `file:${state}` },
    });
    // 2,000 numbered lines per run, about 1,000 a second, then it idles (so a catch-up run can end).
    const script = `i=0; while [ $i -lt 2000 ]; do i=$((i+1)); echo "seq=$i"; [ $((i % 100)) -eq 0 ] && sleep 0.1; done; exec sleep 600`;
    /** The container's log lines once `done` holds for them (each look is one `docker logs`). */
    const logsWhen = async (done: (lines: string[]) => boolean): Promise<string[]> => {
      for (;;) {
        const lines = (await dockerd.docker(["logs", "counter"])).split("\n").filter((l) => l.startsWith("seq="));
        if (done(lines)) return lines;
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    const finishedRuns = (lines: string[]) => lines.filter((l) => l === "seq=2000").length;
    let w = startWatch(config);
    running.push(w);
    await dockerd.docker(["run", "-d", "--name", "counter", dockerd.image, "sh", "-c", script]);
    await w.waitFor((c) => c.count > 0);
    await w.kill9();
    w = startWatch(config);
    running.push(w);
    await logsWhen((l) => finishedRuns(l) === 1);
    // Not a change line: the first watch may have read and committed the whole first run before its kill, and
    // then this one has nothing new to say until the restart.
    await w.ready();
    // The container starts over: a second run of 2,000 lines in the same log.
    await dockerd.docker(["restart", "-t", "0", "counter"]);
    await w.waitFor((c) => c.count > 2000);
    await w.kill9();
    // The second run finishes printing while nothing reads it.
    await logsWhen((l) => finishedRuns(l) === 2);
    const last = startWatch(config, ["--once-idle"]);
    running.push(last);
    expect((await last.exit()).code).toBe(0);
    const logged = (await dockerd.docker(["logs", "counter"])).split("\n").filter((l) => l.startsWith("seq=")).length;
    expect(logged).toBe(4000);
    const [incident] = await storedIncidents(state);
    expect(incident?.incident.findings[0]?.count).toBe(logged);
  });

  test("the Docker daemon stopped and started while followed: the source is reported down, then connected again, every line counted once", { timeout: 180_000 }, async () => {
    const dir = path.join(tmp.path, "restart");
    const rules = path.join(dir, "rules");
    await mkdir(rules, { recursive: true });
    await writeFile(path.join(rules, "seq.yaml"), BLOCK_RULE);
    const state = path.join(dir, "state");
    const config = await writeConfig(path.join(dir, "fw.yaml"), {
      sources: [{ kind: "docker", name: "dock", socketPath: dockerd.socketPath, containers: ["numbered"], events: true }],
      rules: { dirs: [rules] },
      store: { url: `file:${state}` },
    });
    // Numbered lines, about 1,000 a second; the number lives in the container's own file system, so the run that
    // `--restart always` starts when the daemon is back goes on counting where the last one stopped.
    const script = `i=$(cat /tmp/n 2>/dev/null || echo 0); while :; do i=$((i+1)); echo "seq=$i blk=d$(( (i-1) / ${BLOCK} ))"; echo $i > /tmp/n; [ $((i % 50)) -eq 0 ] && sleep 0.05; done`;
    const logged = async () => (await dockerd.docker(["logs", "numbered"])).split("\n").filter((l) => l.startsWith("seq="));
    const health = (c: ChangeLine) => c.findings.find((f) => f.rule === "firewatch_source_health");
    const seq = (c: ChangeLine) => c.findings.filter((f) => f.rule === "seq_block").reduce((n, f) => n + f.count, 0);
    const w = startWatch(config);
    running.push(w);
    await dockerd.docker(["run", "-d", "--name", "numbered", "--restart", "always", "--stop-timeout", "1", dockerd.image, "sh", "-c", script]);
    await w.waitFor((c) => seq(c) > 0);
    await dockerd.halt();
    await expect(dockerd.docker(["version"], { timeoutMs: 10_000 })).rejects.toThrow();
    const down = await w.waitFor((c) => health(c)?.state === "firing");
    expect(down.title).toBe("Log source dock is down");
    await dockerd.start();
    const back = await w.waitFor((c) => health(c) !== undefined && health(c)?.state !== "firing");
    expect(health(back)?.count).toBeGreaterThan(0);
    // Lines of the run after the daemon's restart arrive and are counted on top of the first run's.
    const firstRun = (await logged()).length;
    await w.waitFor((c) => seq(c) > firstRun + 1000);
    await dockerd.docker(["stop", "-t", "1", "numbered"]);
    expect(await w.term()).toBe(0);
    const last = startWatch(config, ["--once-idle"]);
    running.push(last);
    expect((await last.exit()).code).toBe(0);
    const lines = await logged();
    expect(lines.length).toBeGreaterThan(firstRun + 1000);
    const counted = new Map([...(await blockCounts(state))].filter(([b]) => b.startsWith("d")));
    expect(counted).toEqual(countsOf(lines));
  });
});
