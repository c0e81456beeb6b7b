// The file tailer over a real sshd: rotation by rename and by copytruncate, and a restart, read through SshHost.
import { appendFileSync, copyFileSync, renameSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { SshHost } from "../../../src/hosts/index.js";
import type { LogRecord } from "../../../src/parsers/index.js";
import { FileFollower, followFile, hostFileAccess } from "../../../src/sources/index.js";
import { sshdAvailability, startSshd, type SshdInstance } from "../../harness/sshd.js";

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
    let f = new FileFollower({ access, path, startAt: "beginning", host: "remote" });
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
    f = new FileFollower({ access, path, cursor: f.checkpoint() ?? "", host: "remote" });
    write(6);
    for (let i = 0; i < 3; i++) got.push(...(await f.poll()));
    got.push(...f.flush());
    expect(got.map((r) => Number(/^line (\d+)/.exec(r.text)?.[1]))).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    expect(got.every((r) => r.host === "remote")).toBe(true);
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
});
