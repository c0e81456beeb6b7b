// Issue 14: probes run for every new member and for changes that matter, rate-limited; a crash loop's state is refreshed.
import { pino } from "pino";
import { describe, expect, test } from "vitest";
import type { Finding } from "../../../src/correlate/index.js";
import type { IncidentChange } from "../../../src/daemon/pipeline.js";
import { createProbeHook } from "../../../src/daemon/probe-hook.js";
import type { ExecResult, Host, HostProcess } from "../../../src/hosts/index.js";
import { RuleSchema } from "../../../src/rules/index.js";
import type { StoredIncident } from "../../../src/store/index.js";
import type { Clock } from "../../../src/time.js";

/** A clock whose sleeps end when the test moves time past them. */
function manualClock(): Clock & { advance(ms: number): Promise<void> } {
  let t = 1_000_000;
  const sleepers: { at: number; wake: () => void }[] = [];
  return {
    now: () => t,
    sleep: (ms, signal) =>
      new Promise<void>((resolve, reject) => {
        const s = { at: t + ms, wake: resolve };
        sleepers.push(s);
        signal?.addEventListener("abort", () => reject(new Error("aborted")), { once: true });
      }),
    async advance(ms) {
      t += ms;
      for (const s of sleepers.filter((x) => x.at <= t)) {
        sleepers.splice(sleepers.indexOf(s), 1);
        s.wake();
      }
      for (let i = 0; i < 20; i++) await Promise.resolve();
    },
  };
}

function finding(groupKey: string, fields: Record<string, string>): Finding {
  return { rule: "docker_restart_loop", severity: "critical", state: "firing", count: 3, firstSeen: 1, lastSeen: 2, host: "local", service: fields.container, groupKey, fields, evidence: [], cadence: undefined, table: undefined, recoveredAt: undefined };
}
function change(outcome: IncidentChange["outcome"], findings: Finding[]): IncidentChange {
  const incident: StoredIncident = {
    v: 1, status: outcome === "resolved" ? "resolved" : "open", createdAt: 0, updatedAt: 0, lastActivityAt: 0, acknowledged: undefined, resolved: undefined, reopenTimes: [], reopenCount: 0,
    flapping: false, silencedBy: undefined, slack: undefined, history: [], carry: {}, probes: [],
    incident: { id: "fw-00000001", fingerprint: "0".repeat(64), title: "t", severity: "critical", status: "open", host: "local", service: "a", firstSeen: 1, lastSeen: 2, findings },
  };
  return { outcome, incident };
}

async function settle() {
  for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r));
}

describe("the probe hook", () => {
  test("probes a new incident, a new member (after the interval), a crash loop again after the refresh time, and stops at resolve", async () => {
    const clock = manualClock();
    const asked: string[] = [];
    const host: Host = {
      name: "local",
      exec: async (argv): Promise<ExecResult> => {
        asked.push(argv.join(" "));
        return { code: 0, signal: null, stdout: "", stderr: "", truncated: false, timedOut: false };
      },
      spawn: (): Promise<HostProcess> => Promise.reject(new Error("not used")),
      close: () => Promise.resolve(),
    };
    const runs: number[] = [];
    const rules = new Map([["docker_restart_loop", RuleSchema.parse({ id: "docker_restart_loop", kind: "single", match: "x", probes: ["container_state"] })]]);
    const hook = createProbeHook({ rules, host: () => host, clock, log: pino({ level: "silent" }), minIntervalMs: 10_000, refreshMs: 60_000, save: async (s) => void runs.push(s.incident.findings.length) });
    const a = finding("loop{a}", { container: "a" });
    const b = finding("loop{b}", { container: "b" });

    hook.offer([change("created", [a])]);
    await settle();
    expect(runs).toEqual([1]);
    // The same members, a moment later: nothing new to ask.
    await clock.advance(1000);
    hook.offer([change("updated", [a])]);
    await settle();
    expect(runs).toEqual([1]);
    // A new member inside the interval: asked when the interval is over, once, with the newest snapshot.
    hook.offer([change("updated", [a, b])]);
    hook.offer([change("updated", [a, b])]);
    await settle();
    expect(runs).toEqual([1]);
    await clock.advance(9000);
    await settle();
    expect(runs).toEqual([1, 2]);
    // A crash loop that keeps changing: its state is asked again once the last answer is a minute old.
    await clock.advance(30_000);
    hook.offer([change("updated", [a, b])]);
    await settle();
    expect(runs).toEqual([1, 2]);
    await clock.advance(30_000);
    hook.offer([change("updated", [a, b])]);
    await settle();
    expect(runs).toEqual([1, 2, 2]);
    // A change waiting for the interval, then resolved: the waiting run is dropped.
    const c = finding("loop{c}", { container: "c" });
    hook.offer([change("updated", [a, b, c])]);
    hook.offer([change("resolved", [a, b, c])]);
    await clock.advance(120_000);
    await settle();
    expect(runs).toEqual([1, 2, 2]);
    expect(asked.some((c) => c.includes("inspect"))).toBe(true);
    hook.close();
  });

  test("a crash loop that stops changing right after its probe is asked once more after the refresh time, then left alone", async () => {
    const clock = manualClock();
    const host: Host = {
      name: "local",
      exec: async (): Promise<ExecResult> => ({ code: 0, signal: null, stdout: "", stderr: "", truncated: false, timedOut: false }),
      spawn: (): Promise<HostProcess> => Promise.reject(new Error("not used")),
      close: () => Promise.resolve(),
    };
    const runs: number[] = [];
    const rules = new Map([["docker_restart_loop", RuleSchema.parse({ id: "docker_restart_loop", kind: "single", match: "x", probes: ["container_state"] })]]);
    const hook = createProbeHook({ rules, host: () => host, clock, log: pino({ level: "silent" }), minIntervalMs: 10_000, refreshMs: 60_000, save: async (s) => void runs.push(s.incident.findings[0]?.count ?? 0) });
    hook.offer([change("created", [finding("loop{a}", { container: "a" })])]);
    await settle();
    expect(runs).toEqual([3]);
    // It dies again a second later (its count grows), then gives up: no change follows.
    await clock.advance(1000);
    hook.offer([change("updated", [{ ...finding("loop{a}", { container: "a" }), count: 4 }])]);
    await clock.advance(58_000);
    await settle();
    expect(runs).toEqual([3]);
    // A minute after the first answer, the newest snapshot is asked about: the probe sees the container as it is now.
    await clock.advance(1000);
    await settle();
    expect(runs).toEqual([3, 4]);
    await clock.advance(600_000);
    await settle();
    expect(runs).toEqual([3, 4]);
    hook.close();
  });

  // Issue 18: a catch-up of a 1M-line log forked `ss` 272 times for ~190 incidents made of lines years old.
  describe("during a catch-up", () => {
    const DAY = 24 * 3600_000;
    function at(fp: string, lastSeen: number, outcome: IncidentChange["outcome"] = "created", count = 3): IncidentChange {
      const c = change(outcome, [{ ...finding(`loop{${fp}}`, { container: fp }), count, lastSeen }]);
      return { ...c, incident: { ...c.incident, incident: { ...c.incident.incident, fingerprint: fp.padEnd(64, "0"), lastSeen } } };
    }
    function world(catchingUp: () => boolean) {
      const clock = manualClock();
      void clock.advance(3 * DAY);
      const host: Host = {
        name: "local",
        exec: async (): Promise<ExecResult> => ({ code: 0, signal: null, stdout: "", stderr: "", truncated: false, timedOut: false }),
        spawn: (): Promise<HostProcess> => Promise.reject(new Error("not used")),
        close: () => Promise.resolve(),
      };
      const runs: string[] = [];
      const rules = new Map([["docker_restart_loop", RuleSchema.parse({ id: "docker_restart_loop", kind: "single", match: "x", probes: ["container_state"] })]]);
      const hook = createProbeHook({ rules, host: () => host, clock, log: pino({ level: "silent" }), catchingUp, save: async (s) => void runs.push(`${s.incident.fingerprint.slice(0, 1)}:${s.incident.findings[0]?.count ?? 0}`) });
      return { clock, hook, runs };
    }

    test("an incident whose newest line is more than a day old is not probed; one from this morning is", async () => {
      const { clock, hook, runs } = world(() => false);
      hook.offer([at("a", clock.now() - 2 * DAY), at("b", clock.now() - 3600_000)]);
      await settle();
      expect(runs).toEqual(["b:3"]);
      // A line of today joins the old incident: now it is a live failure, and it is asked about.
      hook.offer([at("a", clock.now(), "updated", 4)]);
      await settle();
      expect(runs).toEqual(["b:3", "a:4"]);
      hook.close();
    });

    test("while a source reads a backlog nothing is probed; once caught up, each live incident is, once, with its newest snapshot", async () => {
      let behind = true;
      const { clock, hook, runs } = world(() => behind);
      hook.offer([at("a", clock.now()), at("b", clock.now()), at("c", clock.now())]);
      hook.offer([at("a", clock.now(), "updated", 7), at("c", clock.now(), "resolved")]);
      await clock.advance(120_000);
      await settle();
      expect(runs).toEqual([]);
      behind = false;
      hook.caughtUp();
      await settle();
      expect(runs.sort()).toEqual(["a:7", "b:3"]);
      // A live failure after the catch-up is asked about at once.
      hook.offer([at("d", clock.now())]);
      await settle();
      expect(runs.sort()).toEqual(["a:7", "b:3", "d:3"]);
      // Nothing waited this time: a second caughtUp() asks nothing again.
      hook.caughtUp();
      await settle();
      expect(runs).toHaveLength(3);
      hook.close();
    });

    test("an incident that waited for the backlog's end and went stale meanwhile is not probed", async () => {
      let behind = true;
      const { clock, hook, runs } = world(() => behind);
      hook.offer([at("a", clock.now() - DAY + 60_000), at("b", clock.now())]);
      await clock.advance(120_000);
      behind = false;
      hook.caughtUp();
      await settle();
      expect(runs).toEqual(["b:3"]);
      hook.close();
    });
  });
});
