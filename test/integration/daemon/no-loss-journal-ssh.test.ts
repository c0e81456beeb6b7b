// No loss, no duplicates for a local journal, a journal over SSH and a file over SSH, through kill -9 of `watch`,
// dropped SSH links and an sshd restart.
import { execFile } from "node:child_process";
import { appendFile, chmod, mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { journalAvailability, journalEntry, writeJournal } from "../../harness/journal.js";
import { makeTempDir } from "../../harness/program.js";
import { sshdAvailability, startSshd, type SshdInstance } from "../../harness/sshd.js";
import { startWatch, storedIncidents, writeConfig, type WatchProcess } from "./watch-process.js";

const run = promisify(execFile);
const journal = journalAvailability();
const ssh = sshdAvailability();
const SOURCES = ["journal", "rjournal", "rfile"] as const;
type Src = (typeof SOURCES)[number];

/** Counts numbered lines per source tag: one finding per tag, so each source's count can be checked on its own. */
const RULE = `id: seq_by_source
title: Numbered line from {src}
kind: single
severity: high
match: 'seq=(?<n>\\d+) src=(?<src>\\w+)'
group_by: [src]
`;

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

  test("every line counted once through kill -9, dropped links and an sshd restart", { timeout: 240_000 }, async () => {
    const dir = tmp.path;
    const rules = path.join(dir, "rules");
    const logs = path.join(dir, "logs");
    await mkdir(rules);
    await mkdir(logs);
    await writeFile(path.join(rules, "seq.yaml"), RULE);
    const key = path.join(dir, "id_ed25519");
    await writeFile(key, sshd.privateKey);
    await chmod(key, 0o600);
    const files = { journal: path.join(dir, "local.journal"), rjournal: path.join(dir, "remote.journal"), rfile: path.join(logs, "app.log") };
    await writeFile(files.rfile, "");
    const state = path.join(dir, "state");
    const config = await writeConfig(path.join(dir, "fw.yaml"), {
      hosts: { box: { kind: "ssh", host: sshd.host, port: sshd.port, user: sshd.user, privateKeyFile: key, fingerprints: [sshd.hostKeyFingerprint], connectAttempts: 2 } },
      sources: [
        { kind: "journald", name: "journal", files: [files.journal], startAt: "beginning" },
        { kind: "journald", name: "rjournal", host: "box", files: [files.rjournal], startAt: "beginning" },
        { kind: "file", name: "rfile", host: "box", paths: [files.rfile], startAt: "beginning", poll: "100ms" },
      ],
      rules: { dirs: [rules] },
      store: { url: `file:${state}` },
      outputs: { jsonLines: true },
    });
    const written: Record<Src, number> = { journal: 0, rjournal: 0, rfile: 0 };
    const write = async (n: number) => {
      for (const src of ["journal", "rjournal"] as const) {
        const from = written[src];
        const now = Date.now() * 1000;
        // Each journal names its own host, so each source's lines make an incident of their own (incidents group by host).
        const entry = (i: number) => journalEntry(now + i, { MESSAGE: `seq=${from + i + 1} src=${src}`, _HOSTNAME: src, _SYSTEMD_UNIT: "writer.service", _PID: "4242", SYSLOG_IDENTIFIER: "writer" });
        await writeJournal(files[src], Array.from({ length: n }, (_, i) => entry(i)));
        written[src] += n;
      }
      let text = "";
      for (let i = 1; i <= n; i++) text += `seq=${written.rfile + i} src=rfile\n`;
      await appendFile(files.rfile, text);
      written.rfile += n;
    };
    // The first journal write creates the files journalctl is pointed at.
    await write(50);
    const chaos: ((w: WatchProcess) => Promise<void>)[] = [
      (w) => w.kill9(),
      async () => {
        expect(await sshd.dropSessions()).toBeGreaterThan(0);
      },
      async (w) => {
        await sshd.restart();
        await w.kill9();
      },
      async () => {
        await sshd.dropSessions();
      },
      (w) => w.kill9(),
    ];
    let w = startWatch(config);
    running.push(w);
    for (const [i, act] of chaos.entries()) {
      await write(400);
      // Wait until this process has committed some of the new lines of every source, then break something.
      const seen = new Set<string>();
      await w.waitFor((c) => {
        for (const f of c.findings) if (f.fields.src !== undefined && f.count > 0) seen.add(f.fields.src);
        return seen.size === SOURCES.length || c.findings.length >= SOURCES.length;
      });
      await act(w);
      if (w.proc.child.exitCode !== null || w.proc.child.signalCode !== null) {
        w = startWatch(config);
        running.push(w);
      }
      await write(200 + i);
    }
    await w.kill9();
    const last = startWatch(config, ["--once-idle"]);
    running.push(last);
    expect((await last.exit()).code).toBe(0);
    const counts: Record<string, number> = {};
    for (const s of await storedIncidents(state)) {
      for (const f of s.incident.findings) if (f.rule === "seq_by_source") counts[f.fields.src ?? ""] = (counts[f.fields.src ?? ""] ?? 0) + f.count;
    }
    expect(counts).toEqual(written);
    // The remote journalctl went with its SSH session: nothing left running on the host.
    expect(await journalctlCount(files.rjournal)).toBe(0);
  });
});
