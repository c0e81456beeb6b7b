import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { settleFix } from "../../../src/actions/index.js";
import type { Finding } from "../../../src/correlate/index.js";
import { fingerprintIncident, incidentId, type Incident } from "../../../src/incidents/index.js";
import { FileStore } from "../../../src/store/index.js";

const NOW = Date.UTC(2026, 11, 7, 3, 0, 0);
const clock = { now: () => NOW, sleep: () => Promise.resolve() };
let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "fw-settle-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function finding(rule: string, service: string, fields: Record<string, string>): Finding {
  return { rule, severity: "critical", state: "firing", count: 5, firstSeen: NOW - 60_000, lastSeen: NOW - 1000, host: "local", service, groupKey: `${rule}{${service}}`, fields, evidence: [], cadence: undefined, table: undefined, recoveredAt: undefined };
}

describe("settleFix", () => {
  test("a fix of one member leaves the incident open while another fires; the second fix resolves it", async () => {
    const store = await FileStore.open(join(root, "a"), { clock });
    try {
      const fp = fingerprintIncident({ host: "local", service: "api", rule: "eaddrinuse_loop", groupKey: "k" });
      const findings = [finding("eaddrinuse_loop", "api", { port: "9003" }), finding("stale_job_queue", "api", { queue: "transcription" })];
      const incident: Incident = { id: incidentId(fp), fingerprint: fp, title: "t", severity: "critical", status: "open", host: "local", service: "api", firstSeen: NOW - 60_000, lastSeen: NOW - 1000, findings };
      await store.upsert(incident);
      const clean = { incident: incident.id, action: "clean_failed_jobs" as const, host: "local", params: { queue: "transcription" } };
      expect(await settleFix({ store, clock }, clean, "0 failed jobs left", "cli:alice")).toMatchObject({ resolved: false, still: [{ rule: "eaddrinuse_loop" }] });
      expect((await store.get(incident.id))?.status).toBe("open");
      expect((await store.listAudit({ action: "incident.partly_fixed" })).map((e) => e.details.stillFiring)).toEqual(["eaddrinuse_loop{api}"]);
      // The cleaning is in the audit as done: the kill then covers what was left, and together they cover all.
      await store.appendAudit({ actor: "cli:alice", action: "action.done", target: incident.id, details: { params: JSON.stringify(clean.params) } });
      const kill = { incident: incident.id, action: "kill_port_owner" as const, host: "local", params: { pid: "42", port: "9003", unit: "other" } };
      expect(await settleFix({ store, clock }, kill, "port 9003 is free", "cli:bob")).toMatchObject({ resolved: true });
      expect((await store.get(incident.id))?.status).toBe("resolved");
    } finally {
      await store.close();
    }
  });
});
