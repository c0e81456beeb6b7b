import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOutputs } from "../../../src/daemon/outputs.js";
import type { IncidentChange } from "../../../src/daemon/pipeline.js";
import type { Incident } from "../../../src/incidents/index.js";
import { FileStore, type StoredIncident } from "../../../src/store/index.js";
import { systemClock } from "../../../src/time.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "fw-outputs-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const T = Date.UTC(2025, 11, 26, 22, 57, 1);
const snapshot: Incident = {
  id: "fw-0123abcd",
  fingerprint: "0123abcd".padEnd(64, "0"),
  title: "Crash loop: api cannot bind port 9003 (already in use)",
  severity: "critical",
  status: "open",
  host: "web1",
  service: "api",
  firstSeen: T,
  lastSeen: T + 20_000,
  findings: [
    {
      rule: "eaddrinuse_loop", severity: "critical", state: "firing", count: 3, firstSeen: T, lastSeen: T + 20_000, host: "web1", service: "api",
      groupKey: 'eaddrinuse_loop["web1","9003"]', fields: { port: "9003" }, evidence: [], cadence: undefined, table: undefined, recoveredAt: undefined,
    },
  ],
};

async function stored(): Promise<StoredIncident> {
  const store = await FileStore.open(join(dir, "state"), { clock: systemClock });
  try {
    return (await store.upsert(snapshot)).incident;
  } finally {
    await store.close();
  }
}

describe("outputs", () => {
  it("prints one JSON line per change with what a script needs, and writes the report as <id>.md", async () => {
    const s = await stored();
    const out = new PassThrough();
    let printed = "";
    out.on("data", (d: Buffer) => (printed += d.toString()));
    const reports = join(dir, "reports");
    const outputs = createOutputs({ stdout: out, jsonLines: true, reportDir: reports, rules: new Map(), clock: systemClock, log: pino({ level: "silent" }) });
    const changes: IncidentChange[] = [{ outcome: "created", incident: s }, { outcome: "suppressed", incident: s, silenceId: "sil-1" }];
    await outputs.emit(changes);
    const lines = printed.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l.outcome)).toEqual(["created", "suppressed"]);
    expect(lines[0]).toMatchObject({ type: "incident", id: "fw-0123abcd", severity: "critical", status: "open", host: "web1", service: "api", count: 3, firstSeen: "2025-12-26T22:57:01.000Z" });
    expect(lines[0]?.findings).toEqual([{ rule: "eaddrinuse_loop", state: "firing", count: 3, fields: { port: "9003" } }]);
    // One report, no temporary file left beside it.
    expect(await readdir(reports)).toEqual(["fw-0123abcd.md"]);
    expect(await readFile(join(reports, "fw-0123abcd.md"), "utf8")).toMatch(/^# Incident Report: Crash loop: api cannot bind port 9003/);
  });
});

describe("report writes of one incident (issue 14)", () => {
  it("run one after the other under their own temporary names: none is lost, the newest wins", async () => {
    const s = await stored();
    const reports = join(dir, "reports-race");
    const errors: unknown[] = [];
    const log = pino({ level: "error" }, { write: (l: string) => void errors.push(l) });
    const outputs = createOutputs({ stdout: new PassThrough(), jsonLines: false, reportDir: reports, rules: new Map(), clock: systemClock, log });
    const titled = (title: string): StoredIncident => ({ ...s, incident: { ...s.incident, title } });
    await Promise.all(Array.from({ length: 20 }, (_, i) => outputs.report(titled(`Version ${i}`))));
    expect(errors).toEqual([]);
    expect(await readdir(reports)).toEqual(["fw-0123abcd.md"]);
    expect(await readFile(join(reports, "fw-0123abcd.md"), "utf8")).toMatch(/^# Incident Report: Version 19\n/);
  });

  it("a resolved change prints a resolved line and rewrites the report with its status, figures and remediation", async () => {
    const s = await stored();
    const out = new PassThrough();
    let printed = "";
    out.on("data", (d: Buffer) => (printed += d.toString()));
    const reports = join(dir, "reports-resolved");
    const audit = async () => [
      { v: 1 as const, id: "a1", at: T + 60_000, actor: "cli:alice", action: "action.approval_requested", target: s.incident.id, details: { action: "kill_port_owner", host: "web1", command: '["kill","-TERM","4242"]' } },
      { v: 1 as const, id: "a2", at: T + 90_000, actor: "cli:bob", action: "action.allowed", target: s.incident.id, details: { action: "kill_port_owner", host: "web1", command: '["kill","-TERM","4242"]', approvedBy: "cli:bob" } },
      { v: 1 as const, id: "a3", at: T + 91_000, actor: "cli:bob", action: "action.done", target: s.incident.id, details: { action: "kill_port_owner", host: "web1", command: '["kill","-TERM","4242"]', approvedBy: "cli:bob", requestedBy: "cli:alice", output: "exit 0", postcondition: "port 9003 is now held by PID 77 (the service)" } },
    ];
    const outputs = createOutputs({ stdout: out, jsonLines: true, reportDir: reports, rules: new Map(), clock: systemClock, log: pino({ level: "silent" }), audit });
    const resolved: StoredIncident = { ...s, status: "resolved", resolved: { by: "cli:bob", at: T + 92_000, auto: false, mergedInto: undefined }, incident: { ...s.incident, status: "resolved" } };
    await outputs.emit([{ outcome: "resolved", incident: resolved }]);
    expect(JSON.parse(printed.trim())).toMatchObject({ outcome: "resolved", status: "resolved", id: "fw-0123abcd" });
    const md = await readFile(join(reports, "fw-0123abcd.md"), "utf8");
    expect(md).toContain("✅ **RESOLVED**");
    expect(md).toContain("## Key Figures");
    expect(md).toMatch(/\*\*Fixed\*\* \| 2025-12-26 22:58:32 UTC/);
    expect(md).toContain("## Remediation");
    expect(md).toContain("| **Requested by** | cli:alice at 2025-12-26 22:58:01 UTC |");
    expect(md).toContain("| **Approved by** | cli:bob at 2025-12-26 22:58:31 UTC |");
    expect(md).toContain("| **Command** | `kill -TERM 4242` |");
    expect(md).toContain("| **Postcondition** | port 9003 is now held by PID 77 (the service) |");
    expect(md).toMatch(/\*\*Service down\*\* \| 2 min \|/);
  });
});
