// No loss, no duplicates: numbered lines through rename and copytruncate rotations and repeated kill -9 of `watch`.
import { appendFile, copyFile, mkdir, rename, truncate, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { makeTempDir } from "../../harness/program.js";
import { seqLines, SEQ_RULE, startWatch, storedIncidents, writeConfig, type WatchProcess } from "./watch-process.js";

let tmp: { path: string; remove(): Promise<void> };
const running: WatchProcess[] = [];
beforeAll(async () => {
  tmp = await makeTempDir("watch-noloss");
});
afterAll(async () => {
  for (const w of running) await w.kill9();
  await tmp.remove();
});

describe("firewatch watch on a file", () => {
  test("counts every line exactly once through rotations (rename, copytruncate) and six kill -9", { timeout: 180_000 }, async () => {
    const logs = path.join(tmp.path, "logs");
    const rules = path.join(tmp.path, "rules");
    await mkdir(logs);
    await mkdir(rules);
    await writeFile(path.join(rules, "seq.yaml"), SEQ_RULE);
    const log = path.join(logs, "app.log");
    await writeFile(log, "");
    const state = path.join(tmp.path, "state");
    const config = await writeConfig(path.join(tmp.path, "fw.yaml"), {
      sources: [{ kind: "file", name: "app", paths: [log], startAt: "beginning", poll: "50ms" }],
      rules: { dirs: [rules] },
      store: { url: `file:${state}` },
    });
    const BATCH = 12_000;
    let written = 0;
    const write = async (n: number) => {
      await appendFile(log, seqLines(written + 1, written + n));
      written += n;
    };
    for (let cycle = 0; cycle < 6; cycle++) {
      const w = startWatch(config);
      running.push(w);
      const before = written;
      await write(BATCH);
      // The first commit of this process that took new lines: it is mid-batch (commits come every 5,000 records).
      await w.waitFor((c) => c.count > before);
      const rotated = path.join(logs, `app.log.${cycle}`);
      if (cycle % 2 === 0) {
        // logrotate's default: rename, and the writer opens a new file.
        await rename(log, rotated);
        await writeFile(log, "");
      } else {
        // copytruncate: nothing is written between the copy and the truncate (the tailer's documented limit).
        await copyFile(log, rotated);
        await truncate(log, 0);
      }
      await write(BATCH / 2);
      await w.kill9();
    }
    const last = startWatch(config, ["--once-idle"]);
    running.push(last);
    expect((await last.exit()).code).toBe(0);
    const [incident, ...others] = await storedIncidents(state);
    expect(others).toHaveLength(0);
    const finding = incident?.incident.findings[0];
    expect(finding?.count).toBe(written);
    expect(finding?.fields.n).toBe(String(written));
  });
});
