// The health server over real HTTP on loopback: /healthz, /metrics, HEAD, unknown paths and methods, binding, close.
import { request } from "node:http";
import { connect, createServer } from "node:net";
import { pino } from "pino";
import { afterEach, describe, expect, test } from "vitest";
import { startHealthServer, type HealthState } from "../../../src/daemon/health-server.js";
import { createDaemonMetrics } from "../../../src/daemon/metrics.js";

const log = pino({ level: "silent" });
const opened: { close(): Promise<void> }[] = [];

async function start(health: () => HealthState = () => ({ ok: true, detail: {} })) {
  const metrics = createDaemonMetrics();
  const server = await startHealthServer({ host: "127.0.0.1", port: 0, metrics, health, log });
  opened.push(server);
  return { server, metrics, base: `http://127.0.0.1:${server.port}` };
}

afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
});

/** Raw request with node:http, to see exactly what goes over the wire (HEAD bodies, odd methods). */
function raw(port: number, method: string, path: string, body?: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, method, path, agent: false }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

describe("startHealthServer", () => {
  test("GET /healthz answers 200 with status ok and the daemon's detail", async () => {
    const { base } = await start(() => ({ ok: true, detail: { sources: { "journal@web1": "up" }, lastCommitAgoMs: 120 } }));
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(await res.json()).toEqual({ status: "ok", sources: { "journal@web1": "up" }, lastCommitAgoMs: 120 });
  });

  test("GET /healthz answers 503 naming the failing parts, and a detail cannot claim ok", async () => {
    const { base } = await start(() => ({ ok: false, detail: { status: "ok", failing: ["store", "source app-log"] } }));
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: "failing", failing: ["store", "source app-log"] });
  });

  test("health state is read on every request, not once", async () => {
    let ok = true;
    const { base } = await start(() => ({ ok, detail: {} }));
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    ok = false;
    expect((await fetch(`${base}/healthz`)).status).toBe(503);
  });

  test("a health() that throws is a 503 with its message, and the server keeps serving", async () => {
    const { base } = await start(() => {
      throw new Error("pipeline state unavailable");
    });
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: "failing", error: "pipeline state unavailable" });
    expect((await fetch(`${base}/metrics`)).status).toBe(200);
  });

  test("GET /metrics serves the registry in the Prometheus text format", async () => {
    const { base, metrics } = await start();
    metrics.linesRead("app-log", 42);
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    const text = await res.text();
    expect(text).toContain('firewatch_lines_read_total{source="app-log"} 42\n');
    expect(text).toContain("process_resident_memory_bytes");
  });

  test("HEAD gets the status and headers with no body", async () => {
    const { server } = await start(() => ({ ok: false, detail: { failing: ["x"] } }));
    const head = await raw(server.port, "HEAD", "/healthz");
    expect(head.status).toBe(503);
    expect(head.body).toBe("");
    expect(Number(head.headers["content-length"])).toBeGreaterThan(0);
    const metrics = await raw(server.port, "HEAD", "/metrics");
    expect(metrics.status).toBe(200);
    expect(metrics.body).toBe("");
  });

  test("other paths are 404 and other methods 405, whatever the body", async () => {
    const { server, base } = await start();
    expect((await fetch(`${base}/`)).status).toBe(404);
    expect((await fetch(`${base}/healthz/extra`)).status).toBe(404);
    const post = await raw(server.port, "POST", "/healthz", "x".repeat(100_000));
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe("GET, HEAD");
    expect((await fetch(`${base}/healthz?verbose=1`)).status).toBe(200);
  });

  test("a port already taken is a coded error naming the address", async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", r));
    const address = blocker.address();
    const port = typeof address === "object" && address !== null ? address.port : 0;
    try {
      await expect(
        startHealthServer({ host: "127.0.0.1", port, metrics: createDaemonMetrics(), health: () => ({ ok: true, detail: {} }), log }),
      ).rejects.toMatchObject({ code: "config_invalid", message: expect.stringContaining(`127.0.0.1:${port}`) });
    } finally {
      await new Promise<void>((r) => blocker.close(() => r()));
    }
  });

  test("close() frees the port at once even with a half-sent request open, and is idempotent", async () => {
    const metrics = createDaemonMetrics();
    const server = await startHealthServer({ host: "127.0.0.1", port: 0, metrics, health: () => ({ ok: true, detail: {} }), log });
    expect((await fetch(`http://127.0.0.1:${server.port}/healthz`)).status).toBe(200);
    // A client stuck mid-headers: plain server.close() would wait for the 5 s headers timeout.
    const stuck = connect(server.port, "127.0.0.1");
    stuck.on("error", () => undefined);
    await new Promise<void>((r) => stuck.once("connect", () => r()));
    await new Promise<void>((r) => stuck.write("GET /healthz HTTP/1.1\r\nHost: x\r\n", () => r()));
    const t0 = performance.now();
    await Promise.all([server.close(), server.close()]);
    expect(performance.now() - t0).toBeLessThan(2_000);
    stuck.destroy();
    const again = await startHealthServer({ host: "127.0.0.1", port: server.port, metrics, health: () => ({ ok: true, detail: {} }), log });
    opened.push(again);
    expect(again.port).toBe(server.port);
    expect((await raw(again.port, "GET", "/healthz")).status).toBe(200);
  });
});
