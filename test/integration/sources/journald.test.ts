// followJournal against journal files written by systemd-journal-remote, read by the real journalctl, here and over SSH.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { LocalHost, SshHost, type Host } from "../../../src/hosts/index.js";
import type { LogRecord } from "../../../src/parsers/index.js";
import { createJournaldStats, followJournal, journalctlArgv, type JournaldOptions } from "../../../src/sources/index.js";
import { journalAvailability, restartScheduledEntry, SYSTEMD_MESSAGE_ID, unitLineEntry, writeJournal, type JournalEntry } from "../../harness/journal.js";
import { makeTempDir } from "../../harness/program.js";
import { sshdAvailability, startSshd, type SshdInstance } from "../../harness/sshd.js";

const run = promisify(execFile);
const avail = journalAvailability();
const sshAvail = sshdAvailability();
const UNIT = "transcription-palantir.service";
const T0 = Date.UTC(2025, 11, 26, 22, 57, 1) * 1000;

/** Seed 000's shape: the unit fails to bind, systemd schedules a restart with a rising counter. */
function restartLoop(from: number, count: number): JournalEntry[] {
  const out: JournalEntry[] = [];
  for (let i = 0; i < count; i++) {
    const t = T0 + (from + i) * 10_000_000;
    out.push(unitLineEntry(t, UNIT, 5000 + from + i, `Error: listen EADDRINUSE: address already in use :::9003 #${from + i}`, 3));
    out.push(restartScheduledEntry(t + 1_000_000, UNIT, 476 + from + i));
  }
  return out;
}

/** The next n records (or all until it ends), without closing the iterator as a for-await break would. */
async function take(it: AsyncGenerator<LogRecord>, n: number): Promise<LogRecord[]> {
  const out: LogRecord[] = [];
  while (out.length < n) {
    const r = await it.next();
    if (r.done) break;
    out.push(r.value);
  }
  return out;
}

async function journalctlPids(file: string, flag = ""): Promise<string[]> {
  try {
    const { stdout } = await run("pgrep", ["-f", `^journalctl .*${flag}.*--file=${file}`]);
    return stdout.split("\n").filter(Boolean);
  } catch {
    return [];
  }
}
const pgrepJournalctl = async (file: string) => (await journalctlPids(file)).length;

describe.skipIf(avail.missing !== undefined)(`followJournal ${avail.missing ?? ""}`, () => {
  let tmp: { path: string; remove(): Promise<void> };
  beforeAll(async () => {
    tmp = await makeTempDir("journald");
  });
  afterAll(async () => {
    await tmp?.remove();
  });

  test("structured systemd fields become record fields; a cursor resumes with no loss or repeat", async () => {
    const file = join(tmp.path, "read.journal");
    await writeJournal(file, restartLoop(0, 10));
    const host = new LocalHost();
    const base: JournaldOptions = { host, files: [file], follow: false, startAt: "beginning" };
    const all = await take(followJournal(base), Infinity);
    expect(all).toHaveLength(20);
    const restart = all[1];
    expect(restart?.fields).toMatchObject({ MESSAGE_ID: SYSTEMD_MESSAGE_ID.restartScheduled, N_RESTARTS: "476", unit: UNIT });
    expect(restart?.message).toBe(`${UNIT}: Scheduled restart job, restart counter is at 476.`);
    expect(all[0]).toMatchObject({ pid: 5000, level: "error", time: T0 / 1000 });
    const cut = all[6]?.cursor;
    expect(cut).toMatch(/^s=/);
    const rest = await take(followJournal({ ...base, cursor: cut ?? "" }), Infinity);
    expect(rest.map((r) => r.cursor)).toEqual(all.slice(7).map((r) => r.cursor));
  });

  test("unit and priority filters are journalctl's", async () => {
    const file = join(tmp.path, "filter.journal");
    await writeJournal(file, [...restartLoop(0, 3), unitLineEntry(T0, "other.service", 9, "unrelated", 3)]);
    const host = new LocalHost();
    const byUnit = await take(followJournal({ host, files: [file], follow: false, startAt: "beginning", units: [UNIT] }), Infinity);
    // -u matches the unit's own lines and PID 1's messages about it.
    expect(byUnit).toHaveLength(6);
    const errors = await take(followJournal({ host, files: [file], follow: false, startAt: "beginning", priority: "err" }), Infinity);
    expect(errors.map((r) => r.message)).toEqual(["Error: listen EADDRINUSE: address already in use :::9003 #0", "Error: listen EADDRINUSE: address already in use :::9003 #1", "Error: listen EADDRINUSE: address already in use :::9003 #2", "unrelated"]);
  });

  test("following sees new entries as they are written, and stopping leaves no journalctl behind", async () => {
    const file = join(tmp.path, "follow.journal");
    await writeJournal(file, restartLoop(0, 2));
    const ac = new AbortController();
    const it = followJournal({ host: new LocalHost(), files: [file], startAt: "beginning", signal: ac.signal });
    expect(await take(it, 4)).toHaveLength(4);
    const more = take(it, 6);
    await writeJournal(file, restartLoop(2, 3));
    const got = await more;
    expect(got.map((r) => r.fields.N_RESTARTS).filter(Boolean)).toEqual(["478", "479", "480"]);
    ac.abort();
    await it.return(undefined);
    expect(await pgrepJournalctl(file)).toBe(0);
  });

  test("a backlog of 20,000 entries is read whole from a cursor, through a killed journalctl, nothing repeated", { timeout: 120_000 }, async () => {
    const file = join(tmp.path, "backlog.journal");
    const lines = (from: number, n: number) => Array.from({ length: n }, (_, i) => unitLineEntry(T0 + (from + i) * 1000, "app.service", 42, `seq=${from + i}`));
    await writeJournal(file, lines(1, 20_000));
    const head = followJournal({ host: new LocalHost(), files: [file], follow: false, startAt: "beginning" });
    const cursor = (await take(head, 10))[9]?.cursor ?? "";
    await head.return(undefined);
    const stats = createJournaldStats();
    const ac = new AbortController();
    // Following from entry 10: journalctl --follow --after-cursor alone printed only the last 10 entries here.
    const it = followJournal({ host: new LocalHost(), files: [file], cursor, signal: ac.signal, stats });
    const before = await take(it, 5000);
    const pids = await journalctlPids(file);
    expect(pids).toHaveLength(1);
    // Only the journalctl this test's source started (its --file is this test's temp file).
    await run("kill", ["-9", ...pids]);
    await writeJournal(file, lines(20_001, 100));
    const after = await take(it, 20_100 - 10 - 5000);
    ac.abort();
    await it.return(undefined);
    expect(stats.restarts).toBeGreaterThanOrEqual(1);
    const numbers = [...before, ...after].map((r) => Number(/^seq=(\d+)$/.exec(r.message)?.[1]));
    expect(numbers).toEqual(Array.from({ length: 20_090 }, (_, i) => i + 11));
    expect(stats.lostEntries).toBe(0);
  });

  test("a journal journalctl cannot follow (no usable boot id) is a fault, said at once; its entries are still read", async () => {
    const file = join(tmp.path, "noboot.journal");
    await writeJournal(file, Array.from({ length: 20 }, (_, i) => ({ ...unitLineEntry(T0 + i, "app.service", 42, `seq=${i + 1}`), _BOOT_ID: "00000000000000000000000000000000" })));
    const faults: string[] = [];
    const ac = new AbortController();
    const it = followJournal({ host: new LocalHost(), files: [file], startAt: "beginning", signal: ac.signal, onFault: (d) => void faults.push(d), random: () => 0 });
    const got = await take(it, 20);
    const third = it.next();
    // The follow run fails at once; the fault is reported, and the next catch-up reads what was written meanwhile.
    await expect.poll(() => faults.length, { timeout: 10_000 }).toBeGreaterThan(0);
    await writeJournal(file, [{ ...unitLineEntry(T0 + 99, "app.service", 42, "seq=21"), _BOOT_ID: "00000000000000000000000000000000" }]);
    expect((await third).value?.message).toBe("seq=21");
    ac.abort();
    await it.return(undefined);
    expect(got.map((r) => r.message)).toEqual(Array.from({ length: 20 }, (_, i) => `seq=${i + 1}`));
    expect(faults[0]).toMatch(/journalctl --follow exited \(1\): .*No such boot ID/);
  });

  test("the argv is journalctl's own options, one argument each", () => {
    expect(journalctlArgv({ units: ["a.service"], priority: "0..3", files: ["/x y.journal"], startAt: "beginning" }, "s=1;i=2")).toEqual([
      "journalctl", "-o", "json", "--no-pager", "--quiet", "--follow", "--lines=all", "--cursor=s=1;i=2", "--unit=a.service", "--priority=0..3", "--file=/x y.journal",
    ]);
    expect(journalctlArgv({}, undefined, "follow")).toEqual(["journalctl", "-o", "json", "--no-pager", "--quiet", "--follow", "--lines=0"]);
    expect(journalctlArgv({ follow: false }, "s=1;i=2")).toEqual(["journalctl", "-o", "json", "--no-pager", "--quiet", "--cursor=s=1;i=2"]);
  });

  describe.skipIf(sshAvail.missing !== undefined)(`over SSH ${sshAvail.missing ?? ""}`, () => {
    let sshd: SshdInstance;
    let host: Host;
    beforeAll(async () => {
      sshd = await startSshd();
      host = new SshHost({ name: "palantir", host: sshd.host, port: sshd.port, user: sshd.user, privateKey: sshd.privateKey, hostKey: { fingerprints: [sshd.hostKeyFingerprint] } });
    });
    afterAll(async () => {
      await host?.close();
      await sshd?.stop();
    });

    test("when the SSH link drops mid-follow, the source reconnects and resumes after its cursor", async () => {
      const file = join(tmp.path, "drop.journal");
      await writeJournal(file, restartLoop(0, 3));
      const ac = new AbortController();
      const stats = createJournaldStats();
      const linked = new SshHost({ host: sshd.host, port: sshd.port, user: sshd.user, privateKey: sshd.privateKey, hostKey: { fingerprints: [sshd.hostKeyFingerprint] }, backoff: { baseMs: 50, maxMs: 200 } });
      const it = followJournal({ host: linked, files: [file], startAt: "beginning", signal: ac.signal, stats });
      const before = await take(it, 6);
      // Once the catch-up has read the backlog and journalctl follows, kill this sshd's session processes (only this
      // describe uses it): the link drops under the following journalctl.
      const next = take(it, 4);
      await expect.poll(() => journalctlPids(file, "--follow"), { timeout: 20_000 }).toHaveLength(1);
      expect(await sshd.dropSessions()).toBeGreaterThan(0);
      await writeJournal(file, restartLoop(3, 2));
      const after = await next;
      ac.abort();
      await it.return(undefined);
      await linked.close();
      expect(stats.restarts).toBeGreaterThanOrEqual(1);
      const all = [...before, ...after];
      expect(all.map((r) => r.fields.N_RESTARTS).filter(Boolean)).toEqual(["476", "477", "478", "479", "480"]);
      expect(new Set(all.map((r) => r.cursor)).size).toBe(10);
      expect(await pgrepJournalctl(file)).toBe(0);
    }, 60_000);

    test("a remote journal is followed, resumed after a restart from its cursor, and its journalctl stopped", async () => {
      const file = join(tmp.path, "remote.journal");
      await writeJournal(file, restartLoop(0, 5));
      const ac = new AbortController();
      const first = followJournal({ host, files: [file], startAt: "beginning", signal: ac.signal });
      const before = await take(first, 6);
      await first.return(undefined);
      expect(await pgrepJournalctl(file)).toBe(0);
      await writeJournal(file, restartLoop(5, 2));
      const second = followJournal({ host, files: [file], cursor: before.at(-1)?.cursor ?? "", signal: ac.signal });
      const after = await take(second, 8);
      await second.return(undefined);
      const numbers = [...before, ...after].filter((r) => r.fields.N_RESTARTS === undefined).map((r) => Number(/#(\d+)$/.exec(r.message)?.[1]));
      expect(numbers).toEqual([0, 1, 2, 3, 4, 5, 6]);
      expect(new Set([...before, ...after].map((r) => r.cursor)).size).toBe(14);
    }, 60_000);
  });
});
