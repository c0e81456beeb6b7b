import { createHash, createHmac, randomBytes } from "node:crypto";
import { describe, expect, test } from "vitest";
import { knownHostsName, sha256Fingerprint, verifyHostKey } from "../../../src/hosts/index.js";

const key = Buffer.concat([Buffer.from("\0\0\0\x0bssh-ed25519\0\0\0 "), randomBytes(32)]);
const other = Buffer.concat([Buffer.from("\0\0\0\x0bssh-ed25519\0\0\0 "), randomBytes(32)]);
const b64 = key.toString("base64");

describe("host key pinning", () => {
  test("fingerprint is OpenSSH's SHA256 form", () => {
    const want = createHash("sha256").update(key).digest("base64").replace(/=+$/, "");
    expect(sha256Fingerprint(key)).toBe(`SHA256:${want}`);
  });

  test("a pinned fingerprint accepts the key, with or without its prefix", () => {
    const fp = sha256Fingerprint(key);
    expect(verifyHostKey(key, "h", 22, { fingerprints: [fp] })).toEqual({ ok: true });
    expect(verifyHostKey(key, "h", 22, { fingerprints: [fp.slice("SHA256:".length)] })).toEqual({ ok: true });
  });

  test("another pinned key means changed; no pin at all means unknown", () => {
    expect(verifyHostKey(other, "h", 22, { fingerprints: [sha256Fingerprint(key)] })).toMatchObject({ ok: false, reason: "host_key_changed", offered: sha256Fingerprint(other) });
    expect(verifyHostKey(key, "h", 22, {})).toMatchObject({ ok: false, reason: "host_key_unknown" });
    expect(verifyHostKey(key, "h", 22, { knownHosts: `other.example ssh-ed25519 ${b64}\n` })).toMatchObject({ ok: false, reason: "host_key_unknown" });
  });

  test("known_hosts lines match by name and port, plain or hashed", () => {
    expect(knownHostsName("10.0.0.5", 2222)).toBe("[10.0.0.5]:2222");
    expect(verifyHostKey(key, "10.0.0.5", 2222, { knownHosts: `# c\n[10.0.0.5]:2222,alias ssh-ed25519 ${b64}\n` })).toEqual({ ok: true });
    // Port 22 lines do not pin port 2222.
    expect(verifyHostKey(key, "10.0.0.5", 2222, { knownHosts: `10.0.0.5 ssh-ed25519 ${b64}\n` })).toMatchObject({ ok: false, reason: "host_key_unknown" });
    const salt = randomBytes(20);
    const hash = createHmac("sha1", salt).update("web1").digest("base64");
    const hashed = `|1|${salt.toString("base64")}|${hash} ssh-ed25519 ${b64}\n`;
    expect(verifyHostKey(key, "web1", 22, { knownHosts: hashed })).toEqual({ ok: true });
    expect(verifyHostKey(other, "web1", 22, { knownHosts: hashed })).toMatchObject({ ok: false, reason: "host_key_changed" });
  });

  test("a @revoked line never pins", () => {
    expect(verifyHostKey(key, "h", 22, { knownHosts: `@revoked h ssh-ed25519 ${b64}\n` })).toMatchObject({ ok: false });
  });
});
