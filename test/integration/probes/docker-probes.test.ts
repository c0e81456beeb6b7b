// container_state and port_owner against a real dockerd (harness): exit code, RestartCount, the container's own PID.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { LocalHost } from "../../../src/hosts/index.js";
import { runProbe, type ContainerState } from "../../../src/probes/index.js";
import { dockerdAvailability, startDockerd, type DockerdInstance } from "../../harness/dockerd.js";
import { freePort, makeTempDir } from "../../harness/program.js";
import { startDetachedListener, startListener, until, type Listener } from "./helpers.js";

const avail = dockerdAvailability();

describe.skipIf(avail.missing !== undefined)(`probes against a real dockerd ${avail.missing ?? ""}`, () => {
  let dockerd: DockerdInstance;
  const host = new LocalHost();
  const started: Listener[] = [];
  const opts = () => ({ dockerHost: dockerd.host });
  beforeAll(async () => {
    dockerd = await startDockerd();
  }, 120_000);
  afterAll(async () => {
    for (const l of started) l.stop();
    await host.close();
    await dockerd?.stop();
  });

  test("container_state reports the exit code and the restarts of a container that keeps failing", async () => {
    await dockerd.docker(["run", "-d", "--name", "failing", "--network", "host", "--restart", "on-failure:2", dockerd.image, "sh", "-c", "exit 3"]);
    let last: ContainerState | undefined;
    const settled = await until(async () => {
      const r = await runProbe("container_state", { container: "failing" }, host, opts());
      last = r.ok ? (r.evidence as ContainerState) : undefined;
      return last !== undefined && last.restartCount === 2 && !last.running && !last.restarting;
    }, 60_000);
    expect(settled, JSON.stringify(last)).toBe(true);
    expect(last).toMatchObject({ name: "failing", exitCode: 3, oomKilled: false, restartCount: 2, running: false, pid: undefined });
    const r = await runProbe("container_state", { container: "failing" }, host, opts());
    expect(r.text).toBe("container failing: exited, exit code 3, restarted 2 times");
  }, 90_000);

  test("port_owner says whether the listener is the container's process", async () => {
    const port = await freePort();
    await dockerd.docker(["run", "-d", "--name", "listener", "--network", "host", dockerd.image, "nc", "-l", "-p", String(port)]);
    const inside = await until(async () => {
      const r = await runProbe("port_owner", { port, container: "listener" }, host, opts());
      return r.ok && (r.evidence as { inContainer?: boolean }).inContainer === true;
    }, 30_000);
    expect(inside).toBe(true);
    const state = await runProbe("container_state", { container: "listener" }, host, opts());
    const owner = await runProbe("port_owner", { port, container: "listener" }, host, opts());
    expect(owner).toMatchObject({ ok: true, evidence: { pid: (state.ok ? (state.evidence as ContainerState).pid : -1), inContainer: true, rogue: false } });
    // A host process on another port is outside that container: the seed 000 shape with Docker.
    const other = await freePort();
    const l = await startListener(host, other);
    started.push(l);
    expect(await runProbe("port_owner", { port: other, container: "listener" }, host, opts())).toMatchObject({ ok: true, evidence: { pid: l.pid, inContainer: false, rogue: true } });
  }, 90_000);

  test("seed 000 with Docker: a detached host process holds the port and the container restarts in a loop", async () => {
    const tmp = await makeTempDir("probes-seed000");
    try {
      const port = await freePort();
      const rogue = await startDetachedListener(host, port, tmp.path);
      started.push(rogue);
      await dockerd.docker(["run", "-d", "--name", "looping", "--network", "host", "--restart", "always", dockerd.image, "nc", "-l", "-p", String(port)]);
      let state: ContainerState | undefined;
      const looping = await until(async () => {
        const r = await runProbe("container_state", { container: "looping" }, host, opts());
        state = r.ok ? (r.evidence as ContainerState) : undefined;
        // Between two runs: while a run is up Docker shows exit code 0 (under load the probe catches that often).
        return (state?.restartCount ?? 0) >= 2 && state?.exitCode !== 0;
      }, 60_000);
      expect(looping, JSON.stringify(state)).toBe(true);
      expect(state?.exitCode).not.toBe(0);
      const owner = await runProbe("port_owner", { port, container: "looping" }, host, opts());
      expect(owner).toMatchObject({ ok: true, evidence: { pid: rogue.pid, ppid: 1, inContainer: false, rogue: true } });
      expect(owner.text).toMatch(new RegExp(`^rogue process: port ${port} held by PID ${rogue.pid} .*PPID 1; outside container looping$`));
      await dockerd.docker(["rm", "-f", "looping"]);
    } finally {
      await tmp.remove();
    }
  }, 90_000);

  test("a container that does not exist and a bad docker host are failed results", async () => {
    expect(await runProbe("container_state", { container: "nope" }, host, opts())).toMatchObject({ ok: false, error: { reason: "command_failed", message: expect.stringMatching(/No such container/i) } });
    expect(await runProbe("container_state", { container: "nope" }, host, { dockerHost: "/tmp/x; id" })).toMatchObject({ ok: false, error: { reason: "invalid_params" } });
  });
});
