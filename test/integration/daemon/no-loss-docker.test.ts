// No loss, no duplicates for a Docker container's log through kill -9 of `watch` and a restart of the container.
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { dockerdAvailability, startDockerd, type DockerdInstance } from "../../harness/dockerd.js";
import { makeTempDir } from "../../harness/program.js";
import { SEQ_RULE, startWatch, storedIncidents, writeConfig, type WatchProcess } from "./watch-process.js";

const avail = dockerdAvailability();

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
    await w.waitFor((c) => c.count > 0);
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
});
