// kill_port_owner's two owner forms: a port meant for a systemd unit, or for a container (seed 000 with host networking).
import { userInfo } from "node:os";
import { describe, expect, test } from "vitest";
import { ACTIONS, type ActionProbes, type Check, type ContainerState } from "../../../src/actions/index.js";
import { QueueName as JobsQueueName } from "../../../src/jobs/index.js";
import { ContainerRef, Pid, Port, QueueName, UnitName } from "../../../src/actions/index.js";
import { fakeProbes, seed000World, testClock, type FakeWorld } from "./support.js";

const kill = ACTIONS.kill_port_owner;
const before: Check = { ok: true, observed: "" };
const inContainerForm = { pid: "1573680", port: "9003", container: "palantir-api" };

/** The seed 000 world where the port is meant for the container: the holder is outside it. */
function containerWorld(inContainer: boolean | undefined): FakeWorld {
  const w = seed000World();
  w.ports.set("9003", { pid: "1573680", command: "node dist/index.js", inUnit: undefined, inContainer, otherHolders: [], user: userInfo().username });
  return w;
}

/** Probes whose container answers come from a script, one per call (the last repeats). */
function scripted(world: FakeWorld, states: ContainerState[], asked: string[] = []): ActionProbes {
  const base = fakeProbes(world);
  let i = 0;
  return {
    ...base,
    portHolder: (h, port, unit, container) => { asked.push(`${port}:${unit ?? "-"}:${container ?? "-"}`); return base.portHolder(h, port, unit, container); },
    containerState: () => Promise.resolve(states[Math.min(i++, states.length - 1)]),
  };
}

const restarting = (n: number): ContainerState => ({ running: false, restarting: true, restartCount: n, exitCode: 1 });
const running = (n: number): ContainerState => ({ running: true, restarting: false, restartCount: n, exitCode: 0 });

describe("kill_port_owner params", () => {
  test("exactly one owner: a unit or a container, never both, never none", () => {
    expect(kill.params.safeParse(inContainerForm).success).toBe(true);
    expect(kill.params.safeParse({ pid: "1573680", port: "9003", unit: "palantir.service" }).success).toBe(true);
    expect(kill.params.safeParse({ ...inContainerForm, unit: "palantir.service" }).success).toBe(false);
    expect(kill.params.safeParse({ pid: "1573680", port: "9003" }).success).toBe(false);
    expect(kill.params.safeParse({ ...inContainerForm, container: "x; rm -rf /" }).success).toBe(false);
    expect(kill.params.safeParse({ ...inContainerForm, container: "$(id)" }).success).toBe(false);
  });

  test("the allow-list target is the container for the container form", () => {
    expect(kill.target(inContainerForm)).toBe("palantir-api");
    expect(kill.command(inContainerForm, "h")).toEqual({ kind: "argv", host: "h", argv: ["kill", "-TERM", "1573680"] });
  });
});

describe("kill_port_owner for a container", () => {
  test("precondition: a holder outside the container may be killed; the probe is asked about the container", async () => {
    const asked: string[] = [];
    const r = await kill.precondition(inContainerForm, "h", scripted(containerWorld(false), [restarting(3)], asked));
    expect(r).toMatchObject({ ok: true, observed: "PID 1573680 (node dist/index.js) holds port 9003 outside container palantir-api" });
    expect(asked).toEqual(["9003:-:palantir-api"]);
  });

  test("precondition refuses a holder inside the container, and one the probe could not place", async () => {
    expect(await kill.precondition(inContainerForm, "h", fakeProbes(containerWorld(true)))).toEqual({ ok: false, observed: "PID 1573680 is inside container palantir-api (its own process)" });
    expect(await kill.precondition(inContainerForm, "h", fakeProbes(containerWorld(undefined)))).toMatchObject({ ok: false, observed: expect.stringMatching(/^cannot tell whether PID 1573680 belongs to container palantir-api/) });
  });

  test("postcondition waits for the container to come up, then wants RestartCount stable over 5 s", async () => {
    const world = containerWorld(false);
    world.ports.set("9003", { pid: "2000", command: "nc -l -p 9003", inUnit: undefined, inContainer: true, otherHolders: [], user: userInfo().username });
    const clock = testClock();
    const start = clock.now();
    const r = await kill.postcondition(inContainerForm, "h", scripted(world, [restarting(4), restarting(5), running(5), running(5)]), before, clock);
    expect(r).toEqual({ ok: true, observed: "port 9003 is free of PID 1573680; container palantir-api is running, RestartCount 5 stable over 5 s", value: 5 });
    expect(clock.now() - start).toBe(2_000 + 5_000);
  });

  test("postcondition fails when the container dies again within the wait, or never comes up", async () => {
    const world = containerWorld(false);
    world.ports.delete("9003");
    expect(await kill.postcondition(inContainerForm, "h", scripted(world, [running(5), running(6)]), before, testClock())).toMatchObject({ ok: false, observed: "container palantir-api came up but did not stay up (RestartCount 5 → 6)" });
    expect(await kill.postcondition(inContainerForm, "h", scripted(world, [restarting(9)]), before, testClock())).toMatchObject({ ok: false, observed: "port 9003 is free of PID 1573680 but container palantir-api is still restarting after 70 s" });
  });

  test("postcondition fails while the killed PID or a stranger holds the port", async () => {
    const world = containerWorld(false);
    expect(await kill.postcondition(inContainerForm, "h", scripted(world, [running(5)]), before, testClock())).toMatchObject({ ok: false, observed: "PID 1573680 still holds port 9003" });
    world.ports.set("9003", { pid: "3000", command: "python3 -m http.server", inUnit: undefined, inContainer: false, otherHolders: [], user: userInfo().username });
    expect(await kill.postcondition(inContainerForm, "h", scripted(world, [running(5)]), before, testClock())).toMatchObject({ ok: false, observed: "port 9003 is held by another process, PID 3000 (python3 -m http.server)" });
  });

  test("escalation to KILL only while the same PID, shown outside the container, still holds the port", async () => {
    const esc = kill.escalation;
    if (!esc) throw new Error("kill_port_owner has an escalation");
    expect(await esc.needed(inContainerForm, "h", fakeProbes(containerWorld(false)))).toBe(true);
    expect(await esc.needed(inContainerForm, "h", fakeProbes(containerWorld(undefined)))).toBe(false);
    expect(await esc.needed(inContainerForm, "h", fakeProbes(containerWorld(true)))).toBe(false);
  });
});

describe("restart_container watches the container too", () => {
  const restart = ACTIONS.restart_container;
  test("running and RestartCount stable over 5 s: done; restarted again within them: not", async () => {
    const world = seed000World();
    const clock = testClock();
    const start = clock.now();
    expect(await restart.postcondition({ container: "palantir-api" }, "h", scripted(world, [restarting(31), running(32), running(32)]), before, clock)).toEqual({ ok: true, observed: "container palantir-api is running, RestartCount 32 stable over 5 s", value: 32 });
    expect(clock.now() - start).toBe(1_000 + 5_000);
    expect(await restart.postcondition({ container: "palantir-api" }, "h", scripted(world, [running(32), running(33)]), before, testClock())).toMatchObject({ ok: false, observed: "container palantir-api came up but did not stay up (RestartCount 32 → 33)" });
    expect(await restart.postcondition({ container: "palantir-api" }, "h", scripted(world, [restarting(40)]), before, testClock())).toMatchObject({ ok: false, observed: "container palantir-api is still restarting after 70 s" });
  });
});

describe("validators built on the probes' and jobs' schemas", () => {
  test("stricter than the probes: no PID 1, no leading zero, a unit starting with a letter, digit or _", () => {
    expect(Pid.safeParse("1").success).toBe(false);
    expect(Pid.safeParse("01234").success).toBe(false);
    expect(Pid.safeParse("4194304").success).toBe(true);
    expect(Pid.safeParse("4194305").success).toBe(false);
    expect(Port.safeParse("65535").success).toBe(true);
    expect(Port.safeParse("65536").success).toBe(false);
    expect(UnitName.safeParse(".hidden.service").success).toBe(false);
    expect(UnitName.safeParse("@x.service").success).toBe(false);
    expect(UnitName.safeParse("_x.service").success).toBe(true);
  });

  test("the queue pattern is the jobs floor's", () => {
    for (const q of ["transcription", "whisper-jobs", "a.b_c", "-x", "q:1", "q; rm -rf /", "", "a".repeat(128), "a".repeat(129), "Q9"]) {
      expect(QueueName.safeParse(q).success, q).toBe(JobsQueueName.safeParse(q).success);
    }
    expect(ContainerRef.safeParse("rust-ingester").success).toBe(true);
  });
});
