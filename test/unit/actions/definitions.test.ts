import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { ACTIONS, ContainerRef, Pid, QueueName, UnitName, type Check } from "../../../src/actions/index.js";
import { fakeProbes, seed000World, testClock } from "./support.js";

const before: Check = { ok: true, observed: "" };

describe("action definitions", () => {
  test("each action builds an argv array from its validated params, never a shell string", () => {
    expect(ACTIONS.kill_port_owner.command({ pid: "1573680", port: "9003", unit: "x.service" }, "h")).toEqual({ kind: "argv", host: "h", argv: ["kill", "-TERM", "1573680"] });
    expect(ACTIONS.restart_unit.command(ACTIONS.restart_unit.params.parse({ unit: "x.service" }), "h")).toEqual({ kind: "argv", host: "h", argv: ["systemctl", "restart", "x.service"] });
    expect(ACTIONS.restart_unit.command(ACTIONS.restart_unit.params.parse({ unit: "x.service", scope: "user" }), "h")).toMatchObject({ argv: ["systemctl", "--user", "restart", "x.service"] });
    expect(ACTIONS.restart_container.command({ container: "palantir-api" }, "h")).toMatchObject({ argv: ["docker", "restart", "palantir-api"] });
    expect(ACTIONS.clean_failed_jobs.command({ queue: "transcription" }, "h")).toEqual({ kind: "clean_failed_jobs", host: "h", queue: "transcription" });
  });

  test("destructive: kill, unit and container restarts; cleaning failed jobs is not", () => {
    expect(Object.values(ACTIONS).filter((a) => a.destructive).map((a) => a.id)).toEqual(["kill_port_owner", "restart_unit", "restart_container"]);
  });

  test("validators accept what the seeds contain", () => {
    expect(Pid.safeParse("1573680").success).toBe(true);
    expect(UnitName.safeParse("transcription-palantir.service").success).toBe(true);
    expect(UnitName.safeParse("getty@tty1.service").success).toBe(true);
    expect(ContainerRef.safeParse("3f2a9c1b7e4d").success).toBe(true);
    expect(QueueName.safeParse("whisper-jobs").success).toBe(true);
  });

  test("no value with a shell metacharacter, space, slash or leading dash passes any validator", () => {
    const bad = fc.tuple(fc.string(), fc.constantFrom(..." ;&|$`()<>'\"\\/\n*?{}[]!#~"), fc.string()).map(([a, c, b]) => a + c + b);
    fc.assert(
      fc.property(bad, (v) => {
        for (const s of [Pid, UnitName, ContainerRef, QueueName]) expect(s.safeParse(v).success).toBe(false);
      }),
    );
    for (const s of [Pid, UnitName, ContainerRef, QueueName]) expect(s.safeParse("-x").success).toBe(false);
  });

  test("restart_container: precondition holds while restarting, not once it runs; postcondition wants it running", async () => {
    const world = seed000World();
    const probes = fakeProbes(world);
    const c = ACTIONS.restart_container;
    expect(await c.precondition({ container: "palantir-api" }, "h", probes)).toMatchObject({ ok: true, value: 31 });
    expect(await c.precondition({ container: "nope" }, "h", probes)).toMatchObject({ ok: false, observed: "container nope does not exist on h" });
    world.containers.set("palantir-api", { running: true, restarting: false, restartCount: 31, exitCode: 0 });
    expect(await c.precondition({ container: "palantir-api" }, "h", probes)).toMatchObject({ ok: false });
    expect(await c.postcondition({ container: "palantir-api" }, "h", probes, before, testClock())).toMatchObject({ ok: true });
  });

  test("restart_unit: refused when the unit is running again; postcondition wants it active", async () => {
    const world = seed000World();
    const probes = fakeProbes(world);
    const u = ACTIONS.restart_unit;
    const p = u.params.parse({ unit: "transcription-palantir.service" });
    expect(await u.precondition(p, "h", probes)).toMatchObject({ ok: true, value: 485 });
    expect(await u.postcondition(p, "h", probes, before, testClock())).toMatchObject({ ok: false });
    world.units.set("transcription-palantir.service", { mainPid: "9", activeState: "active", subState: "running", nRestarts: 485 });
    expect(await u.precondition(p, "h", probes)).toMatchObject({ ok: false, observed: "transcription-palantir.service is active (running) again" });
    expect(await u.postcondition(p, "h", probes, before, testClock())).toMatchObject({ ok: true });
  });

  test("clean_failed_jobs: needs failed jobs before, and fewer after", async () => {
    const world = seed000World();
    const probes = fakeProbes(world);
    const q = ACTIONS.clean_failed_jobs;
    const pre = await q.precondition({ queue: "transcription" }, "h", probes);
    expect(pre).toEqual({ ok: true, observed: "42 failed jobs in transcription", value: 42 });
    expect(await q.postcondition({ queue: "transcription" }, "h", probes, pre, testClock())).toMatchObject({ ok: false });
    world.failedJobs.set("transcription", 0);
    expect(await q.postcondition({ queue: "transcription" }, "h", probes, pre, testClock())).toMatchObject({ ok: true, observed: "transcription: failed jobs 42 → 0" });
    expect(await q.precondition({ queue: "transcription" }, "h", probes)).toMatchObject({ ok: false });
  });
});
