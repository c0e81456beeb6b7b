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
