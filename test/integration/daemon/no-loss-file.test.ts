// No loss, no repeat: a writer holding its log open (as a service does) writes numbered lines while the file is rotated
// every way logrotate does it, `watch` is killed with SIGKILL twice in each, and three rotations pass while it is down.
import { copyFileSync, openSync, truncateSync, writeSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { makeTempDir } from "../../harness/program.js";
import { BLOCK, blockCounts, blockErrors, blockLines, BLOCK_RULE, rotate, shift, startWatch, startWriter, writeConfig, type WatchProcess } from "./watch-process.js";

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
  test("every line counted once through rename, rename with late writes, copytruncate, three rotations while down, and kill -9 twice in each", { timeout: 180_000 }, async () => {
    const logs = path.join(tmp.path, "logs");
    const rules = path.join(tmp.path, "rules");
    await mkdir(logs);
    await mkdir(rules);
    await writeFile(path.join(rules, "seq.yaml"), BLOCK_RULE);
    const log = path.join(logs, "app.log");
    const state = path.join(tmp.path, "state");
    const config = await writeConfig(path.join(tmp.path, "fw.yaml"), {
      sources: [{ kind: "file", name: "app", paths: [log], startAt: "beginning", poll: "50ms", rotateWait: "1500ms" }],
      rules: { dirs: [rules] },
      store: { url: `file:${state}` },
    });
    const writer = startWriter(log, 1000);
    let w = startWatch(config);
    running.push(w);
    /** kill -9, start again, and wait until the new process has committed something. */
    const restart = async () => {
      await w.kill9();
      w = startWatch(config);
      running.push(w);
    };
    const committed = () => w.waitFor(() => true);
    await committed();

    // 1. rename, and the writer reopens at once (logrotate `create` with a quick postrotate).
    rotate(log);
    writer.reopen();
    await restart();
    await sleep(300);
    await restart();
    await committed();

    // 2. rename, and the writer goes on appending to the renamed file for a second before it reopens, while watch
    // reads (caught up, so it sees the rename at once); then two kill -9 while the renamed file is still waited on.
    const target = Math.floor((writer.written - 1) / BLOCK);
    await w.waitFor((c) => c.findings.some((f) => Number(f.fields.blk) >= target));
    rotate(log);
    await sleep(1000);
    writer.reopen();
    await sleep(300);
    await restart();
    await sleep(300);
    await restart();
    await committed();

    // 3. copytruncate (nothing is written between the copy and the truncate: logrotate's own window).
    await restart();
    writer.pause();
    shift(log);
    copyFileSync(log, `${log}.1`);
    truncateSync(log, 0);
    writer.resume();
    await sleep(300);
    await restart();
    await committed();

    // 4. three rotations while watch is down: every generation is read, in order, from the cursor's one.
    await w.kill9();
    for (let i = 0; i < 3; i++) {
      await sleep(250);
      rotate(log);
      writer.reopen();
    }
    w = startWatch(config);
    running.push(w);
    await sleep(500);
    await restart();
    await sleep(300);
    writer.stop();
    await w.kill9();

    const last = startWatch(config, ["--once-idle"]);
    running.push(last);
    expect((await last.exit()).code).toBe(0);
    expect(blockErrors(await blockCounts(state), writer.written)).toEqual([]);
    expect(writer.written).toBeGreaterThan(5000);

    // What cannot be exact is not silent: bytes seen in the file but truncated away before they were read.
    w = startWatch(config);
    running.push(w);
    writeSync(openSync(log, "a"), blockLines(writer.written + 1, writer.written + 1));
    await committed();
    writeSync(openSync(log, "a"), "an unfinished line that is never ended");
    await sleep(500);
    truncateSync(log, 0);
    writeSync(openSync(log, "a"), "next line\n");
    const lost = await w.waitFor((c) => c.findings.some((f) => f.rule === "firewatch_source_lost"));
    expect(lost.findings.find((f) => f.rule === "firewatch_source_lost")?.fields.what).toMatch(/^38 bytes of .*app\.log .* truncated away before they were read$/);
    await w.kill9();
  });
});
