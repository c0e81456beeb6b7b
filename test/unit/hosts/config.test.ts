import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { HostConfig, LocalHost, openHost, SshHost } from "../../../src/hosts/index.js";

const FP = "SHA256:" + "a".repeat(43);

describe("HostConfig", () => {
  test("an ssh host needs a key and a pinned host key", () => {
    const r = HostConfig.safeParse({ kind: "ssh", host: "web1", user: "fw" });
    expect(r.success).toBe(false);
    const paths = r.error?.issues.map((i) => i.path.join(".")) ?? [];
    expect(paths).toEqual(expect.arrayContaining(["privateKeyFile", "fingerprints"]));
  });

  test("defaults and durations are applied; a misspelt key is an error", () => {
    const ok = HostConfig.parse({ kind: "ssh", host: "web1", user: "fw", privateKeyFile: "/k", fingerprints: [FP], keepalive: "30s" });
    expect(ok).toMatchObject({ port: 22, keepalive: 30_000, connectAttempts: 5 });
    expect(HostConfig.safeParse({ kind: "ssh", host: "web1", user: "fw", privateKeyFile: "/k", fingerprints: [FP], fingerprint: FP }).success).toBe(false);
    expect(HostConfig.safeParse({ kind: "ssh", host: "web1", user: "fw", privateKeyFile: "/k", fingerprints: ["MD5:aa"] }).success).toBe(false);
  });

  test("openHost builds the host, reading the key file; a missing file is a config error", async () => {
    const dir = await mkdtemp(join(tmpdir(), "fw-hostcfg-"));
    await writeFile(join(dir, "key"), "KEY");
    expect(await openHost("here", HostConfig.parse({ kind: "local" }))).toBeInstanceOf(LocalHost);
    const ssh = await openHost("web1", HostConfig.parse({ kind: "ssh", host: "web1", user: "fw", privateKeyFile: join(dir, "key"), fingerprints: [FP] }));
    expect(ssh).toBeInstanceOf(SshHost);
    expect(ssh.name).toBe("web1");
    await expect(openHost("web2", HostConfig.parse({ kind: "ssh", host: "web2", user: "fw", privateKeyFile: join(dir, "nope"), fingerprints: [FP] }))).rejects.toMatchObject({ code: "config_invalid" });
    await rm(dir, { recursive: true });
  });
});
