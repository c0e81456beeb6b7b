import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDaemonMetrics } from "../../../src/daemon/metrics.js";
import { createPipeline, type IncidentChange, type PipelineDeps } from "../../../src/daemon/pipeline.js";
import type { SourceItem } from "../../../src/daemon/source-runner.js";
import type { LogRecord } from "../../../src/parsers/index.js";
import { compileRules, createMatcher, RuleSchema, type Rule } from "../../../src/rules/index.js";
import { FileStore, StoreError, type Store } from "../../../src/store/index.js";
import type { Clock } from "../../../src/time.js";

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "fw-pipeline-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const T0 = Date.UTC(2026, 10, 23, 12, 0, 0);
/** Time stands still unless a test moves it; sleeps end only when aborted (so only record counts trigger commits). */
function stillClock(): Clock & { t: number } {
  return {
    t: T0,
    now() {
      return this.t;
    },
    sleep: (_ms, signal) => new Promise((_r, reject) => signal?.addEventListener("abort", () => reject(signal.reason), { once: true })),
  };
}

const rules: Rule[] = [RuleSchema.parse({ id: "seq_line", title: "Numbered line", kind: "single", severity: "high", match: "seq=(?<n>\\d+)" })];
const match = createMatcher(compileRules(rules));
const log = pino({ level: "silent" });

function record(n: number): LogRecord {
  const text = `seq=${n}`;
  return { text, message: text, time: T0 + n * 10, host: "h1", service: "writer", pid: undefined, level: undefined, fields: {}, format: "plain", ref: { file: "w.log", line: n, endLine: n }, truncatedBytes: 0 };
}

/** Numbered lines after `cursor` up to `n`, each carrying its number as its cursor, handed over `batch` at a time. */
async function* lines(cursor: string | undefined, n: number, batch = 1): AsyncGenerator<SourceItem[]> {
  let out: SourceItem[] = [];
  for (let i = cursor === undefined ? 1 : Number(cursor) + 1; i <= n; i++) {
    out.push({ source: "w", host: "local", record: record(i), part: "", cursor: String(i) });
    if (out.length >= batch) {
      yield out;
      out = [];
    }
  }
  if (out.length > 0) yield out;
}

function deps(store: Pick<Store, "commit" | "autoResolve">, clock: Clock, run: string, resumedFrom: string | undefined, changes: IncidentChange[] = []): PipelineDeps {
  return {
    store, rules, match, clock, log, run,
    metrics: createDaemonMetrics(),
    resolveAfter: () => undefined,
    resumedFrom: new Map([["w", resumedFrom]]),
    onChanges: async (c) => {
      changes.push(...c);
    },
  };
}

/** A store that stops answering at its `crashAt`-th commit (0-based), like a process killed before the commit landed. */
function crashingStore(store: Store, crashAt: number): { store: Store; crashed: Promise<void> } {
  let calls = 0;
  let crashed!: () => void;
  const p = new Promise<void>((r) => (crashed = r));
  const wrapped = Object.create(store) as Store;
  wrapped.commit = (batch) => {
    if (calls++ === crashAt) {
      crashed();
      return new Promise(() => undefined);
    }
    return store.commit(batch);
  };
  return { store: wrapped, crashed: p };
}

describe("the pipeline", () => {
  // Seconds on a quiet machine; every commit is an fsync, and under a load of 13 it took over 30 s.
  it("counts every line exactly once however often the process dies between commits (property, real file store)", { timeout: 180_000 }, async () => {
    let caseNo = 0;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 120 }), fc.integer({ min: 1, max: 15 }), fc.array(fc.nat(10), { maxLength: 3 }), fc.integer({ min: 1, max: 9 }), async (total, every, crashes, batch) => {
        const store = await FileStore.open(join(root, `exact-${caseNo++}`), { clock: stillClock() });
        try {
          for (const [k, crashAt] of crashes.entries()) {
            const from = await store.getCursor("w");
            const c = crashingStore(store, crashAt);
            const p = createPipeline(deps(c.store, stillClock(), `crash-${k}`, from), { commitEveryRecords: every });
            const done = p.run(lines(from, total, batch)).then(() => "finished" as const);
            // Either it reached the commit that never lands (then it is abandoned, as after kill -9) or it finished.
            if ((await Promise.race([c.crashed.then(() => "crashed" as const), done])) === "finished") break;
          }
          const from = await store.getCursor("w");
          await createPipeline(deps(store, stillClock(), "last", from), { commitEveryRecords: every }).run(lines(from, total, batch));
          const [inc] = await store.list();
          expect(inc?.incident.findings.map((f) => f.count)).toEqual([total]);
          expect(await store.getCursor("w")).toBe(String(total));
        } finally {
          await store.close();
        }
      }),
      { numRuns: 40 },
    );
  });

  it("places a live line that carries no time when it was read, so a threshold fires on a file without stamps", async () => {
    const threshold: Rule[] = [RuleSchema.parse({ id: "bind_fail", title: "Bind failure", kind: "threshold", severity: "high", match: "address already in use", threshold: { count: 3, within: "5m" } })];
    const store = await FileStore.open(join(root, "untimed"), { clock: stillClock() });
    const changes: IncidentChange[] = [];
    const untimed = (n: number): SourceItem => {
      const text = `nc: bind: address already in use (${n})`;
      return { source: "w", host: "local", part: "", cursor: String(n), record: { text, message: text, time: undefined, host: undefined, service: "api", pid: undefined, level: undefined, fields: {}, format: "plain", ref: { file: "w.log", line: n, endLine: n }, truncatedBytes: 0 } };
    };
    async function* items(): AsyncGenerator<SourceItem[]> {
      yield [untimed(1), untimed(2), untimed(3)];
    }
    const d = { ...deps(store, stillClock(), "r1", undefined, changes), rules: threshold, match: createMatcher(compileRules(threshold)) };
    await createPipeline(d).run(items());
    const [inc] = await store.list();
    expect(inc?.incident.findings.map((f) => [f.state, f.count, f.firstSeen])).toEqual([["firing", 3, T0]]);
    await store.close();
  });

  it("counts the lines a file lane skimmed as read, commits their position and builds nothing of them", async () => {
    const store = await FileStore.open(join(root, "skimmed"), { clock: stillClock() });
    const metrics = createDaemonMetrics();
    const d = { ...deps(store, stillClock(), "r1", undefined), metrics };
    async function* items(): AsyncGenerator<SourceItem[]> {
      // 1,000 lines no rule can match around two that match: a position item carries the skipped ones' count.
      yield [{ source: "w", host: "local", record: undefined, part: "", cursor: "400", skipped: 400 }];
      yield [...[401, 402].map((n) => ({ source: "w", host: "local", record: record(n), part: "", cursor: String(n) })), { source: "w", host: "local", record: undefined, part: "", cursor: "1002", skipped: 600 }];
    }
    const p = createPipeline(d);
    await p.run(items());
    expect(p.stats.records).toBe(1002);
    expect(p.stats.signals).toBe(2);
    expect(await store.getCursor("w")).toBe("1002");
    expect(await metrics.registry.getSingleMetricAsString("firewatch_lines_read_total")).toContain('source="w"} 1002');
    await store.close();
  });

  it("commits by count only for records: skimmed lines wait for the timed commit", async () => {
    const store = await FileStore.open(join(root, "skimmed-commits"), { clock: stillClock() });
    async function* items(): AsyncGenerator<SourceItem[]> {
      for (let k = 1; k <= 20; k++) yield [{ source: "w", host: "local", record: undefined, part: "", cursor: String(k * 5000), skipped: 5000 }];
      yield [record(100_001), record(100_002)].map((r, i) => ({ source: "w", host: "local", record: r, part: "", cursor: String(100_001 + i) }));
    }
    // Time stands still: only the record count could start a commit before the final one.
    const p = createPipeline(deps(store, stillClock(), "r1", undefined), { commitEveryRecords: 2 });
    await p.run(items());
    expect(p.stats.records).toBe(100_002);
    // One commit when the two records came, one at the end (with nothing new it stores nothing).
    expect(p.stats.commits).toBe(1);
    expect(await store.getCursor("w")).toBe("100002");
    await store.close();
  });

  it("shows a store that stops answering during the auto-resolve pass as a store call in flight", async () => {
    const clock = stillClock();
    let hang!: () => void;
    const hanging: Pick<Store, "commit" | "autoResolve"> = {
      commit: () => Promise.resolve([]),
      autoResolve: () => new Promise((resolve) => { hang = () => resolve([]); }),
    };
    async function* never(): AsyncGenerator<SourceItem[]> {
      await new Promise(() => undefined);
      yield [];
    }
    // tickMs 0: the first pass of the loop is a tick, which calls autoResolve and waits there.
    const p = createPipeline(deps(hanging, clock, "r1", undefined), { tickMs: 0 });
    void p.run(never());
    await expect.poll(() => p.stats.commitStartedAt).toBe(T0);
    hang();
    await expect.poll(() => p.stats.commitStartedAt).toBeUndefined();
  });

  it("sends only incidents that changed, and hands each change to the outputs once", async () => {
    const store = await FileStore.open(join(root, "changes"), { clock: stillClock() });
    const changes: IncidentChange[] = [];
    const commits: number[] = [];
    const counting = Object.create(store) as Store;
    counting.commit = (b) => {
      commits.push(b.snapshots.length);
      return store.commit(b);
    };
    await createPipeline(deps(counting, stillClock(), "r1", undefined, changes), { commitEveryRecords: 2 }).run(lines(undefined, 4));
    expect(changes.map((c) => c.outcome)).toEqual(["created", "updated"]);
    // 2 records → commit, 2 more → commit, end → nothing left to send.
    expect(commits).toEqual([1, 1]);
    await store.close();
  });

  it("keeps the work of a commit the store refused (unreachable) for the next one", async () => {
    const store = await FileStore.open(join(root, "unavailable"), { clock: stillClock() });
    let refuse = 1;
    const flaky = Object.create(store) as Store;
    flaky.commit = (b) => (refuse-- > 0 ? Promise.reject(new StoreError("unavailable", "redis down")) : store.commit(b));
    const p = createPipeline(deps(flaky, stillClock(), "r1", undefined), { commitEveryRecords: 3 });
    await p.run(lines(undefined, 5));
    expect(p.stats.failedCommits).toBe(1);
    expect(await store.getCursor("w")).toBe("5");
    expect((await store.list())[0]?.incident.findings[0]?.count).toBe(5);
    await store.close();
  });

  it("feeds source-health records to the rules each tick, and tells health which sources delivered", async () => {
    const store = await FileStore.open(join(root, "health"), { clock: stillClock() });
    const seen: string[] = [];
    const health = {
      seen: (source: string) => void seen.push(source),
      // Source health speaks of the source's configured host, as the source's own records now do.
      tick: () => [{ ...record(999), host: "local" }],
    };
    const p = createPipeline({ ...deps(store, stillClock(), "r1", undefined), health }, { commitEveryRecords: 100 });
    await p.run(lines(undefined, 2));
    expect(seen).toEqual(["w"]);
    // The two lines and the health record (seq=999) all went through the rule.
    expect((await store.list())[0]?.incident.findings[0]?.count).toBe(3);
    await store.close();
  });

  it("after a restart, lines of a lesser finding file into the live incident it belongs to, not a new one", async () => {
    const two: Rule[] = [
      RuleSchema.parse({ id: "big", title: "Big", kind: "single", severity: "critical", match: "big=(?<n>\\d+)" }),
      RuleSchema.parse({ id: "small", title: "Small", kind: "single", severity: "low", match: "small=(?<n>\\d+)" }),
    ];
    const m = createMatcher(compileRules(two));
    const line = (text: string, n: number): SourceItem => ({ source: "w", host: "local", record: { ...record(n), text, message: text }, part: "", cursor: String(n) });
    async function* items(list: SourceItem[]) {
      yield list;
    }
    const store = await FileStore.open(join(root, "adopt"), { clock: stillClock() });
    const base = (run: string, live: Awaited<ReturnType<Store["list"]>>) => ({ ...deps(store, stillClock(), run, undefined), rules: two, match: m, live });
    await createPipeline(base("r1", [])).run(items([line("big=1", 1), line("small=1", 2), line("small=2", 3)]));
    const [first] = await store.list();
    // The restarted process sees only the lesser finding's lines: its own anchor would be "small".
    await createPipeline(base("r2", await store.list())).run(items([line("small=3", 4), line("small=4", 5)]));
    const all = await store.list();
    expect(all.map((i) => i.incident.fingerprint)).toEqual([first?.incident.fingerprint]);
    expect(Object.fromEntries(all[0]?.incident.findings.map((f) => [f.rule, f.count]) ?? [])).toEqual({ big: 1, small: 4 });
    await store.close();
  });
  it("incidents stored apart that a later finding ties together become one: the other resolves as merged into it, with its counts", async () => {
    // Seed 000 in small: a container's loop and a unit's loop, stored as two incidents, until both log the same port.
    const three: Rule[] = [
      RuleSchema.parse({ id: "loop", title: "Loop", kind: "single", severity: "critical", match: "\\bloop=(?<n>\\d+)" }),
      RuleSchema.parse({ id: "unit_loop", title: "Unit loop", kind: "single", severity: "high", match: "unit_loop=(?<n>\\d+)" }),
      RuleSchema.parse({ id: "port", title: "Port held", kind: "single", severity: "high", match: "port=(?<port>\\d+)", same_cause: ["port"] }),
    ];
    const m = createMatcher(compileRules(three));
    const line = (service: string, text: string, n: number): SourceItem => ({ source: "w", host: "local", record: { ...record(n), text, message: text, service }, part: "", cursor: String(n) });
    const store = await FileStore.open(join(root, "merge"), { clock: stillClock() });
    const base = (run: string, live: Awaited<ReturnType<Store["list"]>>, changes: IncidentChange[], mergeApart = true) => ({ ...deps(store, stillClock(), run, undefined, changes), rules: three, match: m, live, mergeApart });
    async function* items(list: SourceItem[]) {
      for (const i of list) yield [i];
    }
    const first: IncidentChange[] = [];
    await createPipeline(base("r1", [], first), { commitEveryRecords: 1 }).run(items([line("api", "loop=1", 1), line("unit", "unit_loop=1", 2), line("unit", "unit_loop=2", 3)]));
    const apart = await store.list();
    expect(apart).toHaveLength(2);
    const api = apart.find((s) => s.incident.service === "api");
    const unit = apart.find((s) => s.incident.service === "unit");
    // Beside other watchers (scale-out) nothing is merged: their incidents are theirs to commit.
    const aside = await FileStore.open(join(root, "merge-aside"), { clock: stillClock() });
    const asideDeps = (run: string, live: Awaited<ReturnType<Store["list"]>>) => ({ ...deps(aside, stillClock(), run, undefined), rules: three, match: m, live, mergeApart: false });
    await createPipeline(asideDeps("a1", []), { commitEveryRecords: 1 }).run(items([line("api", "loop=1", 1), line("unit", "unit_loop=1", 2)]));
    await createPipeline(asideDeps("a2", await aside.list()), { commitEveryRecords: 1 }).run(items([line("api", "port=9003", 3), line("unit", "port=9003", 4)]));
    expect(await aside.list({ status: ["resolved"] })).toEqual([]);
    expect(await aside.listAudit({ action: "incident.merged" })).toEqual([]);
    await aside.close();
    // A restart, then the port ties them: the container's (most severe) incident takes the unit's in.
    const second: IncidentChange[] = [];
    await createPipeline(base("r2", await store.list(), second), { commitEveryRecords: 1 }).run(
      items([line("api", "loop=2", 4), line("unit", "unit_loop=3", 5), line("api", "port=9003", 6), line("unit", "port=9003", 7)]),
    );
    const live = await store.list({ status: ["open", "observed", "acknowledged"] });
    expect(live.map((s) => s.incident.id)).toEqual([api?.incident.id]);
    const counts = Object.fromEntries(live[0]?.incident.findings.map((f) => [`${f.rule}/${f.service}`, f.count]) ?? []);
    expect(counts).toEqual({ "loop/api": 2, "unit_loop/unit": 3, "port/api": 1, "port/unit": 1 });
    expect(await store.get(unit?.incident.id ?? "")).toMatchObject({ status: "resolved", resolved: { mergedInto: api?.incident.id } });
    // The outputs were told: the unit's incident resolved (its post says merged), once.
    expect(second.filter((c) => c.outcome === "resolved").map((c) => c.incident.incident.id)).toEqual([unit?.incident.id]);
    await store.close();
  });
});
