import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStatusFollower } from "../../../src/daemon/status-follow.js";
import type { Incident } from "../../../src/incidents/index.js";
import { FileStore } from "../../../src/store/index.js";
import { systemClock } from "../../../src/time.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "fw-follow-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const incident = (n: number): Incident => ({
  id: `fw-0000000${n}`, fingerprint: `0000000${n}`.padEnd(64, "0"), title: `t${n}`, severity: "high", status: "open", host: "local", service: "api",
  firstSeen: 1, lastSeen: 2,
  findings: [{ rule: "r", severity: "high", state: "firing", count: 1, firstSeen: 1, lastSeen: 2, host: "local", service: "api", groupKey: `r{${n}}`, fields: {}, evidence: [], cadence: undefined, table: undefined, recoveredAt: undefined }],
});

describe("the status follower", () => {
  it("hands back, once, a live incident another process resolved; the others stay followed", async () => {
    const store = await FileStore.open(join(dir, "s"), { clock: systemClock });
    try {
      const a = (await store.upsert(incident(1))).incident;
      const b = (await store.upsert(incident(2))).incident;
      const follower = createStatusFollower(store);
      follower.seen([{ outcome: "created", incident: a }, { outcome: "created", incident: b }]);
      expect(await follower.poll()).toEqual([]);
      await store.resolve(a.incident.id, "cli:alice", "fixed by hand");
      const resolved = await follower.poll();
      expect(resolved.map((c) => [c.outcome, c.incident.incident.id, c.incident.resolved?.by])).toEqual([["resolved", "fw-00000001", "cli:alice"]]);
      expect(await follower.poll()).toEqual([]);
      await store.resolve(b.incident.id, "cli:bob");
      expect((await follower.poll()).map((c) => c.incident.incident.id)).toEqual(["fw-00000002"]);
    } finally {
      await store.close();
    }
  });
});
