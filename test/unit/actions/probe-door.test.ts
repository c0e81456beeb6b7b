import { describe, expect, test } from "vitest";
import { ACTIONS, createHostProbes } from "../../../src/actions/index.js";
import type { ExecResult, Host, HostProcess } from "../../../src/hosts/index.js";

/** A host that answers read-only commands like seed 000's mithrandir did; `world` is changed by the test. */
function seed000Host(world: { mainPid: string; cgroup: string; containerExists: boolean; ss?: string }): Host & { calls: string[] } {
  const calls: string[] = [];
  const answer = (argv: readonly string[]): Partial<ExecResult> => {
    const cmd = argv.join(" ");
    calls.push(cmd);
    if (argv[0] === "ss") return { stdout: world.ss ?? 'LISTEN 0 511 0.0.0.0:9003 0.0.0.0:* users:(("node",pid=1573680,fd=21))\n' };
    if (argv[0] === "ps") return { stdout: "1573680       1 zeus   812345 node dist/index.js\n" };
    if (argv[0] === "cat") return { stdout: world.cgroup };
    if (argv[0] === "systemctl") {
      return { stdout: `MainPID=${world.mainPid}\nNRestarts=485\nActiveState=activating\nSubState=auto-restart\nResult=exit-code\nLoadState=loaded\nControlGroup=/system.slice/transcription-palantir.service\n` };
    }
    if (argv[0] === "docker") {
      if (!world.containerExists) return { code: 1, stderr: "Error: No such container: palantir-api\n" };
      return { stdout: JSON.stringify([{ Id: "abc123", Name: "/palantir-api", RestartCount: 31, State: { Status: "restarting", Running: true, Restarting: true, OOMKilled: false, ExitCode: 1, Pid: 0 } }]) };
    }
    return { code: 127, stderr: `${argv[0] ?? ""}: not found` };
  };
  return {
    name: "mithrandir",
    calls,
    exec: (argv) => Promise.resolve({ code: 0, signal: null, stdout: "", stderr: "", truncated: false, timedOut: false, ...answer(argv) }),
    spawn: (): Promise<HostProcess> => Promise.reject(new Error("not used")),
    close: () => Promise.resolve(),
  };
}

const params = { pid: "1573680", port: "9003", unit: "transcription-palantir.service" };

describe("the probe door over the probes floor", () => {
  test("seed 000: the PID outside the unit's cgroup is a rogue, and kill_port_owner's precondition holds", async () => {
    const host = seed000Host({ mainPid: "0", cgroup: "0::/user.slice/user-1000.slice/session-3.scope\n", containerExists: true });
    const probes = createHostProbes({ host: (n) => (n === "mithrandir" ? host : undefined), failedJobCount: () => Promise.resolve(0) });
    expect(await probes.portHolder("mithrandir", "9003", params.unit)).toEqual({ pid: "1573680", command: "node dist/index.js", inUnit: false, inContainer: undefined, otherHolders: [], ppid: "1", user: "zeus" });
    expect(await ACTIONS.kill_port_owner.precondition(params, "mithrandir", probes)).toMatchObject({ ok: true });
    expect(host.calls.every((c) => !c.startsWith("kill"))).toBe(true);
  });

  test("a port shared with another process is not freed by one kill: refused, naming the other PID", async () => {
    const ss = 'LISTEN 0 511 0.0.0.0:9003 0.0.0.0:* users:(("node",pid=1573680,fd=21))\nLISTEN 0 511 [::]:9003 [::]:* users:(("node",pid=1573690,fd=22))\n';
    const host = seed000Host({ mainPid: "0", cgroup: "0::/user.slice/session-3.scope\n", containerExists: true, ss });
    const probes = createHostProbes({ host: () => host, failedJobCount: () => Promise.resolve(0) });
    expect(await ACTIONS.kill_port_owner.precondition(params, "mithrandir", probes)).toEqual({ ok: false, observed: "port 9003 is also held by PID 1573690; stopping PID 1573680 alone would not free it" });
  });

  test("the unit's own process is never a rogue", async () => {
    const host = seed000Host({ mainPid: "1573680", cgroup: "0::/system.slice/transcription-palantir.service\n", containerExists: true });
    const probes = createHostProbes({ host: () => host, failedJobCount: () => Promise.resolve(0) });
    expect(await ACTIONS.kill_port_owner.precondition(params, "mithrandir", probes)).toMatchObject({ ok: false, observed: expect.stringContaining("own process") });
  });

  test("when the cgroup cannot be read and it is not the MainPID, the answer is unknown and nothing is killed", async () => {
    const host = seed000Host({ mainPid: "0", cgroup: "", containerExists: true });
    const probes = createHostProbes({ host: () => ({ ...host, exec: (argv) => (argv[0] === "cat" ? Promise.resolve({ code: 1, signal: null, stdout: "", stderr: "cat: Permission denied", truncated: false, timedOut: false }) : host.exec(argv)) }), failedJobCount: () => Promise.resolve(0) });
    expect(await probes.portHolder("mithrandir", "9003", params.unit)).toMatchObject({ inUnit: undefined });
    expect(await ACTIONS.kill_port_owner.precondition(params, "mithrandir", probes)).toMatchObject({ ok: false, observed: expect.stringContaining("cannot tell") });
  });

  test("containers and units: state mapped, a missing container is undefined, an unknown host rejects", async () => {
    const world = { mainPid: "0", cgroup: "", containerExists: true };
    const host = seed000Host(world);
    const probes = createHostProbes({ host: (n) => (n === "mithrandir" ? host : undefined), failedJobCount: () => Promise.resolve(0) });
    expect(await probes.containerState("mithrandir", "palantir-api")).toEqual({ running: true, restarting: true, restartCount: 31, exitCode: 1 });
    expect(await probes.unitState("mithrandir", params.unit, "system")).toEqual({ mainPid: "0", activeState: "activating", subState: "auto-restart", nRestarts: 485 });
    world.containerExists = false;
    expect(await probes.containerState("mithrandir", "palantir-api")).toBeUndefined();
    await expect(probes.unitState("gandalf", params.unit, "system")).rejects.toMatchObject({ reason: "host_failed" });
  });
});
