// Over a real sshd, as a user whose only rights are the sudoers rules `firewatch doctor --sudoers` wrote: real sudo
// lets exactly the configured restarts through, and doctor reads the rules back.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createHostExecutor } from "../../../src/actions/index.js";
import { HostConfig, lazyHosts, type LazyHosts } from "../../../src/hosts/index.js";
import { systemClock } from "../../../src/time.js";
import { makeTempDir, requireProgram } from "../../harness/program.js";
import { sshdAvailability, startSshd, type SshdInstance } from "../../harness/sshd.js";
import { firewatch, rootAvailability, SECRET } from "./act-helpers.js";

const missing = [sshdAvailability(), requireProgram("visudo", "sudo"), requireProgram("useradd", "passwd"), rootAvailability()].find((a) => a.missing !== undefined)?.missing;
/**
 * A throwaway account made for this test (and removed after it): a shell, no groups, no sudo but the rules. Its
 * password is "*" (none can match) rather than the locked "!", which sshd without PAM refuses as a locked account.
 */
const USER = `fwsudo${randomBytes(3).toString("hex")}`;
const RULES = `/etc/sudoers.d/firewatch-test-${USER}`;
const UNIT = "transcription-palantir.service";

describe.skipIf(missing !== undefined)(`sudoers rules over a real sshd ${missing ?? ""}`, () => {
  let sshd: SshdInstance;
  let tmp: { path: string; remove(): Promise<void> };
  let cfg: string;
  let hosts: LazyHosts;
  const env = { FIREWATCH_GUARD__SECRET: SECRET };

  beforeAll(async () => {
    const made = spawnSync("useradd", ["--system", "--shell", "/bin/sh", "--no-create-home", "--user-group", "--password", "*", USER], { encoding: "utf8" });
    if (made.status !== 0) throw new Error(`useradd ${USER}: ${made.stderr}`);
    sshd = await startSshd({ user: USER });
    tmp = await makeTempDir("sudoers-ssh");
    const key = join(tmp.path, "id_ed25519");
    await writeFile(key, sshd.privateKey, { mode: 0o600 });
    cfg = join(tmp.path, "firewatch.yaml");
    const web1 = { kind: "ssh", host: sshd.host, port: sshd.port, user: USER, privateKeyFile: key, fingerprints: [sshd.hostKeyFingerprint] };
    await writeFile(cfg, [
      "hosts:",
      `  web1: ${JSON.stringify(web1)}`,
      "guard:",
      "  sudo: [web1]",
      "  actions:",
      "    restart_unit:",
      '      users: ["cli:root"]',
      "      channels: [cli]",
      "      hosts: [web1]",
      `      targets: [${UNIT}, "db-*"]`,
      "",
    ].join("\n"));
    hosts = lazyHosts({ web1: HostConfig.parse(web1) }, { clock: systemClock });
  }, 60_000);

  afterAll(async () => {
    await rm(RULES, { force: true });
    await hosts?.close();
    await sshd?.stop();
    await tmp?.remove();
    spawnSync("userdel", [USER]);
  });

  test("without rules doctor says the restart cannot run; with the generated rules sudo runs exactly the named unit", async () => {
    const before = await firewatch(["doctor", "--config", cfg, "--host", "web1"], { env });
    expect(before.stdout, before.stderr).toMatch(new RegExp(`user +${USER} \\(uid \\d+\\)`));
    expect(before.stdout).toMatch(/❌ restart_unit +\S+ may not restart system units here/);
    expect(before.code).toBe(1);

    const rules = await firewatch(["doctor", "--config", cfg, "--sudoers", "--host", "web1", "--user", USER], { env });
    expect(rules.code, rules.stderr).toBe(0);
    const file = join(tmp.path, "firewatch.sudoers");
    await writeFile(file, rules.stdout, { mode: 0o440 });
    expect(spawnSync("visudo", ["-c", "-f", file], { encoding: "utf8" }).status).toBe(0);
    spawnSync("install", ["-m", "0440", file, RULES]);

    const after = await firewatch(["doctor", "--config", cfg, "--host", "web1"], { env });
    expect(after.stdout, after.stderr).toMatch(/✅ restart_unit +sudo rules list every named unit/);
    expect(after.code).toBe(0);

    // The executor over SSH: `sudo -n systemctl restart UNIT`. sudo lets the named unit through (systemctl then says
    // this machine has no systemd to ask), and refuses any other unit before systemctl runs.
    const exec = createHostExecutor({ host: (n) => hosts.host(n), cleanFailedJobs: () => Promise.reject(new Error("none")), sudo: () => true, timeoutMs: 15_000 });
    const named = await exec({ kind: "argv", host: "web1", argv: ["systemctl", "restart", UNIT] });
    // systemctl's own words prove sudo ran it as root (the same words as `systemctl restart` by root on this machine).
    expect(named.detail).toMatch(/^sudo on web1 ended with exit 1: .*System has not been booted with systemd/);
    expect(named.detail).not.toMatch(/password is required|not allowed/);
    const other = await exec({ kind: "argv", host: "web1", argv: ["systemctl", "restart", "sshd.service"] });
    expect(other).toMatchObject({ ok: false, detail: expect.stringMatching(/a password is required/) });
  }, 90_000);
});
