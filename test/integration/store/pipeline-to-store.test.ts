import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, expect, test } from "vitest";
import { runAnalyze } from "../../../src/cli/analyze.js";
import { renderMarkdown } from "../../../src/report/index.js";
import { FileStore } from "../../../src/store/index.js";
import { testClock } from "../../unit/store/support.js";

// Seed 000 through the real pipeline (parsers → rules → correlator → incidents) into the store.
const SEED_000 = fileURLToPath(new URL("../../../fixtures/seed-000-port-conflict", import.meta.url));
const NOW = Date.UTC(2025, 11, 27, 4, 0, 0);
const analyze = (until?: string) => runAnalyze([SEED_000], { rules: [], ...(until ? { until } : {}) }, { now: () => NOW });

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "fw-pipeline-store-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

test("seed 000 stored: one incident, a re-read after a restart changes nothing, and the report is the same as before storing", async () => {
  const clock = testClock(NOW);
  const first = await analyze();
  expect(first.incidents).toHaveLength(1);
  const store = await FileStore.open(dir, { clock });
  expect((await Promise.all(first.incidents.map((i) => store.upsert(i)))).map((r) => r.outcome)).toEqual(["created"]);
  await store.close();

  // A restarted process reads the same logs again: same fingerprint, nothing new.
  const again = await FileStore.open(dir, { clock });
  const second = await analyze();
  expect((await Promise.all(second.incidents.map((i) => again.upsert(i)))).map((r) => r.outcome)).toEqual(["unchanged"]);
  const stored = await again.list();
  expect(stored).toHaveLength(1);
  await again.close();

  // What comes back out of the file renders exactly like the incident that went in.
  const incident = first.incidents[0];
  if (!incident) throw new Error("no incident");
  expect(stored[0]?.incident).toEqual(incident);
  expect(renderMarkdown(stored[0]?.incident ?? incident, first.rules, { now: NOW })).toBe(renderMarkdown(incident, first.rules, { now: NOW }));
});

test("seed 000 read up to 17:00 then in full: the stored incident grows (updated) to the full analysis", async () => {
  const store = await FileStore.open(dir, { clock: testClock(NOW) });
  const early = await analyze("2025-12-26T17:00:00-05:00");
  const full = await analyze();
  expect(early.incidents.map((i) => i.fingerprint)).toEqual(full.incidents.map((i) => i.fingerprint));
  for (const i of early.incidents) expect((await store.upsert(i)).outcome).toBe("created");
  for (const i of full.incidents) expect((await store.upsert(i)).outcome).toBe("updated");
  const [s] = await store.list();
  const counts = (findings: readonly { rule: string; count: number }[]) => Object.fromEntries(findings.map((f) => [f.rule, f.count]));
  expect(counts(s?.incident.findings ?? [])).toEqual(counts(full.incidents[0]?.findings ?? []));
  expect(s?.incident.lastSeen).toBe(full.incidents[0]?.lastSeen);
  await store.close();
});
