// Proves the sshd starter works here: the stock ssh client logs in with the throwaway key and pinned host key.
import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startSshd, sshdAvailability, type SshdInstance } from "../../harness/sshd.js";

const run = promisify(execFile);
const avail = sshdAvailability();

describe.skipIf(avail.missing !== undefined)(`sshd harness ${avail.missing ?? ""}`, () => {
  let sshd: SshdInstance;
  beforeAll(async () => {
    sshd = await startSshd();
  });
  afterAll(async () => {
    await sshd?.stop();
  });

  test("a client with the user key and the pinned known_hosts line runs a command", async () => {
    const key = join(sshd.dir, "client_key");
    await writeFile(key, sshd.privateKey, { mode: 0o600 });
    const known = join(sshd.dir, "known_hosts");
    await writeFile(known, sshd.knownHostsLine + "\n");
    const { stdout } = await run("ssh", [
      "-i", key, "-p", String(sshd.port), "-o", `UserKnownHostsFile=${known}`, "-o", "StrictHostKeyChecking=yes",
      "-o", "BatchMode=yes", `${sshd.user}@${sshd.host}`, "echo", "hello-from-sshd",
    ]);
    expect(stdout.trim()).toBe("hello-from-sshd");
    expect(sshd.hostKeyFingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  });

  test("a client that does not know the host key is refused", async () => {
    const key = join(sshd.dir, "client_key2");
    await writeFile(key, sshd.privateKey, { mode: 0o600 });
    await expect(
      run("ssh", ["-i", key, "-p", String(sshd.port), "-o", `UserKnownHostsFile=${join(sshd.dir, "empty")}`, "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", `${sshd.user}@${sshd.host}`, "true"]),
    ).rejects.toMatchObject({ code: 255 });
  });
});
