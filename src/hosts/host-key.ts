// Decides whether an SSH server's host key is the pinned one: SHA256 fingerprints or known_hosts lines, never trust on first use.
import { createHash, createHmac, timingSafeEqual } from "node:crypto";

export interface HostKeyPins {
  /** "SHA256:base64" as `ssh-keygen -l -E sha256` prints it (the "SHA256:" prefix is optional). */
  readonly fingerprints?: readonly string[];
  /** known_hosts content (plain or hashed `|1|salt|hash` host fields); only lines naming this host and port count. */
  readonly knownHosts?: string;
}

export type HostKeyVerdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: "host_key_unknown" | "host_key_changed"; readonly offered: string };

/** The OpenSSH SHA256 fingerprint of a raw public key blob: "SHA256:" + unpadded base64. */
export function sha256Fingerprint(key: Buffer): string {
  return `SHA256:${createHash("sha256").update(key).digest("base64").replace(/=+$/, "")}`;
}

/** The name known_hosts uses for host:port: "host" on 22, "[host]:port" otherwise. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function hostFieldMatches(field: string, name: string): boolean {
  for (const pattern of field.split(",")) {
    if (pattern.startsWith("|1|")) {
      // Hashed: |1|base64(salt)|base64(HMAC-SHA1(salt, name)).
      const [, , salt = "", hash = ""] = pattern.split("|");
      const mac = createHmac("sha1", Buffer.from(salt, "base64")).update(name).digest();
      const want = Buffer.from(hash, "base64");
      if (want.length === mac.length && timingSafeEqual(want, mac)) return true;
    } else if (pattern === name) {
      return true;
    }
  }
  return false;
}

/** The key blobs a known_hosts text pins for this name (marker lines such as @revoked are ignored: never a pin). */
export function knownHostsKeys(text: string, name: string): Buffer[] {
  const keys: Buffer[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith("@")) continue;
    const [hosts = "", , blob = ""] = line.split(/\s+/);
    if (hostFieldMatches(hosts, name)) keys.push(Buffer.from(blob, "base64"));
  }
  return keys;
}

/** Whether `key` is pinned for host:port; "changed" when something is pinned for it but not this key. */
export function verifyHostKey(key: Buffer, host: string, port: number, pins: HostKeyPins): HostKeyVerdict {
  const offered = sha256Fingerprint(key);
  const fps = (pins.fingerprints ?? []).map((f) => (f.startsWith("SHA256:") ? f : `SHA256:${f}`).replace(/=+$/, ""));
  const known = pins.knownHosts === undefined ? [] : knownHostsKeys(pins.knownHosts, knownHostsName(host, port));
  if (fps.includes(offered) || known.some((k) => k.equals(key))) return { ok: true };
  return { ok: false, reason: fps.length > 0 || known.length > 0 ? "host_key_changed" : "host_key_unknown", offered };
}
