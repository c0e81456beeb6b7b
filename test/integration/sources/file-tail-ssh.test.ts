// The file tailer over a real sshd: rotation by rename and by copytruncate, restarts, and a busy writer rotated every
// 2 s with dropped sessions, generations compressed by gzip before they were read, read through SshHost (one
// command per look, bytes read from the inode asked for).
import { execFileSync } from "node:child_process";
import { appendFileSync, copyFileSync, mkdirSync, renameSync, truncateSync, writeFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { isHostError, SshHost } from "../../../src/hosts/index.js";
import type { LogRecord } from "../../../src/parsers/index.js";
import { FileFollower, followFile, hostFileAccess } from "../../../src/sources/index.js";
import { sshdAvailability, startSshd, type SshdInstance } from "../../harness/sshd.js";
import { rotate, startWriter } from "../daemon/watch-process.js";

const avail = sshdAvailability();

describe.skipIf(avail.missing !== undefined)(`file tail over SSH ${avail.missing ?? ""}`, () => {
  let sshd: SshdInstance;
  let host: SshHost;
  beforeAll(async () => {
    sshd = await startSshd();
    host = new SshHost({ host: sshd.host, port: sshd.port, user: sshd.user, privateKey: sshd.privateKey, hostKey: { fingerprints: [sshd.hostKeyFingerprint] } });
  });
  afterAll(async () => {
    await host?.close();
    await sshd?.stop();
  });

  test("every numbered line arrives once across rename, copytruncate and a restart", async () => {
    const path = join(sshd.dir, "app.log");
    const access = hostFileAccess(host);
    let n = 0;
    const write = (k: number) => {
      for (let i = 0; i < k; i++) appendFileSync(path, `line ${++n} pid=42 msg="listen EADDRINUSE: address already in use :::9003"\n`);
    };
    const got: LogRecord[] = [];
    writeFileSync(path, "");
    let f = new FileFollower({ access, path, startAt: "beginning", host: "remote", rotateWaitMs: 0 });
    got.push(...(await f.poll()));
    write(30);
    got.push(...(await f.poll()));
    write(5);
    renameSync(path, `${path}.1`);
    write(7);
    got.push(...(await f.poll()));
    write(4);
    copyFileSync(path, `${path}.c`);
    truncateSync(path, 0);
    write(3);
    got.push(...(await f.poll()));
    f = new FileFollower({ access, path, cursor: f.checkpoint() ?? "", host: "remote", rotateWaitMs: 0 });
    write(6);
    for (let i = 0; i < 3; i++) got.push(...(await f.poll()));
    got.push(...f.flush());
    expect(got.map((r) => Number(/^line (\d+)/.exec(r.text)?.[1]))).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    expect(got.every((r) => r.host === "remote")).toBe(true);
  }, 60_000);

  test("generations gzipped while nothing read them are read from the cursor on, the .gz decompressed remotely", async () => {
    const dir = join(sshd.dir, "gz");
    mkdirSync(dir);
    const path = join(dir, "app.log");
    const access = hostFileAccess(host);
    let n = 0;
    const write = (k: number) => {
      let s = "";
      for (let i = 0; i < k; i++) s += `line ${++n} pid=42 msg="request handled in 12 ms"\n`;
      appendFileSync(path, s);
    };
    /** logrotate with `rotate 5` and `compress`: .N.gz → .N+1.gz, .1 → .2 then gzip'ed, app.log → .1, a new app.log. */
    const logrotate = () => {
      for (let i = 4; i >= 2; i--) {
        try {
          renameSync(`${path}.${i}.gz`, `${path}.${i + 1}.gz`);
        } catch {
          // not there yet
        }
      }
      try {
        renameSync(`${path}.1`, `${path}.2`);
        execFileSync("gzip", [`${path}.2`]);
      } catch {
        // no .1 yet
      }
      renameSync(path, `${path}.1`);
      writeFileSync(path, "");
    };
    writeFileSync(path, "");
    write(200);
    const a = new FileFollower({ access, path, startAt: "beginning", host: "remote", rotateWaitMs: 0, maxReadBytes: 4096 });
    // A first read of part of the live file only, then the reader goes down with its checkpoint.
    const got = await a.poll();
    expect(got.length).toBeGreaterThan(0);
    expect(got.length).toBeLessThan(200);
    const cursor = a.checkpoint() ?? "";
    // Three rotations while down: the cursor's generation ends as app.log.3.gz, its next one as app.log.2.gz.
    write(100);
    logrotate();
    write(300);
    logrotate();
    write(300);
    logrotate();
    write(50);
    const b = new FileFollower({ access, path, cursor, host: "remote", rotateWaitMs: 0 });
    for (let i = 0; i < 30; i++) {
      const before = b.stats.bytes;
      got.push(...(await b.poll()));
      if (b.stats.bytes === before) break;
    }
    got.push(...b.flush());
    expect(got.map((r) => Number(/^line (\d+)/.exec(r.text)?.[1]))).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    expect(b.stats.lostBytes).toBe(0);
  }, 60_000);

  test("after a dropped SSH link the next poll reconnects and goes on from its position: every line once", async () => {
    const path = join(sshd.dir, "drop.log");
    writeFileSync(path, "");
    const ac = new AbortController();
    const linked = new SshHost({ host: sshd.host, port: sshd.port, user: sshd.user, privateKey: sshd.privateKey, hostKey: { fingerprints: [sshd.hostKeyFingerprint] }, backoff: { baseMs: 20, maxMs: 100 } });
    const it = followFile({ access: hostFileAccess(linked), path, startAt: "beginning", pollMs: 20, flushAfterMs: 100, signal: ac.signal });
    const line = (i: number) => `line ${i} pid=42 msg="worker heartbeat"\n`;
    for (let i = 1; i <= 25; i++) appendFileSync(path, line(i));
    const got: LogRecord[] = [];
    while (got.length < 10) got.push((await it.next()).value as LogRecord);
    await sshd.dropSessions();
    for (let i = 26; i <= 40; i++) appendFileSync(path, line(i));
    while (got.length < 40) got.push((await it.next()).value as LogRecord);
    ac.abort();
    await it.return(undefined);
    await linked.close();
    expect(got.map((r) => Number(/^line (\d+)/.exec(r.text)?.[1]))).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  }, 60_000);

  test("2,000 lines/s rotated every 2 s, sessions dropped, restarts from an older checkpoint: every line once, in order", async () => {
    const dir = join(sshd.dir, "busy");
    mkdirSync(dir);
    const path = join(dir, "app.log");
    const linked = new SshHost({ host: sshd.host, port: sshd.port, user: sshd.user, privateKey: sshd.privateKey, hostKey: { fingerprints: [sshd.hostKeyFingerprint] }, backoff: { baseMs: 20, maxMs: 100 } });
    const access = hostFileAccess(linked);
    const opts = { access, path, startAt: "beginning" as const, rotateWaitMs: 1000 };
    let f = new FileFollower(opts);
    await f.poll();
    // The service: 2,000 numbered lines/s through a descriptor it keeps open; renamed away every 2 s (`create`, then
    // it reopens).
    const writer = startWriter(path, 2000);
    const rotation = setInterval(() => {
      rotate(path);
      writer.reopen();
    }, 2000);
    const got: LogRecord[] = [];
    /** Where a restart could resume after each poll, and how many records had been handed out then. */
    const history: { cursor: string | undefined; n: number }[] = [];
    const poll = async () => {
      try {
        got.push(...(await f.poll()));
      } catch (e) {
        // The link dropped under the look: the follower keeps its position, the next poll goes on.
        if (!isHostError(e)) throw e;
      }
      history.push({ cursor: f.checkpoint(), n: got.length });
    };
    /** kill -9: what was handed out after an older commit is read again by the next process. */
    const crash = () => {
      const at = history[Math.max(0, history.length - 4)];
      got.length = at?.n ?? 0;
      f = new FileFollower({ ...opts, ...(at?.cursor === undefined ? {} : { cursor: at.cursor }) });
    };
    try {
      for (let step = 0; step < 12; step++) {
        await poll();
        if (step === 3 || step === 8) await sshd.dropSessions();
        if (step === 5 || step === 10) crash();
        await sleep(100);
      }
    } finally {
      clearInterval(rotation);
      writer.stop();
    }
    // Everything written is read: the last generation waits out rotateWait, then the live file to its end. The last
    // record stays held (it could have continuation lines) until flush(), so the wait is for the reader, not the count.
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      await poll();
      if (f.settled && f.lag().bytes === 0) break;
      await sleep(100);
    }
    got.push(...f.flush());
    await linked.close();
    const numbers = got.map((r) => Number(/^seq=(\d+) /.exec(r.text)?.[1]));
    const gaps = numbers.flatMap((v, i) => (v === i + 1 ? [] : [`#${i}: ${v}`])).slice(0, 5);
    expect({ read: numbers.length, gaps, settled: f.settled, lost: f.stats.lostBytes }).toEqual({ read: writer.written, gaps: [], settled: true, lost: 0 });
    expect(numbers.length).toBe(writer.written);
    expect(numbers.every((v, i) => v === i + 1)).toBe(true);
    expect(writer.written).toBeGreaterThan(8_000);
    expect(f.stats.lostBytes).toBe(0);
  }, 120_000);
});
