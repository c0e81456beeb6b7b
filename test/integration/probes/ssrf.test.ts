// Probes act only on configured addresses: a log line naming an internal page or a listener does not make firewatch
// connect there, a Redis address from a log never gets firewatch's REDISCLI_AUTH, and no response body is kept.
import { writeFile } from "node:fs/promises";
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { createServer as createTcpServer, type Server as TcpServer, type AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { runAnalyze } from "../../../src/cli/analyze.js";
import { LocalHost } from "../../../src/hosts/index.js";
import { runIncidentProbes } from "../../../src/probes/index.js";
import { loadRules } from "../../../src/rules/index.js";
import type { StoredIncident } from "../../../src/store/index.js";
import { makeTempDir, requireProgram } from "../../harness/program.js";

const host = new LocalHost();
const clock = { now: () => Date.now(), sleep: () => Promise.resolve() };
let dir: { path: string; remove(): Promise<void> };
let page: HttpServer;
let pagePort = 0;
const pageHits: string[] = [];
let listener: TcpServer;
let listenerPort = 0;
const received: Buffer[] = [];

beforeAll(async () => {
  for (const p of [["curl", "curl"], ["redis-cli", "redis-tools"]] as const) {
    const missing = requireProgram(p[0], p[1]).missing;
    if (missing !== undefined) throw new Error(missing);
  }
  dir = await makeTempDir("ssrf");
  // An internal page on 127.0.0.2 (loopback, but not the host's own address): its body holds a password.
  page = createHttpServer((req, res) => {
    pageHits.push(req.url ?? "");
    res.end("admin password: hunter2-internal\n");
  });
  await new Promise<void>((r) => page.listen(0, "127.0.0.2", r));
  pagePort = (page.address() as AddressInfo).port;
  // A listener on the host's own loopback that records what a client sends (an AUTH would show here).
  listener = createTcpServer((s) => {
    s.on("data", (d: Buffer) => {
      received.push(d);
      s.write("-ERR unknown command\r\n");
    });
    s.on("error", () => undefined);
  });
  await new Promise<void>((r) => listener.listen(0, "127.0.0.1", r));
  listenerPort = (listener.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise((r) => page.close(r));
  await new Promise((r) => listener.close(r));
  await host.close();
  await dir?.remove();
});

async function incidentsFrom(lines: readonly string[]): Promise<{ stored: StoredIncident[]; rules: Map<string, Awaited<ReturnType<typeof loadRules>>[number]> }> {
  const file = path.join(dir.path, `app-${Date.now()}.log`);
  await writeFile(file, lines.map((l) => `2026-12-07T03:00:0${lines.indexOf(l)}Z api ${l}`).join("\n") + "\n");
  const rules = new Map((await loadRules({ dirs: [] })).map((r) => [r.id, r]));
  const { incidents } = await runAnalyze([file], { rules: [] }, { now: () => Date.now() });
  const stored = incidents.map((incident) => ({ v: 1 as const, incident, status: incident.status, createdAt: 0, updatedAt: 0, lastActivityAt: 0, acknowledged: undefined, resolved: undefined, reopenTimes: [], reopenCount: 0, flapping: false, silencedBy: undefined, slack: undefined, history: [], carry: {}, probes: [] }));
  return { stored, rules };
}

describe("probes act only on configured addresses", () => {
  test("a log naming 127.0.0.2 gets no GET from health_endpoint: refused, the page never asked", async () => {
    const line = `curl: (7) Failed to connect to 127.0.0.2 port ${pagePort} after 0 ms: Connection refused`;
    const { stored, rules } = await incidentsFrom([line, line, line]);
    const results = (await Promise.all(stored.map((s) => runIncidentProbes(s, rules, { host: () => host, clock })))).flat();
    const health = results.filter((r) => r.probe === "health_endpoint");
    expect(health.length).toBeGreaterThan(0);
    for (const r of health) expect(r).toMatchObject({ ok: false, summary: expect.stringContaining("is not on probes.network.allow") });
    expect(pageHits).toEqual([]);
    expect(JSON.stringify(results)).not.toContain("hunter2");
    // Allowed by the config author, it is asked, and only its status and timing are kept.
    const allowed = (await Promise.all(stored.map((s) => runIncidentProbes(s, rules, { host: () => host, clock, allowNet: [`127.0.0.2:${pagePort}`] })))).flat();
    expect(allowed.find((r) => r.probe === "health_endpoint")).toMatchObject({ ok: true, summary: expect.stringMatching(/→ HTTP 200 \(healthy\) in [\d.]+ s$/) });
    expect(pageHits.length).toBeGreaterThan(0);
    expect(JSON.stringify(allowed)).not.toContain("hunter2");
  }, 30_000);

  test("redis_ping to an address from a log: refused off the list; on it, no credential is sent", async () => {
    const before = process.env["REDISCLI_AUTH"];
    process.env["REDISCLI_AUTH"] = "store-password-s3cret";
    try {
      const off = await incidentsFrom([`Could not connect to Redis at 127.0.0.3:${listenerPort}: Connection refused`]);
      const refused = (await Promise.all(off.stored.map((s) => runIncidentProbes(s, off.rules, { host: () => host, clock })))).flat().filter((r) => r.probe === "redis_ping");
      expect(refused.length).toBeGreaterThan(0);
      for (const r of refused) expect(r).toMatchObject({ ok: false, summary: expect.stringContaining("is not on probes.network.allow") });
      expect(received).toEqual([]);
      // The host's own loopback is allowed by default: redis-cli connects, but without the inherited password.
      const on = await incidentsFrom([`Could not connect to Redis at 127.0.0.1:${listenerPort}: Connection refused`]);
      const asked = (await Promise.all(on.stored.map((s) => runIncidentProbes(s, on.rules, { host: () => host, clock })))).flat().filter((r) => r.probe === "redis_ping");
      expect(asked.length).toBeGreaterThan(0);
      const sent = Buffer.concat(received).toString("latin1");
      expect(sent.toLowerCase()).toContain("ping");
      expect(sent).not.toContain("store-password-s3cret");
      expect(sent.toUpperCase()).not.toContain("AUTH");
    } finally {
      if (before === undefined) delete process.env["REDISCLI_AUTH"];
      else process.env["REDISCLI_AUTH"] = before;
    }
  }, 30_000);
});
