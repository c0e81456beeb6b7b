import { createServer } from "node:net";
import { describe, expect, test } from "vitest";
import { SshHost } from "../../../src/hosts/index.js";
import type { Clock } from "../../../src/time.js";
import { utils } from "ssh2";

const KEY = utils.generateKeyPairSync("ed25519").private;

/** A port on 127.0.0.1 that refuses connections (bound, then released). */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const addr = srv.address();
  await new Promise<void>((r) => srv.close(() => r()));
  return typeof addr === "object" && addr ? addr.port : 0;
}

describe("SshHost reconnects", () => {
  test("an unreachable host is retried with backoff and jitter, then reported as unreachable", async () => {
    const sleeps: number[] = [];
    const clock: Clock = { now: () => 0, sleep: async (ms) => { sleeps.push(ms); } };
    const host = new SshHost(
      { host: "127.0.0.1", port: await closedPort(), user: "x", privateKey: KEY, hostKey: { fingerprints: ["SHA256:x"] }, connectAttempts: 4, backoff: { baseMs: 100, maxMs: 250 } },
      { clock, random: () => 1 },
    );
    await expect(host.exec(["true"])).rejects.toMatchObject({ reason: "unreachable", message: expect.stringContaining("cannot connect") });
    // Three waits between four attempts: 100, 200, then capped at 250 (random() = 1 takes the top of each range).
    expect(sleeps).toEqual([100, 200, 250]);
    await host.close();
  });

  test("a private key ssh2 cannot read is a clear error, not retried", async () => {
    const sleeps: number[] = [];
    const clock: Clock = { now: () => 0, sleep: async (ms) => { sleeps.push(ms); } };
    const host = new SshHost({ host: "127.0.0.1", port: await closedPort(), user: "x", privateKey: "not a key", hostKey: {} }, { clock });
    await expect(host.exec(["true"])).rejects.toMatchObject({ reason: "auth_failed", message: expect.stringContaining("cannot use the private key") });
    expect(sleeps).toEqual([]);
  });

  test("a closed host refuses new work", async () => {
    const host = new SshHost({ host: "127.0.0.1", port: 1, user: "x", privateKey: "unused", hostKey: {} });
    await host.close();
    await expect(host.exec(["true"])).rejects.toMatchObject({ reason: "link_lost" });
  });
});
