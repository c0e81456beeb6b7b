// Seed 002 shapes end to end: log lines → the built-in library → a stored incident → runIncidentProbes asks the real
// services the logs name (a stopped redis-server, a local HTTP health endpoint answering 503) → the report shows it.
import { writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { runAnalyze } from "../../../src/cli/analyze.js";
import { LocalHost } from "../../../src/hosts/index.js";
import { runIncidentProbes } from "../../../src/probes/index.js";
import { renderMarkdown } from "../../../src/report/index.js";
import { FileStore } from "../../../src/store/index.js";
import { systemClock } from "../../../src/time.js";
import { freePort, makeTempDir, requireProgram } from "../../harness/program.js";
import { redisAvailability, startRedis, type RedisInstance } from "../../harness/redis.js";

const missing = redisAvailability().missing ?? requireProgram("redis-cli", "redis-tools").missing ?? requireProgram("curl", "curl").missing;

describe.skipIf(missing !== undefined)(`seed 002: probes of an incident ask the services its logs name ${missing ?? ""}`, () => {
  let redis: RedisInstance;
  let server: Server;
  let httpPort: number;
  let tmp: { path: string; remove(): Promise<void> };
  const host = new LocalHost();
  beforeAll(async () => {
    redis = await startRedis();
    httpPort = await freePort();
    server = createServer((_req, res) => {
      res.writeHead(503, { "content-type": "application/json" });
      res.end('{"status":"unhealthy","checks":{"redis":"connection refused"}}');
    });
    await new Promise<void>((r) => server.listen(httpPort, "127.0.0.1", r));
    tmp = await makeTempDir("seed002-incident");
  }, 30_000);
  afterAll(async () => {
    await new Promise((r) => server?.close(r));
    await redis?.cleanup();
    await host.close();
    await tmp?.remove();
  });

  test("redis_unreachable and health_check_failed findings get redis_ping and health_endpoint results from the real services", async () => {
    await redis.stop();
    // Lines in the shape of seed 002's compose logs, written here with this test's ports (invented, not from the seed).
    const lines = [0, 20, 40].flatMap((s) => [
      `analysis_service_1  | 2025-10-10T11:31:${String(s).padStart(2, "0")}.000Z redis.exceptions.ConnectionError: Error 111 connecting to 127.0.0.1:${redis.port}. Connection refused.`,
      `analysis_service_1  | 2025-10-10T11:31:${String(s + 5).padStart(2, "0")}.000Z curl: (7) Failed to connect to 127.0.0.1 port ${httpPort} after 0 ms: Couldn't connect to server`,
    ]);
    const file = join(tmp.path, "compose.log");
    await writeFile(file, `${lines.join("\n")}\n`);
    const result = await runAnalyze([file], { rules: [] }, { now: () => Date.parse("2025-10-10T12:00:00Z") });
    const incident = result.incidents.find((i) => i.findings.some((f) => f.rule === "redis_unreachable"));
    expect(incident?.findings.map((f) => [f.rule, f.state]).sort()).toEqual([["health_check_failed", "firing"], ["redis_unreachable", "firing"]]);
    if (!incident) return;

    const store = await FileStore.open(join(tmp.path, "store"), { clock: systemClock });
    try {
      const { incident: stored } = await store.upsert(incident);
      const probes = await runIncidentProbes(stored, result.rules, { host: (n) => (n === "local" ? host : undefined), clock: systemClock });
      // Plan order follows the findings (most severe first): compare by probe name.
      const byName = [...probes].sort((a, b) => a.probe.localeCompare(b.probe));
      expect(byName.map((p) => [p.probe, p.ok, p.summary])).toEqual([
        ["health_endpoint", true, expect.stringMatching(new RegExp(`^GET http://127\\.0\\.0\\.1:${httpPort}/health → HTTP 503 \\(unhealthy\\) in [\\d.]+ s$`))],
        ["redis_ping", true, `Redis at 127.0.0.1:${redis.port} does not answer PING: Could not connect to Redis at 127.0.0.1:${redis.port}: Connection refused`],
      ]);
      // Once Redis is back, the same question gets the other answer.
      await redis.restart();
      const again = await runIncidentProbes(stored, result.rules, { host: () => host, clock: systemClock });
      expect(again.find((p) => p.probe === "redis_ping")?.summary).toMatch(new RegExp(`^Redis at 127\\.0\\.0\\.1:${redis.port} answers PONG, version `));

      const kept = await store.setProbes(stored.incident.id, probes);
      const report = renderMarkdown(kept.incident, result.rules, { probes: kept.probes });
      expect(report).toContain(`\`redis_ping\` on local (address=127.0.0.1:${redis.port}) at `);
      expect(report).toContain(`\`health_endpoint\` on local (port=${httpPort}, target=127.0.0.1) at `);
      expect(report).toContain(`# health_endpoint on local (port=${httpPort}, target=127.0.0.1)\nurl: http://127.0.0.1:${httpPort}/health\nanswered: true\nstatus: 503\nhealthy: false\n`);
    } finally {
      await store.close();
    }
  }, 60_000);
});
