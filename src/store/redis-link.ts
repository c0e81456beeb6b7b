// The Redis connection: waits (bounded) while Redis is down, retries what the outage broke, and says so once.
import { createRequire } from "node:module";
import type { Redis } from "ioredis";
import type { z } from "zod";
import { formatDuration } from "../time.js";
import { StoreError } from "./errors.js";
import { STORE_VERSION } from "./records.js";
import type { StoreDeps } from "./store.js";

// Loaded by the first connection, not with the store floor: commands that never use Redis never load ioredis.
const require = createRequire(import.meta.url);
const redisClass = (): typeof Redis => (require("ioredis") as { Redis: typeof Redis }).Redis;

// Commands never queue inside ioredis (enableOfflineQueue: false, maxRetriesPerRequest: 0): a command either runs
// on a live connection or fails at once, and `run` re-runs the whole operation. An operation never lands late,
// after its caller was told it failed.
const CLIENT_OPTIONS = {
  lazyConnect: true,
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  connectTimeout: 5_000,
  retryStrategy: (times: number) => Math.min(50 * 2 ** Math.min(times, 5), 1_000),
};

/** Re-runs after a broken connection, on top of the time bound (each one first waits for the connection). */
const MAX_ATTEMPTS = 20;

function isConnectionError(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  if (e.name === "MaxRetriesPerRequestError") return true;
  const code = "code" in e && typeof e.code === "string" ? e.code : "";
  return (
    ["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH"].includes(code) ||
    /Connection is closed|Stream isn't writeable|LOADING/i.test(e.message)
  );
}

export class RedisLink {
  readonly where: string;
  private readonly redis: Redis;
  private down = false;
  private lastError = "";
  /** How many times the connection became ready: tells a fresh connection from the one that just broke. */
  private readyCount = 0;
  private readyWaiter: Promise<void> | undefined;
  private closed = false;

  constructor(
    url: string,
    private readonly deps: StoreDeps,
    private readonly unavailableAfterMs: number,
  ) {
    this.redis = new (redisClass())(url, CLIENT_OPTIONS);
    const o = this.redis.options;
    this.where = o.path ? `unix:${o.path}` : `${o.host ?? "localhost"}:${o.port ?? 6379}`;
    // Without an error listener ioredis reports every failed reconnect on its own; this says it once per outage.
    this.redis.on("error", (e: Error) => {
      this.lastError = "code" in e && typeof e.code === "string" ? e.code : e.message;
      if (this.down || this.closed) return;
      this.down = true;
      deps.log?.warn({ errorType: "redis_unreachable", redis: this.where, error: this.lastError }, "Redis is unreachable; store operations wait for it.");
    });
    this.redis.on("ready", () => {
      this.readyCount++;
      if (!this.down) return;
      this.down = false;
      deps.log?.warn({ redis: this.where }, "Redis is reachable again.");
    });
  }

  /** Runs `fn` on a live connection; waits for one up to the bound, re-running `fn` if the connection breaks under it. */
  async run<T>(what: string, fn: (r: Redis) => Promise<T>): Promise<T> {
    const deadline = this.deps.clock.now() + this.unavailableAfterMs;
    // After a broken connection, wait for a *new* "ready": ioredis may still say "ready" for a moment after the
    // socket broke, and retrying on that would spin.
    let after = -1;
    for (let attempt = 1; ; attempt++) {
      if (this.closed) throw new StoreError("invalid", `the Redis store at ${this.where} is closed`);
      if (this.redis.status !== "ready" || this.readyCount <= after) await this.waitReady(what, deadline, after);
      const epoch = this.readyCount;
      try {
        return await fn(this.redis);
      } catch (e) {
        if (!isConnectionError(e)) throw e;
        this.lastError = e instanceof Error ? e.message : String(e);
        if (this.deps.clock.now() >= deadline || attempt >= MAX_ATTEMPTS) throw this.unavailable(what, e);
        after = epoch;
      }
    }
  }

  private async waitReady(what: string, deadline: number, after: number): Promise<void> {
    if (this.redis.status === "wait") this.redis.connect().catch(() => undefined);
    const usable = () => this.redis.status === "ready" && this.readyCount > after;
    const left = deadline - this.deps.clock.now();
    if (left <= 0 && !usable()) throw this.unavailable(what);
    const stop = new AbortController();
    const ready = this.nextReady().then(() => true);
    const timeout = this.deps.clock.sleep(Math.max(left, 0), stop.signal).then(
      () => false,
      () => false,
    );
    const ok = usable() || (await Promise.race([ready, timeout]));
    stop.abort();
    if (!ok) throw this.unavailable(what);
  }

  // One shared promise for the next "ready", however many operations wait (no listener per waiting operation).
  private nextReady(): Promise<void> {
    this.readyWaiter ??= new Promise<void>((resolve) => {
      this.redis.once("ready", () => {
        this.readyWaiter = undefined;
        resolve();
      });
    });
    return this.readyWaiter;
  }

  private unavailable(what: string, cause?: unknown): StoreError {
    return new StoreError("unavailable", `Redis at ${this.where} is unreachable (${this.lastError || "not connected"}); the ${what} did not happen after waiting ${formatDuration(this.unavailableAfterMs)}`, {
      cause,
      hint: `nothing was written; firewatch keeps reconnecting. Check it with: redis-cli -h ${this.where.split(":")[0]} -p ${this.where.split(":")[1]} ping`,
    });
  }

  async quit(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.redis.status === "ready") await this.redis.quit().catch(() => this.redis.disconnect());
    else this.redis.disconnect();
  }

  disconnect(): void {
    this.closed = true;
    this.redis.disconnect();
  }
}

/** Parses a value read from Redis: not JSON or not the shape → "corrupt"; another layout version → "version". */
export function decodeStored<S extends z.ZodType>(raw: string, schema: S, key: string): z.output<S> {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (e) {
    throw new StoreError("corrupt", `Redis key ${key} does not hold JSON`, { cause: e, hint: "inspect it with redis-cli GET; delete it to drop it" });
  }
  if (value && typeof value === "object" && "v" in value && value.v !== STORE_VERSION) {
    throw new StoreError("version", `Redis key ${key} holds layout version ${String(value.v)}; this firewatch reads version ${STORE_VERSION}`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new StoreError("corrupt", `Redis key ${key} is not a valid firewatch record (${issue ? `${issue.path.join(".")}: ${issue.message}` : "invalid"})`);
  }
  return parsed.data;
}
