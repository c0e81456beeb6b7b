// No loss, no repeat for a local journal and a journal over SSH, through kill -9 and clean restarts of `watch` with
// 20,000-entry backlogs, dropped SSH links and an sshd restart. Counted per block of 500 numbers, so a loss and a repeat
// cannot cancel out. (A file over SSH at 2,000 lines/s rotated every 2 s: test/integration/sources/file-tail-ssh.test.ts.)
import { execFile } from "node:child_process";
import { chmod, mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { journalAvailability, journalEntry, writeJournal } from "../../harness/journal.js";
import { makeTempDir } from "../../harness/program.js";
import { sshdAvailability, startSshd, type SshdInstance } from "../../harness/sshd.js";
import { blockCounts, blockErrors, blockLine, BLOCK_RULE, startWatch, writeConfig, type WatchProcess } from "./watch-process.js";

const run = promisify(execFile);
const journal = journalAvailability();
const ssh = sshdAvailability();
async function journalctlCount(file: string): Promise<number> {
  try {
    const { stdout } = await run("pgrep", ["-f", `^journalctl .*--file=${file}`]);
    return stdout.split("\n").filter(Boolean).length;
  } catch {
    return 0;
  }
}

describe.skipIf(journal.missing !== undefined || ssh.missing !== undefined)(`firewatch watch over journald and SSH ${journal.missing ?? ""}${ssh.missing ?? ""}`, () => {
  let tmp: { path: string; remove(): Promise<void> };
  let sshd: SshdInstance;
  const running: WatchProcess[] = [];
  beforeAll(async () => {
    tmp = await makeTempDir("watch-jssh");
    sshd = await startSshd();
  });
  afterAll(async () => {
    for (const w of running) await w.kill9();
    await sshd?.stop();
    await tmp?.remove();
  });

  test("every entry counted once: journals with 20,000-entry backlogs through kill -9 and a clean restart, dropped links, an sshd restart", { timeout: 240_000 }, async () => {
    const dir = tmp.path;
    const rules = path.join(dir, "rules");
    await mkdir(rules);
    await writeFile(path.join(rules, "seq.yaml"), BLOCK_RULE);
    const key = path.join(dir, "id_ed25519");
    await writeFile(key, sshd.privateKey);
    await chmod(key, 0o600);
    const files = { journal: path.join(dir, "local.journal"), rjournal: path.join(dir, "remote.journal") };
    const state = path.join(dir, "state");
    const config = await writeConfig(path.join(dir, "fw.yaml"), {
      hosts: { box: { kind: "ssh", host: sshd.host, port: sshd.port, user: sshd.user, privateKeyFile: key, fingerprints: [sshd.hostKeyFingerprint], connectAttempts: 2 } },
      sources: [
        { kind: "journald", name: "journal", files: [files.journal], startAt: "beginning" },
        { kind: "journald", name: "rjournal", host: "box", files: [files.rjournal], startAt: "beginning" },
      ],
      rules: { dirs: [rules] },
      store: { url: `file:${state}` },
      outputs: { jsonLines: true },
    });
    const written = { journal: 0, rjournal: 0 };
    const PREFIX = { journal: "j", rjournal: "r" } as const;
    const writeEntries = async (src: "journal" | "rjournal", n: number) => {
      const from = written[src];
      const now = Date.now() * 1000;
      // Each journal names its own host, so each source's lines make incidents of their own (incidents group by host).
      const entry = (i: number) => journalEntry(now + i, { MESSAGE: blockLine(from + i + 1, PREFIX[src]), _HOSTNAME: src, _SYSTEMD_UNIT: "writer.service", _PID: "4242", SYSLOG_IDENTIFIER: "writer" });
      await writeJournal(files[src], Array.from({ length: n }, (_, i) => entry(i)));
      written[src] += n;
    };
    // The local journal carries the big backlogs; the remote one (the same mechanism over SSH) smaller ones.
    const writeBoth = async (local: number, remote: number) => {
      await writeEntries("journal", local);
      await writeEntries("rjournal", remote);
    };
    await writeBoth(20_000, 2_000);
    let w = startWatch(config);
    running.push(w);
    const committed = () => w.waitFor(() => true);
    await committed();
    expect(await sshd.dropSessions()).toBeGreaterThan(0);
    await writeBoth(200, 200);
    await committed();
    // kill -9 with a fresh 20,000-entry backlog waiting, then again while it is read.
    await w.kill9();
    await writeBoth(20_000, 2_000);
    w = startWatch(config);
    running.push(w);
    await committed();
    await w.kill9();
    w = startWatch(config);
    running.push(w);
    await committed();
    await sshd.dropSessions();
    await writeBoth(300, 300);
    // A clean restart (SIGTERM) with another 20,000-entry backlog written while it is down.
    expect(await w.term()).toBe(0);
    await writeBoth(20_000, 2_000);
    w = startWatch(config);
    running.push(w);
    await committed();
    await sshd.restart();
    await writeBoth(100, 100);
    await committed();
    await w.kill9();
    const last = startWatch(config, ["--once-idle"]);
    running.push(last);
    expect((await last.exit()).code).toBe(0);
    const counts = await blockCounts(state);
    expect(blockErrors(counts, written.journal, PREFIX.journal)).toEqual([]);
    expect(blockErrors(counts, written.rjournal, PREFIX.rjournal)).toEqual([]);
    // The remote journalctl went with its SSH session: nothing left running on the host.
    await expect.poll(() => journalctlCount(files.rjournal), { timeout: 10_000 }).toBe(0);
  });
});
