// redis_ping (seed 002: `redis-cli ping`, `redis-cli info`): does Redis answer, and its version, uptime, memory, clients.
import { z } from "zod";
import { checkParams, execProbe, firstLine, ProbeError, type Probe, type ProbeContext } from "./probe.js";
import { assertProbeTarget } from "./network-allow.js";
import { NetHostValue, parseAddress, PortValue } from "./values.js";

const REDIS_PORT = 6379;

/** `address` as a log names it ("127.0.0.1:6379", "redis://cache:6380"), or host and port; default 127.0.0.1:6379. */
export const RedisPingParams = z
  .object({ address: z.string().max(4096).optional(), host: NetHostValue.optional(), port: PortValue.optional() })
  .strict()
  .transform((p, ctx) => {
    if (p.address === undefined) return { host: p.host ?? "127.0.0.1", port: p.port ?? REDIS_PORT };
    const a = parseAddress(p.address, p.port ?? REDIS_PORT);
    if (!a) {
      ctx.addIssue({ code: "custom", path: ["address"], message: "an address is host:port, [v6]:port or redis://host:port" });
      return z.NEVER;
    }
    return a;
  });
export type RedisPingParams = z.infer<typeof RedisPingParams>;

export interface RedisPing {
  readonly host: string;
  readonly port: number;
  /** True when Redis replied PONG. */
  readonly answers: boolean;
  /** Its reply, or redis-cli's error ("Could not connect to Redis at ...: Connection refused", "NOAUTH ..."). */
  readonly reply: string;
  readonly version: string | undefined;
  readonly uptimeSeconds: number | undefined;
  readonly role: string | undefined;
  readonly connectedClients: number | undefined;
  readonly usedMemory: string | undefined;
  /** "0B" means no limit. */
  readonly maxMemory: string | undefined;
}

const LIMITS = { timeoutMs: 5_000, maxOutputBytes: 256 * 1024 };

/** `redis-cli info` "key:value" lines → a map (section headers and blanks ignored). */
export function parseRedisInfo(text: string): Map<string, string> {
  const kv = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const i = line.indexOf(":");
    if (i > 0 && !line.startsWith("#")) kv.set(line.slice(0, i), line.slice(i + 1).trim());
  }
  return kv;
}

async function redisCli(ctx: ProbeContext, p: RedisPingParams, command: string) {
  // The address may come from a log line: redis-cli runs without REDISCLI_AUTH (firewatch's own store password may be
  // in the environment), so no credential is ever sent. A Redis that wants one answers NOAUTH: it answers.
  return execProbe("redis_ping", ctx, ["env", "-u", "REDISCLI_AUTH", "redis-cli", "-h", p.host, "-p", String(p.port), "--no-auth-warning", command], LIMITS);
}

export async function readRedisPing(ctx: ProbeContext, p: RedisPingParams): Promise<RedisPing> {
  assertProbeTarget("redis_ping", ctx.allowNet, p.host, p.port);
  const ping = await redisCli(ctx, p, "ping");
  const reply = (ping.stdout.trim() || firstLine(ping)).split("\n")[0] ?? "";
  const none = { version: undefined, uptimeSeconds: undefined, role: undefined, connectedClients: undefined, usedMemory: undefined, maxMemory: undefined };
  if (reply !== "PONG") {
    // redis-cli says why it could not talk to Redis: that is the answer. Empty output is not.
    if (reply === "") throw new ProbeError("redis_ping", "command_failed", `redis-cli ping ended with ${ping.code ?? ping.signal ?? "?"} and printed nothing`);
    return { host: p.host, port: p.port, answers: false, reply, ...none };
  }
  const info = await redisCli(ctx, p, "info");
  if (info.code !== 0) return { host: p.host, port: p.port, answers: true, reply, ...none };
  const kv = parseRedisInfo(info.stdout);
  const int = (k: string) => (/^\d+$/.test(kv.get(k) ?? "") ? Number(kv.get(k)) : undefined);
  return {
    host: p.host,
    port: p.port,
    answers: true,
    reply,
    version: kv.get("redis_version"),
    uptimeSeconds: int("uptime_in_seconds"),
    role: kv.get("role"),
    connectedClients: int("connected_clients"),
    usedMemory: kv.get("used_memory_human"),
    maxMemory: kv.get("maxmemory_human"),
  };
}

function render(r: RedisPing): string {
  const at = `Redis at ${r.host}:${r.port}`;
  if (!r.answers) return `${at} does not answer PING: ${r.reply}`;
  const parts = [`${at} answers PONG`];
  if (r.version !== undefined) parts.push(`version ${r.version}${r.role ? ` (${r.role})` : ""}`);
  if (r.uptimeSeconds !== undefined) parts.push(`up ${r.uptimeSeconds} s`);
  if (r.connectedClients !== undefined) parts.push(`${r.connectedClients} clients`);
  if (r.usedMemory !== undefined) parts.push(`memory ${r.usedMemory}${r.maxMemory && r.maxMemory !== "0B" ? ` of ${r.maxMemory}` : ""}`);
  return parts.join(", ");
}

export const redisPing: Probe<RedisPingParams, RedisPing> = {
  name: "redis_ping",
  params: RedisPingParams,
  run: async (ctx, p) => readRedisPing(ctx, checkParams("redis_ping", RedisPingParams, p)),
  render,
};
