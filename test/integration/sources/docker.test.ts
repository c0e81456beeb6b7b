// The Docker sources against a real dockerd: a container in a real restart loop (port held on the host) and a real OOM kill.
import { createServer, type Server } from "node:net";
import Dockerode from "dockerode";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { LogRecord } from "../../../src/parsers/index.js";
import { DockerSourceConfig, dockerOverSsh, followContainerLogs, followContainers, followDockerEvents, inspectContainer } from "../../../src/sources/index.js";
import { dockerdAvailability, startDockerd, type DockerdInstance } from "../../harness/dockerd.js";
import { freePort } from "../../harness/program.js";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { sshdAvailability, startSshd, type SshdInstance } from "../../harness/sshd.js";
import pino from "pino";
import { SourceEntry } from "../../../src/config/index.js";
import { sourceLane } from "../../../src/daemon/source-runner.js";
import { LocalHost, SshHost } from "../../../src/hosts/index.js";
import { systemClock } from "../../../src/time.js";

const avail = dockerdAvailability();

async function take(it: AsyncGenerator<LogRecord>, until: (got: LogRecord[]) => boolean, max = 500): Promise<LogRecord[]> {
  const out: LogRecord[] = [];
  while (out.length < max && !until(out)) {
    const r = await it.next();
    if (r.done) break;
    out.push(r.value);
  }
  return out;
}

const runs = (rs: readonly LogRecord[]) => rs.map((r) => /^run (\d+):/.exec(r.message)?.[1]).filter((x) => x !== undefined).map(Number);

test("DockerSourceConfig applies defaults and refuses unknown keys", () => {
  expect(DockerSourceConfig.parse({ labels: ["fw.watch=yes"] })).toEqual({ containers: [], labels: ["fw.watch=yes"], events: true });
  expect(DockerSourceConfig.safeParse({ label: ["x"] }).success).toBe(false);
});

describe.skipIf(avail.missing !== undefined)(`Docker sources ${avail.missing ?? ""}`, () => {
  let dockerd: DockerdInstance;
  let docker: Dockerode;
  let holder: Server;
  let port: number;
  beforeAll(async () => {
    dockerd = await startDockerd();
    docker = new Dockerode({ socketPath: dockerd.socketPath });
    // Seed 000's shape: a process on the host holds the port the service wants.
    port = await freePort();
    holder = createServer();
    await new Promise<void>((resolve) => holder.listen(port, "127.0.0.1", resolve));
  }, 120_000);
  afterAll(async () => {
    holder?.close();
    await dockerd?.stop();
  });

  test("a restart loop: every run's lines once, in order, across re-attaches and a restart from the cursor; die events carry the exit code", async () => {
    const script = `n=$(cat /tmp/n 2>/dev/null || echo 0); n=$((n+1)); echo $n > /tmp/n; echo "run $n: starting"; echo "run $n: listen EADDRINUSE: address already in use 127.0.0.1:${port}" >&2; nc -l -s 127.0.0.1 -p ${port}; exit 1`;
    const ac = new AbortController();
    const events = followDockerEvents({ docker, filters: { container: ["loop"], event: ["die"] }, signal: ac.signal });
    const firstEvent = events.next();
    await dockerd.docker(["run", "-d", "--name", "loop", "--network", "host", "--restart", "always", dockerd.image, "sh", "-c", script]);
    const logs = followContainerLogs({ docker, container: "loop", signal: ac.signal, pollMs: 50 });
    const before = await take(logs, (got) => runs(got).filter((n) => n >= 3).length >= 2);
    await logs.return(undefined);
    const cursor = before.at(-1)?.cursor ?? "";
    expect(cursor).toMatch(/^docker1:/);
    const resumed = followContainerLogs({ docker, container: "loop", cursor, signal: ac.signal, pollMs: 50 });
    const after = await take(resumed, (got) => runs(got).filter((n) => n >= 5).length >= 2);
    await resumed.return(undefined);
    const all = [...before, ...after];
    const seen = runs(all);
    // Each run prints two lines: 1,1,2,2,3,3,... with no gap and no repeat.
    expect(seen).toEqual(Array.from({ length: seen.length }, (_, i) => Math.floor(i / 2) + 1));
    const eaddr = all.filter((r) => r.message.includes("EADDRINUSE"));
    expect(eaddr.every((r) => r.fields.stream === "stderr" && r.service === "loop" && r.time !== undefined)).toBe(true);
    const die = (await firstEvent).value as LogRecord | undefined;
    expect(die?.fields).toMatchObject({ action: "die", exitCode: "1", container: "loop" });
    expect(die?.message).toMatch(/^container die [0-9a-f]{64} \(/);
    const state = await inspectContainer(docker, "loop");
    expect(state.restartCount).toBeGreaterThanOrEqual(4);
    ac.abort();
    await events.return(undefined);
  }, 120_000);

  test("a real OOM kill: exit 137, OOMKilled, and an oom event", async () => {
    const ac = new AbortController();
    const events = followDockerEvents({ docker, filters: { container: ["hog"], event: ["oom", "die"] }, signal: ac.signal });
    const got = take(events, (rs) => rs.some((r) => r.fields.action === "die"));
    await dockerd.docker(["run", "-d", "--name", "hog", "--memory", "8m", "--memory-swap", "8m", dockerd.image, "sh", "-c", "x=$(yes | head -c 200000000); echo survived"]);
    const evs = await got;
    ac.abort();
    await events.return(undefined);
    const state = await inspectContainer(docker, "hog");
    expect(state).toMatchObject({ oomKilled: true, exitCode: 137, running: false });
    // The kernel may kill more than one process of the container (sh, yes, head): one oom event each.
    const actions = evs.map((r) => r.fields.action);
    expect(actions[0]).toBe("oom");
    expect(actions.at(-1)).toBe("die");
    expect(evs.at(-1)?.fields.exitCode).toBe("137");
  }, 120_000);

  test("watch's first run reads the events since its process started: a container that died before the stream connected is seen", async () => {
    const startedAtMs = Date.now();
    // Dies at once, before any events stream exists (the daemon still starting, in the real case).
    await dockerd.docker(["run", "--name", "early-death", dockerd.image, "sh", "-c", "exit 3"]).catch(() => undefined);
    const entry = SourceEntry.parse({ kind: "docker", name: "d", socketPath: dockerd.socketPath, containers: ["early-death"] });
    const stop = new AbortController();
    const deps = { host: () => new LocalHost({ name: "local" }), clock: systemClock, log: pino({ level: "silent" }), onLink: () => undefined };
    const lane = sourceLane(entry, undefined, { ...deps, startedAtMs }, stop.signal);
    const it = lane.items[Symbol.asyncIterator]();
    let die: LogRecord | undefined;
    while (die === undefined) {
      const r = await it.next();
      if (r.done) break;
      die = r.value.map((i) => i.record).find((rec) => rec?.fields.action === "die" && rec.fields.name === "early-death");
    }
    expect(die?.fields.exitCode).toBe("3");
    stop.abort();
    await it.return?.(undefined);
    // From a later start, the same event is history: it is not read again.
    const later = new AbortController();
    const again = sourceLane(entry, undefined, { ...deps, startedAtMs: Date.now() + 1000 }, later.signal).items[Symbol.asyncIterator]();
    const seen: string[] = [];
    const reading = (async () => {
      for (;;) {
        const r = await again.next();
        if (r.done) return;
        for (const i of r.value) if (i.record?.fields.action !== undefined) seen.push(i.record.fields.action);
      }
    })();
    await new Promise((r) => setTimeout(r, 1500));
    later.abort();
    await reading.catch(() => undefined);
    expect(seen).toEqual([]);
  }, 60_000);

  test("containers matching a label are picked up, also when they start later; others are not; a flood does not starve a quiet one", async () => {
    const ac = new AbortController();
    const it = followContainers({ docker, select: { labels: ["fw.watch=yes"] }, signal: ac.signal, pollMs: 50 });
    await dockerd.docker(["run", "-d", "--name", "early", "--label", "fw.watch=yes", dockerd.image, "sh", "-c", "echo early 1; echo early 2; exec sleep 300"]);
    await dockerd.docker(["run", "-d", "--name", "ignored", dockerd.image, "sh", "-c", "echo ignored 1; exec sleep 300"]);
    const first = await take(it, (got) => got.some((r) => r.message === "early 2"));
    await dockerd.docker(["run", "-d", "--name", "flood", "--label", "fw.watch=yes", dockerd.image, "sh", "-c", "yes flood | head -n 1000000; exec sleep 300"]);
    await dockerd.docker(["run", "-d", "--name", "late", "--label", "fw.watch=yes", dockerd.image, "sh", "-c", "for i in 1 2 3; do echo late $i; sleep 0.2; done; exec sleep 300"]);
    const second = await take(it, (got) => got.some((r) => r.message === "late 3"), 1_000_000);
    ac.abort();
    await it.return(undefined);
    const all = [...first, ...second];
    expect(all.filter((r) => r.service === "early").map((r) => r.message)).toEqual(["early 1", "early 2"]);
    expect(all.filter((r) => r.service === "late").map((r) => r.message)).toEqual(["late 1", "late 2", "late 3"]);
    expect(all.some((r) => r.service === "ignored")).toBe(false);
    // The quiet container was served while the flood was still being read (about 3 000 of its 1 000 000
    // lines had been read when "late 3" arrived, in two runs here).
    expect(all.filter((r) => r.service === "flood").length).toBeLessThan(500_000);
  }, 120_000);

  describe.skipIf(sshdAvailability().missing !== undefined)("over SSH", () => {
    let sshd: SshdInstance;
    let host: SshHost;
    beforeAll(async () => {
      // The sessions' DOCKER_HOST points the remote docker CLI (dial-stdio) at this test's daemon.
      sshd = await startSshd({ extraConfig: [`SetEnv DOCKER_HOST=${dockerd.host}`] });
      host = new SshHost({ host: sshd.host, port: sshd.port, user: sshd.user, privateKey: sshd.privateKey, hostKey: { fingerprints: [sshd.hostKeyFingerprint] } });
    });
    afterAll(async () => {
      await host?.close();
      await sshd?.stop();
    });

    test("a remote daemon through dial-stdio on the pinned connection: logs, inspect, and no dial-stdio left after close", async () => {
      await dockerd.docker(["run", "-d", "--name", "remote1", dockerd.image, "sh", "-c", "echo remote 1; echo remote 2 >&2; exec sleep 300"]);
      const remote = dockerOverSsh(host);
      const state = await inspectContainer(remote, "remote1");
      expect(state).toMatchObject({ name: "remote1", running: true });
      const ac = new AbortController();
      const it = followContainerLogs({ docker: remote, container: "remote1", signal: ac.signal });
      const got = await take(it, (rs) => rs.length >= 2);
      ac.abort();
      await it.return(undefined);
      // stdout and stderr are captured by separate readers in dockerd: two lines written together may swap.
      expect(got.map((r) => [r.message, r.fields.stream]).sort()).toEqual([["remote 1", "stdout"], ["remote 2", "stderr"]]);
      await host.close();
      const left = await promisify(execFile)("pgrep", ["-f", `^docker system dial-stdio`]).then((r) => r.stdout.trim(), () => "");
      expect(left).toBe("");
    }, 60_000);
  });
});
