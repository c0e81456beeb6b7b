// Watching the watcher end to end: an SSH source whose host goes away past its retries is an incident of its own,
// and lines flow again (from where they stopped) once the host is back.
import { execFile } from "node:child_process";
import { appendFile, mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { makeTempDir } from "../../harness/program.js";
import { sshdAvailability, startSshd, type SshdInstance } from "../../harness/sshd.js";
import { seqLines, SEQ_RULE, startWatch, writeConfig, type ChangeLine, type WatchProcess } from "./watch-process.js";

const run = promisify(execFile);
const ssh = sshdAvailability();

describe.skipIf(ssh.missing !== undefined)(`a source whose host goes down ${ssh.missing ?? ""}`, () => {
  let tmp: { path: string; remove(): Promise<void> };
  let sshd: SshdInstance;
  const running: WatchProcess[] = [];
  beforeAll(async () => {
    tmp = await makeTempDir("watch-down");
    sshd = await startSshd();
  });
  afterAll(async () => {
    for (const w of running) await w.kill9();
    await sshd?.stop();
    await tmp?.remove();
  });

  test("is reported down with the reason, and its lines are read on once the host is back", { timeout: 120_000 }, async () => {
    const rules = path.join(tmp.path, "rules");
    await mkdir(rules);
    await writeFile(path.join(rules, "seq.yaml"), SEQ_RULE);
    const key = path.join(tmp.path, "id");
    await writeFile(key, sshd.privateKey, { mode: 0o600 });
    const log = path.join(tmp.path, "app.log");
    await writeFile(log, "");
    const config = await writeConfig(path.join(tmp.path, "fw.yaml"), {
      hosts: { box: { kind: "ssh", host: sshd.host, port: sshd.port, user: sshd.user, privateKeyFile: key, fingerprints: [sshd.hostKeyFingerprint], connectAttempts: 1 } },
      sources: [{ kind: "file", name: "box-app", host: "box", paths: [log], startAt: "beginning", poll: "100ms", retries: 2 }],
      rules: { dirs: [rules] },
      store: { url: `file:${path.join(tmp.path, "state")}` },
    });
    const w = startWatch(config);
    running.push(w);
    await appendFile(log, seqLines(1, 10));
    await w.waitFor((c) => c.title === "Numbered line" && c.count === 10);
    // The host goes away: the listener dies, then the open connection's session (found while it was still a child).
    const sessions = await run("pgrep", ["-P", String(sshd.pid())]).then((r) => r.stdout.split("\n").filter(Boolean), () => []);
    expect(sessions.length).toBeGreaterThan(0);
    await sshd.kill9();
    await run("kill", ["-9", ...sessions]);
    const down = await w.waitFor((c) => c.findings.some((f) => f.rule === "firewatch_source_health"));
    // An incident of its own: the watcher lost its source; box's lines (which name no service) are not its failure.
    expect(down).toMatchObject({ title: "Log source box-app is down", severity: "high", host: "box" });
    expect(down.findings.find((f) => f.rule === "firewatch_source_health")?.fields.reason).toMatch(/box/);
    // Written while the host was unreachable: read once it is back, none lost, none twice.
    await appendFile(log, seqLines(11, 20));
    await sshd.restart();
    const seq = (c: ChangeLine) => c.findings.find((f) => f.rule === "seq_line")?.count ?? 0;
    const back = await w.waitFor((c) => seq(c) >= 20);
    expect(seq(back)).toBe(20);
    expect(await w.term()).toBe(0);
  });
});
