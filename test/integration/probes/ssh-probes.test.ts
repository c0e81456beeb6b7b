// The same probes over a real sshd (SshHost): argv arrives literally, the detached listener is found with PPID 1.
import { access } from "node:fs/promises";
import { createServer } from "node:http";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { LocalHost, SshHost } from "../../../src/hosts/index.js";
import { runProbe } from "../../../src/probes/index.js";
import { freePort, makeTempDir } from "../../harness/program.js";
import { sshdAvailability, startSshd, type SshdInstance } from "../../harness/sshd.js";
import { startDetachedListener, type Listener } from "./helpers.js";

const avail = sshdAvailability();

describe.skipIf(avail.missing !== undefined)(`probes over a real sshd ${avail.missing ?? ""}`, () => {
  let sshd: SshdInstance;
  let host: SshHost;
  const local = new LocalHost();
  let tmp: { path: string; remove(): Promise<void> };
  const started: Listener[] = [];
  beforeAll(async () => {
    sshd = await startSshd();
    host = new SshHost({ host: sshd.host, port: sshd.port, user: sshd.user, privateKey: sshd.privateKey, hostKey: { fingerprints: [sshd.hostKeyFingerprint] }, name: "sshd-test" });
    tmp = await makeTempDir("probes-ssh");
  });
  afterAll(async () => {
    for (const l of started) l.stop();
    await host?.close();
    await local.close();
    await sshd?.stop();
    await tmp?.remove();
  });

  test("port_owner and process_info over SSH name the detached owner: PID, PPID 1, command", async () => {
    const port = await freePort();
    const l = await startDetachedListener(local, port, tmp.path);
    started.push(l);
    const owner = await runProbe("port_owner", { port }, host);
    expect(owner).toMatchObject({ ok: true, host: "sshd-test", evidence: { listening: true, pid: l.pid, ppid: 1, command: `busybox nc -l -p ${port}` } });
    expect(await runProbe("process_info", { pid: l.pid }, host)).toMatchObject({ ok: true, evidence: { ppid: 1 } });
  });

  test("a path holding shell syntax reaches the remote stat literally: the marker stays absent", async () => {
    const marker = join(tmp.path, "pwned");
    const r = await runProbe("file_exists", { path: `${tmp.path}/$(touch ${marker});touch ${marker}` }, host);
    expect(r).toMatchObject({ ok: true, evidence: { exists: false } });
    expect(await runProbe("unit_status", { unit: `$(touch ${marker})` }, host)).toMatchObject({ ok: false, error: { reason: "invalid_params" } });
    await expect(access(marker)).rejects.toMatchObject({ code: "ENOENT" });
  });

  test("health_endpoint over SSH: curl's -w format and the URL arrive literally; the status comes back", async () => {
    const port = await freePort();
    const server = createServer((_req, res) => {
      res.writeHead(503);
      res.end("down\n");
    });
    await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
    try {
      const r = await runProbe("health_endpoint", { port, path: "/health?deep=1&x=%24%28id%29" }, host);
      expect(r).toMatchObject({ ok: true, host: "sshd-test", evidence: { url: `http://127.0.0.1:${port}/health?deep=1&x=%24%28id%29`, answered: true, status: 503, healthy: false } });
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  test("an sshd that is gone is a failed result, not an exception", async () => {
    const dead = new SshHost({ host: "127.0.0.1", port: await freePort(), user: sshd.user, privateKey: sshd.privateKey, hostKey: { fingerprints: [sshd.hostKeyFingerprint] }, name: "dead", connectAttempts: 1 });
    try {
      expect(await runProbe("process_info", { pid: 1 }, dead)).toMatchObject({ ok: false, host: "dead", error: { reason: "host_failed" } });
    } finally {
      await dead.close();
    }
  });
});
