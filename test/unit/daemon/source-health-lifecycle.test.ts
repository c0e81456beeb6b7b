// Source health through the store's lifecycle: a quiet source's incident stays open while it stays quiet, and
// resolves by itself within the rules' resolve_after once lines flow again. Time is a fake clock; the store is real.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, test } from "vitest";
import { createCorrelator } from "../../../src/correlate/index.js";
import { createSourceHealth } from "../../../src/daemon/source-health.js";
import { groupIntoIncidents } from "../../../src/incidents/index.js";
import { compileRules, createMatcher, loadBuiltinRules, type Rule } from "../../../src/rules/index.js";
import { FileStore, resolveAfterByRule, type StoredIncident } from "../../../src/store/index.js";

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 23, 16, 0, 0);

let rules: Rule[];
beforeAll(async () => {
  rules = await loadBuiltinRules();
});
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

/**
 * The daemon's loop, condensed: every `stepMs` source health ticks, its records go through matcher and correlator, the
 * incidents that changed are upserted, and auto-resolve runs. Returns the stored incident's status over time.
 */
async function simulate(opts: { remindMs?: number; flowAt: number; until: number }): Promise<{ statusAt(t: number): string | undefined; resolvedAt: number | undefined; final: StoredIncident | undefined }> {
  const clock = { t: T0, now: () => clock.t, sleep: () => Promise.resolve() };
  const dir = await mkdtemp(join(tmpdir(), "fw-sh-life-"));
  dirs.push(dir);
  const store = await FileStore.open(dir, { clock });
  try {
    const health = createSourceHealth({ quietMs: () => 10 * MIN, clock, ...(opts.remindMs === undefined ? {} : { remindMs: opts.remindMs }) });
    const match = createMatcher(compileRules(rules));
    const correlator = createCorrelator(rules);
    const resolveAfter = resolveAfterByRule(new Map(rules.flatMap((r) => (r.resolve_after === undefined ? [] : [[r.id, r.resolve_after] as const]))));
    const last = new Map<string, string>();
    const statuses: [number, string | undefined][] = [];
    let resolvedAt: number | undefined;
    health.seen("journald:web1", "web1", T0);
    for (; clock.t <= opts.until; clock.t += 5000) {
      if (clock.t >= opts.flowAt) health.seen("journald:web1", "web1", clock.t);
      for (const r of health.tick(clock.t)) for (const s of match(r)) correlator.push(s);
      for (const incident of groupIntoIncidents(correlator.findings(clock.t), rules)) {
        const json = JSON.stringify(incident);
        if (last.get(incident.fingerprint) === json) continue;
        last.set(incident.fingerprint, json);
        await store.upsert(incident);
      }
      for (const r of await store.autoResolve(resolveAfter)) resolvedAt ??= r.resolved?.at;
      const [stored] = await store.list();
      statuses.push([clock.t, stored?.status]);
    }
    const [final] = await store.list();
    return {
      statusAt: (t) => statuses.findLast(([at]) => at <= t)?.[1],
      resolvedAt,
      final,
    };
  } finally {
    await store.close();
  }
}

describe("a source-health incident in the store", () => {
  test("stays open for the whole silence and auto-resolves within 5 minutes after lines flow again", async () => {
    const flowAt = T0 + 45 * MIN;
    const r = await simulate({ flowAt, until: T0 + 60 * MIN });
    expect(r.statusAt(T0 + 9 * MIN)).toBeUndefined();
    expect(r.statusAt(T0 + 10 * MIN)).toBe("open");
    // 35 minutes of silence: far past resolve_after (5m), still open thanks to the repeats.
    for (let t = T0 + 10 * MIN; t < flowAt; t += MIN) expect(r.statusAt(t), `status at +${(t - T0) / MIN} min`).toBe("open");
    expect(r.resolvedAt).toBeGreaterThan(flowAt);
    expect(r.resolvedAt).toBeLessThanOrEqual(flowAt + 5 * MIN + 5000);
    expect(r.final).toMatchObject({ status: "resolved", resolved: { by: "firewatch", auto: true } });
    expect(r.final?.incident.findings.map((f) => f.rule)).toEqual(["firewatch_source_quiet"]);
  }, 60_000);

  test("without the repeats it would resolve while the source is still silent (why they exist)", async () => {
    const r = await simulate({ remindMs: Number.POSITIVE_INFINITY, flowAt: T0 + 45 * MIN, until: T0 + 30 * MIN });
    expect(r.resolvedAt).toBeLessThan(T0 + 45 * MIN);
    expect(r.statusAt(T0 + 20 * MIN)).toBe("resolved");
  }, 60_000);
});
