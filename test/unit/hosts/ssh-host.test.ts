import { createHash } from "node:crypto";
import { connect, createServer } from "node:net";
import { describe, expect, test } from "vitest";
import { SshHost } from "../../../src/hosts/index.js";
import type { Clock } from "../../../src/time.js";
import { Server, utils } from "ssh2";

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

/**
 * A TCP relay between an SshHost and a server. `hold(n)` keeps what the server sends from then on until `n` writes
 * have come (or a second has passed), then passes them on in one write, as a client too busy to read sooner gets them.
 */
async function holdingRelay(target: number): Promise<{ port: number; hold(writes: number): void; close(): Promise<void> }> {
  let want = 0;
  let held: Buffer[] = [];
  let timer: NodeJS.Timeout | undefined;
  const relay = createServer((client) => {
    const upstream = connect(target, "127.0.0.1");
    const release = () => {
      clearTimeout(timer);
      want = 0;
      client.write(Buffer.concat(held));
      held = [];
    };
    upstream.on("data", (b: Buffer) => {
      if (want === 0) return void client.write(b);
      held.push(b);
      timer ??= setTimeout(release, 1_000);
      if (held.length >= want) release();
    });
    client.pipe(upstream);
    const end = () => {
      clearTimeout(timer);
      client.destroy();
      upstream.destroy();
    };
    upstream.on("close", end).on("error", end);
    client.on("close", end).on("error", end);
  });
  await new Promise<void>((r) => relay.listen(0, "127.0.0.1", r));
  const addr = relay.address();
  return {
    port: typeof addr === "object" && addr ? addr.port : 0,
    hold: (writes) => {
      want = writes;
      timer = undefined;
    },
    close: () => new Promise<void>((r) => relay.close(() => r())),
  };
}

describe("SshHost reads a quick command's exit", () => {
  test("an exit status that arrives in the same read as the channel's confirmation is kept, not taken for a lost link", async () => {
    const hostKey = utils.generateKeyPairSync("ed25519");
    const relays: Awaited<ReturnType<typeof holdingRelay>>[] = [];
    // Exec answered with success, then exit status 7, EOF and close (a command as quick as `true`), both writes
    // delivered in one read: the relay holds them from the exec request on.
    const server = new Server({ hostKeys: [hostKey.private] }, (conn) => {
      conn.on("authentication", (ctx) => ctx.accept());
      conn.on("ready", () => conn.on("session", (accept) => accept().on("exec", (acceptExec) => {
        relays[0]?.hold(2);
        const stream = acceptExec();
        stream.exit(7);
        stream.end();
      })));
      conn.on("error", () => undefined);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const addr = server.address();
    const relay = await holdingRelay(typeof addr === "object" && addr ? addr.port : 0);
    relays.push(relay);
    const pub = utils.parseKey(hostKey.public);
    if (pub instanceof Error) throw pub;
    const fingerprint = `SHA256:${createHash("sha256").update(pub.getPublicSSH()).digest("base64").replace(/=+$/, "")}`;
    const host = new SshHost({ host: "127.0.0.1", port: relay.port, user: "x", privateKey: KEY, hostKey: { fingerprints: [fingerprint] } });
    try {
      expect(await host.exec(["true"])).toMatchObject({ code: 7, signal: null });
      expect(await host.exec(["true"])).toMatchObject({ code: 7, signal: null });
    } finally {
      await host.close();
      await relay.close();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
