// No loss, no repeat for a file read over SSH by `watch`: a service writing 2,000 numbered lines/s, its log renamed
// away every 2 s (logrotate `create`, then it reopens), SSH sessions dropped, `watch` killed with SIGKILL twice, then a
// catch-up run. Counted per block of 500 numbers, so a loss and a repeat cannot cancel out.
import { chmod, mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { makeTempDir } from "../../harness/program.js";
import { sshdAvailability, startSshd, type SshdInstance } from "../../harness/sshd.js";
import { blockCounts, blockErrors, BLOCK_RULE, rotate, startWatch, startWriter, writeConfig, type WatchProcess } from "./watch-process.js";

const ssh = sshdAvailability();

describe.skipIf(ssh.missing !== undefined)(`firewatch watch on a file over SSH ${ssh.missing ?? ""}`, () => {
  let tmp: { path: string; remove(): Promise<void> };
  let sshd: SshdInstance;
  const running: WatchProcess[] = [];
  beforeAll(async () => {
    tmp = await makeTempDir("watch-fssh");
    sshd = await startSshd();
  });
  afterAll(async () => {
    for (const w of running) await w.kill9();
    await sshd?.stop();
    await tmp?.remove();
  });

  test("every line counted once at 2,000 lines/s rotated every 2 s, with dropped sessions and kill -9 twice", { timeout: 150_000 }, async () => {
    const dir = tmp.path;
    const rules = path.join(dir, "rules");
    const logs = path.join(dir, "logs");
    await mkdir(rules);
    await mkdir(logs);
    await writeFile(path.join(rules, "seq.yaml"), BLOCK_RULE);
    const key = path.join(dir, "id_ed25519");
    await writeFile(key, sshd.privateKey);
    await chmod(key, 0o600);
    const log = path.join(logs, "app.log");
    await writeFile(log, "");
    const state = path.join(dir, "state");
    const config = await writeConfig(path.join(dir, "fw.yaml"), {
      hosts: { box: { kind: "ssh", host: sshd.host, port: sshd.port, user: sshd.user, privateKeyFile: key, fingerprints: [sshd.hostKeyFingerprint], connectAttempts: 2 } },
      sources: [{ kind: "file", name: "rfile", host: "box", paths: [log], startAt: "beginning", poll: "50ms", rotateWait: "1s" }],
      rules: { dirs: [rules] },
      store: { url: `file:${state}` },
    });
    // The writer's first lines, then a pause until `watch` has read them: a first start takes the live file from its
    // beginning, not generations rotated before it ever looked, and the test need not wait out a backlog of its start.
    const writer = startWriter(log, 2000, "f");
    await expect.poll(() => writer.written, { timeout: 5_000 }).toBeGreaterThan(0);
    writer.pause();
    let w = startWatch(config);
    running.push(w);
    let rotation: NodeJS.Timeout | undefined;
    const committed = () => w.waitFor(() => true);
    const restart = async () => {
      await w.kill9();
      w = startWatch(config);
      running.push(w);
      await committed();
    };
    try {
      await committed();
      writer.resume();
      rotation = setInterval(() => {
        rotate(log);
        writer.reopen();
      }, 2000);
      await sleep(1500);
      expect(await sshd.dropSessions()).toBeGreaterThan(0);
      await sleep(1500);
      await restart();
      await sleep(1000);
      await sshd.dropSessions();
      await sleep(1500);
      await restart();
      await sleep(1500);
    } finally {
      clearInterval(rotation);
      writer.stop();
    }
    await w.kill9();
    const last = startWatch(config, ["--once-idle"]);
    running.push(last);
    expect((await last.exit()).code).toBe(0);
    expect(blockErrors(await blockCounts(state), writer.written, "f")).toEqual([]);
    expect(writer.written).toBeGreaterThan(15_000);
  });
});
