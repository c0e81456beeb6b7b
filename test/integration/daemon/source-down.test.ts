// Watching the watcher end to end: an SSH source whose host goes away past its retries is an incident of its own,
// and lines flow again (from where they stopped) once the host is back. A refused login is tried again about once a
// minute, one login per try, not every second.
import { execFile } from "node:child_process";
import { appendFile, mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { SourceEntry } from "../../../src/config/index.js";
import { sourceLane, type LinkState } from "../../../src/daemon/source-runner.js";
import { SshHost } from "../../../src/hosts/index.js";
import type { Clock } from "../../../src/time.js";
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

  test("a refused login is retried about once a minute, one login per try, and reported failed", { timeout: 60_000 }, async () => {
    // A key this sshd does not know: every login is refused.
    const stranger = path.join(tmp.path, "stranger");
    await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", stranger]);
    const host = new SshHost({ name: "box", host: sshd.host, port: sshd.port, user: sshd.user, privateKey: await readFile(stranger), hostKey: { fingerprints: [sshd.hostKeyFingerprint] }, connectAttempts: 5 });
    const log = path.join(tmp.path, "refused.log");
    await writeFile(log, seqLines(1, 3));
    const entry: SourceEntry = { kind: "file", name: "refused", host: "box", retries: 5, paths: [log], startAt: "beginning", poll: 100, flushAfter: 0, rotateWait: 0, quiet: 0 };
    // The lane's waits are recorded and skipped, so the test sees the delays without waiting for them.
    const waits: number[] = [];
    const clock: Clock = { now: () => Date.now(), sleep: async (ms, signal) => void (waits.push(ms), signal?.throwIfAborted()) };
    const states: [LinkState, string][] = [];
    const ac = new AbortController();
    const logins = () => (sshd.output().match(/Connection from 127\.0\.0\.1/g) ?? []).length;
    const before = logins();
    const lane = sourceLane(entry, undefined, { host: () => host, clock, log: pino({ level: "silent" }), onLink: (_s, _h, st, d) => void states.push([st, d]), random: () => 0.5 }, ac.signal);
    const it = lane.items[Symbol.asyncIterator]();
    const next = it.next();
    try {
      await expect.poll(() => waits.length, { timeout: 30_000 }).toBeGreaterThanOrEqual(3);
    } finally {
      ac.abort();
      await next;
      await host.close();
    }
    const tries = waits.length;
    // Each try is one login (the connection does not retry a refused key by itself), each followed by a wait of
    // about a minute or more, never the second-scale backoff of a link that drops.
    await expect.poll(() => logins() - before, { timeout: 5_000 }).toBeGreaterThanOrEqual(tries);
    expect(logins() - before).toBeLessThanOrEqual(tries + 1);
    expect(waits.every((ms) => ms >= 45_000 && ms <= 120_000)).toBe(true);
    expect(states[0]?.[0]).toBe("connected");
    expect(states.slice(1).every(([st]) => st === "failed")).toBe(true);
    expect(states[1]?.[1]).toMatch(/auth|refused|denied|authentication/i);
  });
});
