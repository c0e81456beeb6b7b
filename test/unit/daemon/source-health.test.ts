// Source health with an injected clock: quiet, down, recovery, repeats, no record storms, and tick's cost per source.
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import {
  DEFAULT_REMIND_MS,
  createSourceHealth,
  sourceHealthState,
  type LinkState,
  type SourceHealth,
} from "../../../src/daemon/source-health.js";
import type { LogRecord } from "../../../src/parsers/record.js";
import type { Clock } from "../../../src/time.js";

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 23, 16, 0, 0);

function fakeClock(): Clock & { t: number } {
  const c = { t: T0, now: () => c.t, sleep: () => Promise.resolve() };
  return c;
}

function make(quiet: Record<string, number | undefined> = { "journald:web1": 10 * MIN }): { h: SourceHealth; clock: Clock & { t: number } } {
  const clock = fakeClock();
  return { h: createSourceHealth({ quietMs: (s) => quiet[s], clock }), clock };
}

/** Ticks once a second from the clock's time to `until` (inclusive), collecting every record. */
function tickUntil(h: SourceHealth, clock: { t: number }, until: number): LogRecord[] {
  const out: LogRecord[] = [];
  for (; clock.t <= until; clock.t += 1000) out.push(...h.tick(clock.t));
  clock.t -= 1000;
  return out;
}

const states = (rs: readonly LogRecord[]) => rs.map((r) => r.fields.state);

describe("createSourceHealth: quiet sources", () => {
  test("a source silent past its quiet time makes one quiet record, not before", () => {
    const { h, clock } = make();
    h.state("journald:web1", "web1", "connected", "", T0);
    h.seen("journald:web1", "web1", T0);
    expect(tickUntil(h, clock, T0 + 10 * MIN - 1000)).toEqual([]);
    clock.t = T0 + 10 * MIN;
    const [r, ...rest] = h.tick(clock.t);
    expect(rest).toEqual([]);
    expect(r).toMatchObject({
      text: "firewatch source journald:web1 is quiet: no lines for 10 min (quiet after 10 min)",
      message: "firewatch source journald:web1 is quiet: no lines for 10 min (quiet after 10 min)",
      time: T0 + 10 * MIN,
      host: "web1",
      service: "firewatch",
      level: "warn",
      fields: { source: "journald:web1", state: "quiet", reason: "no lines for 10 min (quiet after 10 min)" },
    });
    expect(h.snapshot()["journald:web1"]).toMatchObject({ state: "quiet", since: T0 + 10 * MIN, lastLineAt: T0, link: "connected" });
  });

  test("a forgotten source (its lease went to another watcher) is never reported quiet here", () => {
    const { h, clock } = make();
    h.state("journald:web1", "web1", "connected", "", T0);
    h.seen("journald:web1", "web1", T0);
    h.forget("journald:web1");
    expect(tickUntil(h, clock, T0 + 30 * MIN)).toEqual([]);
    expect(h.snapshot()["journald:web1"]).toBeUndefined();
  });

  test("each line pushes the quiet time back", () => {
    const { h, clock } = make();
    h.seen("journald:web1", "web1", T0);
    h.seen("journald:web1", "web1", T0 + 9 * MIN);
    expect(tickUntil(h, clock, T0 + 19 * MIN - 1000)).toEqual([]);
    clock.t += 1000;
    expect(states(h.tick(clock.t))).toEqual(["quiet"]);
  });

  test("lines flowing again make one flowing record, and then nothing", () => {
    const { h, clock } = make();
    h.seen("journald:web1", "web1", T0);
    const quiet = tickUntil(h, clock, T0 + 12 * MIN);
    expect(states(quiet)).toEqual(["quiet"]);
    h.seen("journald:web1", "web1", clock.t + 500);
    h.seen("journald:web1", "web1", clock.t + 600);
    clock.t += 1000;
    const back = h.tick(clock.t);
    expect(back).toHaveLength(1);
    expect(back[0]).toMatchObject({
      text: "firewatch source journald:web1 is flowing again after 2 min quiet",
      level: "info",
      fields: { source: "journald:web1", state: "flowing" },
    });
    h.seen("journald:web1", "web1", clock.t);
    expect(tickUntil(h, clock, clock.t + 5 * MIN)).toEqual([]);
    expect(h.snapshot()["journald:web1"]?.state).toBe("up");
  });

  test("a source never heard from is quiet its quiet time after it was first reported", () => {
    const { h, clock } = make();
    h.state("journald:web1", "web1", "connected", "", T0);
    expect(states(tickUntil(h, clock, T0 + 10 * MIN))).toEqual(["quiet"]);
    expect(h.snapshot()["journald:web1"]?.lastLineAt).toBeUndefined();
  });

  test("no quiet time (a log file) or 0 means never quiet", () => {
    const { h, clock } = make({ "file:local": undefined, "journald:off": 0 });
    h.state("file:local", "local", "connected", "", T0);
    h.state("journald:off", "local", "connected", "", T0);
    expect(tickUntil(h, clock, T0 + 60 * MIN)).toEqual([]);
  });

  test("while quiet the record repeats every remind interval with the new silence, never more often", () => {
    const { h, clock } = make();
    h.seen("journald:web1", "web1", T0);
    const rs = tickUntil(h, clock, T0 + 10 * MIN + 60 * MIN);
    // One transition at 10 min, then one repeat per 4 min over the following hour.
    expect(rs).toHaveLength(1 + Math.floor((60 * MIN) / DEFAULT_REMIND_MS));
    expect(new Set(states(rs))).toEqual(new Set(["quiet"]));
    expect(rs[1]?.text).toBe("firewatch source journald:web1 is quiet: no lines for 14 min (quiet after 10 min)");
    const gaps = rs.slice(1).map((r, i) => (r.time ?? 0) - (rs[i]?.time ?? 0));
    expect(gaps.every((g) => g === DEFAULT_REMIND_MS)).toBe(true);
  });
});

describe("createSourceHealth: links", () => {
  test("failed is down at the next tick; connected again clears it and restarts the quiet time", () => {
    const { h, clock } = make();
    h.state("journald:web1", "web1", "connected", "", T0);
    h.seen("journald:web1", "web1", T0);
    h.state("journald:web1", "web1", "failed", "ssh: connect ECONNREFUSED\n  at Socket.emit", T0 + 500);
    clock.t = T0 + 1000;
    const [down] = h.tick(clock.t);
    expect(down).toMatchObject({
      text: "firewatch source journald:web1 is down: link failed: ssh: connect ECONNREFUSED at Socket.emit",
      level: "error",
      fields: { source: "journald:web1", state: "down", reason: "link failed: ssh: connect ECONNREFUSED at Socket.emit" },
    });
    // Down for an hour: longer than the quiet time, yet the source is not reported quiet on top.
    const during = tickUntil(h, clock, T0 + 60 * MIN);
    expect(new Set(states(during))).toEqual(new Set(["down"]));
    h.state("journald:web1", "web1", "connected", "", clock.t + 1);
    clock.t += 1000;
    expect(h.tick(clock.t).map((r) => r.text)).toEqual(["firewatch source journald:web1 is connected again after 1 h down"]);
    const reconnectedAt = clock.t;
    expect(tickUntil(h, clock, reconnectedAt + 10 * MIN - 1000)).toEqual([]);
    clock.t += 1000;
    expect(states(h.tick(clock.t))).toEqual(["quiet"]);
  });

  test("retrying and ended make no record by themselves: the daemon restarts the source, and says failed past its retries", () => {
    const { h, clock } = make();
    h.seen("journald:web1", "web1", T0);
    h.state("journald:web1", "web1", "retrying", "ECONNRESET", T0);
    h.state("journald:web1", "web1", "ended", "journalctl exited (journal rotated)", T0 + 30_000);
    expect(tickUntil(h, clock, T0 + 9 * MIN)).toEqual([]);
    expect(h.snapshot()["journald:web1"]).toMatchObject({ state: "up", link: "ended", linkSince: T0 + 30_000 });
    h.state("journald:web1", "web1", "failed", "ssh: handshake timed out", clock.t);
    clock.t += 1000;
    expect(h.tick(clock.t).map((r) => r.text)).toEqual(["firewatch source journald:web1 is down: link failed: ssh: handshake timed out"]);
  });

  test("a follower restarted after its journal ended but receiving nothing is caught by the quiet time", () => {
    const { h, clock } = make();
    h.seen("journald:web1", "web1", T0);
    h.state("journald:web1", "web1", "ended", "journalctl exited", T0 + 1000);
    const rs = tickUntil(h, clock, T0 + 10 * MIN);
    expect(rs.map((r) => r.text)).toEqual(["firewatch source journald:web1 is quiet: no lines for 10 min (quiet after 10 min)"]);
  });

  test("a quiet source whose link then fails is escalated to down once", () => {
    const { h, clock } = make();
    h.seen("journald:web1", "web1", T0);
    expect(states(tickUntil(h, clock, T0 + 10 * MIN))).toEqual(["quiet"]);
    h.state("journald:web1", "web1", "failed", "host unreachable", clock.t);
    expect(states(tickUntil(h, clock, clock.t + 2 * MIN))).toEqual(["down"]);
  });

  test("lines arriving clear a down source even before the daemon says connected", () => {
    const { h } = make();
    h.state("journald:web1", "web1", "failed", "gave up", T0);
    expect(states(h.tick(T0 + 1000))).toEqual(["down"]);
    h.seen("journald:web1", "web1", T0 + 1500);
    expect(h.tick(T0 + 2000).map((r) => r.text)).toEqual(["firewatch source journald:web1 is flowing again after 1 s down"]);
  });

  test("long multi-line error text becomes one line of at most 300 characters", () => {
    const { h } = make();
    h.state("journald:web1", "web1", "failed", `Error: boom\n${"    at frame (file.js:1:1)\n".repeat(50)}`, T0);
    const [down] = h.tick(T0 + 1000);
    expect(down?.text).not.toContain("\n");
    expect(down?.fields.reason?.length).toBeLessThanOrEqual("link failed: ".length + 300);
    expect(down?.fields.reason).toMatch(/^link failed: Error: boom at frame \(file\.js:1:1\) at frame/);
  });

  test("each source is judged on its own, with its own host", () => {
    const { h, clock } = make({ a: 5 * MIN, b: 10 * MIN });
    h.seen("a", "web1", T0);
    h.seen("b", "web2", T0);
    const rs = tickUntil(h, clock, T0 + 10 * MIN);
    expect(rs.map((r) => [r.fields.source, r.host, r.fields.state, r.time])).toEqual([
      ["a", "web1", "quiet", T0 + 5 * MIN],
      ["a", "web1", "quiet", T0 + 5 * MIN + DEFAULT_REMIND_MS],
      ["b", "web2", "quiet", T0 + 10 * MIN],
    ]);
  });
});

describe("createSourceHealth: bounded work", () => {
  test("tick is one pass over the sources: the quiet time is looked up once per source, and 20,000 sources tick fast", () => {
    let lookups = 0;
    const h = createSourceHealth({ quietMs: () => (lookups++, 10 * MIN), clock: fakeClock() });
    for (let i = 0; i < 20_000; i++) h.seen(`s${i}`, "web1", T0);
    for (let i = 0; i < 20_000; i++) h.seen(`s${i}`, "web1", T0 + 1);
    const t = performance.now();
    for (let s = 1; s <= 20; s++) expect(h.tick(T0 + s * 1000)).toEqual([]);
    // O(sources) is ~1 ms per tick here; anything quadratic in sources would take minutes.
    expect(performance.now() - t).toBeLessThan(2_000);
    expect(lookups).toBe(20_000);
    expect(Object.keys(h.snapshot())).toHaveLength(20_000);
  });

  test("property: whatever the events, one record per source per tick at most, recoveries only after trouble, repeats spaced", () => {
    const event = fc.oneof(
      fc.record({ kind: fc.constant("seen" as const), source: fc.constantFrom("a", "b"), dt: fc.integer({ min: 0, max: 3 * MIN }) }),
      fc.record({
        kind: fc.constant("state" as const),
        source: fc.constantFrom("a", "b"),
        state: fc.constantFrom<LinkState>("connected", "retrying", "failed", "ended"),
        dt: fc.integer({ min: 0, max: 3 * MIN }),
      }),
      fc.record({ kind: fc.constant("wait" as const), dt: fc.integer({ min: 1000, max: 20 * MIN }) }),
    );
    fc.assert(
      fc.property(fc.array(event, { maxLength: 60 }), (events) => {
        const clock = fakeClock();
        const h = createSourceHealth({ quietMs: (s) => (s === "a" ? 5 * MIN : undefined), clock });
        const bySource = new Map<string, LogRecord[]>();
        let now = T0;
        const tickTo = (until: number) => {
          // The daemon ticks every second; stepping by 1 s keeps that cadence without 10^5 iterations per case.
          for (; now < until; now += 1000) {
            const rs = h.tick(now);
            const names = rs.map((r) => r.fields.source);
            expect(new Set(names).size).toBe(names.length);
            for (const r of rs) bySource.set(r.fields.source ?? "", [...(bySource.get(r.fields.source ?? "") ?? []), r]);
          }
        };
        for (const e of events) {
          tickTo(now + e.dt);
          if (e.kind === "seen") h.seen(e.source, "h", now);
          else if (e.kind === "state") h.state(e.source, "h", e.state, "detail", now);
        }
        tickTo(now + 1000);
        for (const rs of bySource.values()) {
          let bad: string | undefined;
          let last: number | undefined;
          for (const r of rs) {
            const s = r.fields.state;
            if (s === "flowing" || s === "connected") {
              expect(bad).toBeDefined();
              bad = undefined;
            } else if (s === bad) {
              // A repeat of the same trouble: never sooner than the remind interval.
              expect((r.time ?? 0) - (last ?? 0)).toBeGreaterThanOrEqual(DEFAULT_REMIND_MS);
            } else {
              // Getting worse (quiet → down) is allowed; getting "better" from down to quiet is not.
              expect(bad === "down" && s === "quiet").toBe(false);
              bad = s;
            }
            last = r.time;
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe("sourceHealthState", () => {
  test("passes with quiet sources listed, fails naming the down ones", () => {
    const { h } = make({ "journald:web1": 10 * MIN, "docker:web2": 10 * MIN });
    h.seen("journald:web1", "web1", T0);
    h.seen("docker:web2", "web2", T0);
    h.tick(T0 + 10 * MIN);
    const quiet = sourceHealthState(h.snapshot(), T0 + 10 * MIN);
    expect(quiet.ok).toBe(true);
    expect(quiet.detail).toMatchObject({ sources: { "journald:web1": { state: "quiet", lastLineAgoSeconds: 600, sinceSeconds: 0 } } });
    h.state("docker:web2", "web2", "failed", "Cannot connect to the Docker daemon", T0 + 11 * MIN);
    h.tick(T0 + 11 * MIN + 1000);
    const down = sourceHealthState(h.snapshot(), T0 + 11 * MIN + 1000);
    expect(down.ok).toBe(false);
    expect(down.detail).toMatchObject({
      failing: ["source docker:web2"],
      sources: { "docker:web2": { state: "down", link: "failed", reason: "link failed: Cannot connect to the Docker daemon" } },
    });
  });
});

describe("createSourceHealth: losses", () => {
  test("a loss makes one error record at the next tick (more losses in the same second are summed up), and nothing after", () => {
    const { h, clock } = make({ app: undefined });
    h.seen("app", "local", clock.t);
    h.lost("app", "local", "1200 bytes of /var/log/app.log (app.log.1, inode 7) were deleted before they were read", clock.t);
    h.lost("app", "local", "34 bytes of /var/log/app.log (app.log, inode 9) were truncated away before they were read", clock.t);
    const out = tickUntil(h, clock, clock.t + 5000);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ level: "error", fields: { source: "app", state: "lost" } });
    expect(out[0]?.message).toBe("firewatch source app lost data: 1200 bytes of /var/log/app.log (app.log.1, inode 7) were deleted before they were read (and 1 more loss)");
    // A loss is a fact, not a condition: the source stays up.
    expect(h.snapshot().app?.state).toBe("up");
  });
});
