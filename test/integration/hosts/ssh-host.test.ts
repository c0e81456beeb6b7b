// SshHost against a real sshd: literal argv, pinned keys, clear errors, one shared connection, no orphans, reconnect.
import { execFile } from "node:child_process";
import { chmod, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { SshHost, type HostProcess, type SshHostOptions } from "../../../src/hosts/index.js";
import { sshdAvailability, startSshd, type SshdInstance } from "../../harness/sshd.js";

const run = promisify(execFile);
const avail = sshdAvailability();

/** PIDs of processes whose command line starts with `marker` (not the wrapper shells that name it as an argument). */
async function pgrep(marker: string): Promise<string[]> {
  try {
    const { stdout } = await run("pgrep", ["-f", `^${marker}`]);
    return stdout.split("\n").filter(Boolean);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

async function until(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return true;
    await new Promise((r) => setImmediate(r));
  }
  return check();
}

describe.skipIf(avail.missing !== undefined)(`SshHost over a real sshd ${avail.missing ?? ""}`, () => {
  let sshd: SshdInstance;
  let base: SshHostOptions;
  const hosts: SshHost[] = [];
  const make = (o: Partial<SshHostOptions> = {}) => {
    const h = new SshHost({ ...base, backoff: { baseMs: 50, maxMs: 200 }, ...o });
    hosts.push(h);
    return h;
  };
  beforeAll(async () => {
    sshd = await startSshd();
    base = { host: sshd.host, port: sshd.port, user: sshd.user, privateKey: sshd.privateKey, hostKey: { fingerprints: [sshd.hostKeyFingerprint] } };
  });
  afterAll(async () => {
    for (const h of hosts) await h.close();
    await sshd?.stop();
  });

  test("hostile values arrive at the remote printf as literal arguments", async () => {
    const argv = ["$(id)", "; rm -rf /", "`whoami`", "a\nb", "it's", "", "*", "$HOME", "\\"];
    const r = await make().exec(["printf", "%s\\n", ...argv]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(argv.map((a) => a + "\n").join(""));
  });

  test("a known_hosts line pins the key too", async () => {
    const r = await make({ hostKey: { knownHosts: sshd.knownHostsLine + "\n" } }).exec(["echo", "ok"]);
    expect(r.stdout).toBe("ok\n");
  });

  test("an unknown host key is refused with a clear message", async () => {
    await expect(make({ hostKey: {} }).exec(["true"])).rejects.toMatchObject({ reason: "host_key_unknown", message: expect.stringContaining("refusing to connect") });
  });

  test("a changed host key is refused", async () => {
    const wrong = "SHA256:" + "A".repeat(43);
    await expect(make({ hostKey: { fingerprints: [wrong] } }).exec(["true"])).rejects.toMatchObject({ reason: "host_key_changed", message: expect.stringContaining(sshd.hostKeyFingerprint) });
  });

  test("a wrong user key is an auth failure, not retried", async () => {
    const { stdout } = await run("sh", ["-c", `ssh-keygen -q -t ed25519 -N '' -f ${join(sshd.dir, "stranger")} && cat ${join(sshd.dir, "stranger")}`]);
    await expect(make({ privateKey: stdout, connectAttempts: 3 }).exec(["true"])).rejects.toMatchObject({ reason: "auth_failed" });
  });

  test("a missing command and a denied one are clear errors; a plain non-zero exit is a result", async () => {
    const h = make();
    await expect(h.exec(["no-such-command-fw"])).rejects.toMatchObject({ reason: "command_not_found" });
    const plain = join(sshd.dir, "plain.sh");
    await writeFile(plain, "echo hi\n");
    await chmod(plain, 0o644);
    await expect(h.exec([plain])).rejects.toMatchObject({ reason: "permission_denied" });
    expect(await h.exec(["sh", "-c", "exit 4"])).toMatchObject({ code: 4 });
  });

  test("users of one host share one connection, and finished commands leave no listeners on it", async () => {
    const h = make();
    const a = await h.connection();
    const idle = a.listenerCount("close");
    await Promise.all([h.exec(["true"]), h.exec(["true"]), h.spawn(["true"]).then((p) => p.close())]);
    for (let i = 0; i < 12; i++) await h.exec(["true"]);
    expect(await h.connection()).toBe(a);
    expect(a.listenerCount("close")).toBe(idle);
  });

  test("closing a spawned tail -F stops it on the host: no orphan", async () => {
    const marker = join(sshd.dir, `quiet-${Date.now()}.log`);
    await writeFile(marker, "first\n");
    const h = make();
    const p = await h.spawn(["tail", "-n", "+1", "-F", marker]);
    const it = p.stdout[Symbol.asyncIterator]();
    expect(String((await it.next()).value)).toBe("first\n");
    expect(await pgrep(`tail -n \\+1 -F ${marker}`)).toHaveLength(1);
    await p.close();
    expect(await until(async () => (await pgrep(`tail -n \\+1 -F ${marker}`)).length === 0, 5_000)).toBe(true);
  });

  test("closing the host stops its remote processes, and an exec timeout stops the remote command", async () => {
    const marker = join(sshd.dir, `t-${Date.now()}.log`);
    await writeFile(marker, "");
    const h = make();
    const procs: HostProcess[] = await Promise.all([h.spawn(["tail", "-F", marker]), h.spawn(["tail", "-F", marker])]);
    expect(await until(async () => (await pgrep(`tail -F ${marker}`)).length === 2, 5_000)).toBe(true);
    await h.close();
    await Promise.all(procs.map((p) => p.exited));
    expect(await until(async () => (await pgrep(`tail -F ${marker}`)).length === 0, 5_000)).toBe(true);
    const r = await make().exec(["sleep", "31.5"], { timeoutMs: 300 });
    expect(r.timedOut).toBe(true);
    expect(await until(async () => (await pgrep("sleep 31.5")).length === 0, 5_000)).toBe(true);
  });

  test("after the server drops the link, the next call reconnects", async () => {
    const h = make();
    const marker = join(sshd.dir, `drop-${Date.now()}.log`);
    await writeFile(marker, "");
    const p = await h.spawn(["tail", "-F", marker]);
    const first = await h.connection();
    // Kill this sshd's session processes (not the listener, not other tests' sshds): a dropped link.
    const drained = (async () => { for await (const chunk of p.stdout) void chunk; })().catch(() => undefined);
    expect(await sshd.dropSessions()).toBeGreaterThan(0);
    await expect(p.exited).resolves.toMatchObject({ code: null });
    await drained;
    expect(await until(async () => (await pgrep(`tail -F ${marker}`)).length === 0, 5_000)).toBe(true);
    // A call racing the drop may still see it as link_lost; the one after reconnects.
    const again = () => h.exec(["echo", "again"]);
    const r = await again().catch(async (e: unknown) => {
      expect(e).toMatchObject({ reason: "link_lost" });
      return again();
    });
    expect(r.stdout).toBe("again\n");
    expect(await h.connection()).not.toBe(first);
  });
});
