// redis_ping against a real redis-server, health_endpoint (real curl) against a local HTTP server, kernel_oom on this kernel.
import { spawnSync } from "node:child_process";
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { LocalHost } from "../../../src/hosts/index.js";
import { runProbe, type KernelOom, type RedisPing } from "../../../src/probes/index.js";
import { freePort, requireProgram } from "../../harness/program.js";
import { redisAvailability, startRedis, type RedisInstance } from "../../harness/redis.js";

const host = new LocalHost();
afterAll(() => host.close());

describe.skipIf(redisAvailability().missing !== undefined || requireProgram("redis-cli", "redis-tools").missing !== undefined)("redis_ping against a real redis-server", () => {
  let redis: RedisInstance;
  beforeAll(async () => {
    redis = await startRedis();
  }, 30_000);
  afterAll(() => redis?.cleanup());

  test("a running Redis answers PONG with its version and uptime; once stopped, the refusal is the answer", async () => {
    const up = await runProbe("redis_ping", { address: `127.0.0.1:${redis.port}` }, host);
    expect(up).toMatchObject({ ok: true, evidence: { host: "127.0.0.1", port: redis.port, answers: true, reply: "PONG", role: "master" } });
    const version = spawnSync("redis-server", ["--version"], { encoding: "utf8" }).stdout;
    expect(version).toContain(`v=${(up.ok ? (up.evidence as RedisPing).version : "?") ?? "?"}`);
    expect(up.text).toMatch(new RegExp(`^Redis at 127\\.0\\.0\\.1:${redis.port} answers PONG, version [\\d.]+ \\(master\\), up \\d+ s, \\d+ clients, memory \\S+$`));
    await redis.stop();
    const down = await runProbe("redis_ping", { address: `redis://127.0.0.1:${redis.port}` }, host);
    expect(down).toMatchObject({ ok: true, evidence: { answers: false, reply: `Could not connect to Redis at 127.0.0.1:${redis.port}: Connection refused` } });
    expect(down.text).toBe(`Redis at 127.0.0.1:${redis.port} does not answer PING: Could not connect to Redis at 127.0.0.1:${redis.port}: Connection refused`);
    await redis.restart();
    expect((await runProbe("redis_ping", { port: redis.port }, host)).text).toMatch(/answers PONG/);
  }, 30_000);
});

describe.skipIf(requireProgram("curl", "curl").missing !== undefined)("health_endpoint with curl against a local HTTP server", () => {
  let server: Server;
  let port: number;
  let slowPort: number;
  let slow: Server;
  beforeAll(async () => {
    port = await freePort();
    server = createServer((req, res) => {
      if (req.url === "/health") {
        res.writeHead(503, { "content-type": "application/json" });
        res.end(`{"status":"unhealthy","redis":"down","pad":"${"x".repeat(2000)}"}`);
      } else if (req.url === "/ok") res.end("ok\n");
      else {
        res.writeHead(302, { location: "http://example.invalid/" });
        res.end();
      }
    });
    await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
    slowPort = await freePort();
    // Accepts and never answers: curl's own --max-time ends it.
    slow = createServer(() => undefined);
    await new Promise<void>((r) => slow.listen(slowPort, "127.0.0.1", r));
  });
  afterAll(async () => {
    slow.closeAllConnections();
    await new Promise((r) => slow.close(r));
    await new Promise((r) => server.close(r));
  });

  test("a 503 is evidence: status and time, never the body (it may hold anything, and evidence goes to Slack)", async () => {
    const r = await runProbe("health_endpoint", { port: String(port) }, host);
    expect(r).toMatchObject({ ok: true, evidence: { url: `http://127.0.0.1:${port}/health`, answered: true, status: 503, healthy: false } });
    expect(JSON.stringify(r)).not.toContain("redis");
    expect(r.text).toMatch(new RegExp(`^GET http://127\\.0\\.0\\.1:${port}/health → HTTP 503 \\(unhealthy\\) in [\\d.]+ s$`));
    expect(await runProbe("health_endpoint", { url: `http://127.0.0.1:${port}/ok` }, host)).toMatchObject({ ok: true, evidence: { status: 200, healthy: true } });
  });

  test("a redirect is not followed; a closed port and a silent server are answers with curl's reason", async () => {
    expect(await runProbe("health_endpoint", { url: `http://127.0.0.1:${port}/elsewhere` }, host)).toMatchObject({ ok: true, evidence: { status: 302, healthy: false } });
    const closed = await freePort();
    const refused = await runProbe("health_endpoint", { port: closed }, host);
    expect(refused).toMatchObject({ ok: true, evidence: { answered: false, error: expect.stringMatching(/^curl: \(7\) Failed to connect to 127\.0\.0\.1 port \d+/) } });
    const t0 = Date.now();
    const silent = await runProbe("health_endpoint", { port: slowPort }, host);
    expect(silent).toMatchObject({ ok: true, evidence: { answered: false, error: expect.stringMatching(/^curl: \(28\) Operation timed out/) } });
    expect(Date.now() - t0).toBeLessThan(7_500);
  }, 15_000);
});

describe("kernel_oom on this machine's kernel log", () => {
  test("reads dmesg where it is readable and counts its OOM kills; otherwise says the log is not readable", async () => {
    const direct = spawnSync("dmesg", ["--time-format", "iso"], { encoding: "utf8", maxBuffer: 16 * 1024 * 1024 });
    const r = await runProbe("kernel_oom", {}, host);
    if (direct.status === 0) {
      const killed = direct.stdout.split("\n").filter((l) => /[Oo]ut of memory: Kill(?:ed)? process \d+/.test(l)).length;
      expect(r).toMatchObject({ ok: true, evidence: { source: "dmesg" } });
      // The ring buffer may gain kills between the two reads (other tests run containers), never lose them quickly.
      expect((r.ok ? (r.evidence as KernelOom).total : -1)).toBeGreaterThanOrEqual(killed);
    } else {
      expect(r).toMatchObject({ ok: false, error: { reason: "command_failed", message: expect.stringMatching(/kernel log is not readable/) } });
    }
  });
});
