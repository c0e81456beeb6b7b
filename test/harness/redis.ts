// A real redis-server for tests: own port on 127.0.0.1, own temp dir, append-only file so a restart keeps the data.
import { Socket } from "node:net";
import { findProgram, freePort, makeTempDir, requireProgram, startProgram, type Availability, type Started } from "./program.js";

export interface RedisInstance {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  /** Graceful shutdown (SIGTERM: redis flushes and exits). */
  stop(): Promise<void>;
  /** SIGKILL: what a crash looks like; with appendfsync always nothing acknowledged is lost. */
  kill9(): Promise<void>;
  /** Starts it again on the same port and data directory (after stop or kill9). */
  restart(): Promise<void>;
  /** Stops it and removes its directory. */
  cleanup(): Promise<void>;
}

export function redisAvailability(): Availability {
  return requireProgram("redis-server", "redis-server");
}

/** Answers true when something on the port replies +PONG to PING. */
export async function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = new Socket();
    let buf = "";
    s.setTimeout(2_000, () => { s.destroy(); resolve(false); });
    s.once("error", () => resolve(false));
    s.on("data", (d) => {
      buf += d.toString();
      if (buf.includes("\r\n")) { s.destroy(); resolve(buf.startsWith("+PONG")); }
    });
    s.connect(port, "127.0.0.1", () => s.write("PING\r\n"));
  });
}

export async function startRedis(): Promise<RedisInstance> {
  const bin = findProgram("redis-server");
  if (!bin) throw new Error("redis-server not found: install it with `apt-get install redis-server`");
  const tmp = await makeTempDir("redis");
  const port = await freePort();
  const args = [
    "--port", String(port), "--bind", "127.0.0.1", "--dir", tmp.path, "--daemonize", "no",
    "--save", "", "--appendonly", "yes", "--appendfsync", "always", "--protected-mode", "yes", "--loglevel", "notice",
  ];
  let proc: Started | undefined;
  const start = async () => {
    proc = await startProgram(bin, args, { readyWhen: "Ready to accept connections" });
    if (!(await ping(port))) throw new Error(`redis-server on ${port} said it was ready but does not answer PING\n${proc.output()}`);
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir: tmp.path,
    stop: async () => { await proc?.stop(); },
    kill9: async () => { await proc?.kill9(); },
    restart: async () => {
      await proc?.stop();
      await start();
    },
    cleanup: async () => {
      await proc?.stop();
      await tmp.remove();
    },
  };
}
