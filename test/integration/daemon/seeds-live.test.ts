// Seed 000 and seed 001 reproduced live against a real dockerd and journal files: `watch` raises the incidents
// `analyze` finds over the same lines (same firing rules, host, service and key fields).
import { execFile, execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import { readFile, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { runAnalyze } from "../../../src/cli/analyze.js";
import { dockerdAvailability, startDockerd, type DockerdInstance } from "../../harness/dockerd.js";
import { journalAvailability, restartScheduledEntry, unitLineEntry, writeJournal } from "../../harness/journal.js";
import { freePort, makeTempDir } from "../../harness/program.js";
import { sshdAvailability, startSshd } from "../../harness/sshd.js";
import { startWatch, storedIncidents, writeConfig, type ChangeLine, type WatchProcess } from "./watch-process.js";

const run = promisify(execFile);
const docker = dockerdAvailability();
const journal = journalAvailability();
const KEY_FIELDS = ["port", "unit", "container", "exit_code"] as const;

interface Side {
  readonly host: string | null | undefined;
  readonly service: string | null | undefined;
  readonly findings: readonly { rule: string; state: string; fields: Readonly<Record<string, string>> }[];
}

/**
 * What must agree: per firing finding, its host and service, the rule, and the key fields it names. Live, the host
 * is the source's configured host ("local"); `analyze` reads it from the text, so its side is compared as `host`.
 */
function firing(incidents: readonly Side[], host?: string): string[] {
  const out = new Set<string>();
  for (const i of incidents) {
    for (const f of i.findings) {
      if (f.state !== "firing") continue;
      const keys = KEY_FIELDS.filter((k) => f.fields[k]).map((k) => `${k}=${f.fields[k]}`);
      out.add([host ?? i.host ?? "-", f.fields.service ?? i.service ?? "-", f.rule, ...keys].join(" "));
    }
  }
  return [...out].sort();
}

/** Keeps the latest change line of each incident while the daemon runs. */
function track(w: WatchProcess) {
  const latest = new Map<string, ChangeLine>();
  let wake: (() => void) | undefined;
  void (async () => {
    for (;;) {
      const c = await w.nextChange().catch(() => undefined);
      if (c === undefined) return;
      latest.set(c.id, c);
      wake?.();
    }
  })();
  return {
    latest,
    /** Waits for `pred` over the latest lines; after `ms` fails naming what the daemon had concluded by then. */
    async until(pred: (all: ChangeLine[]) => boolean, what: string, ms = 90_000): Promise<void> {
      const deadline = Date.now() + ms;
      while (!pred([...latest.values()])) {
        let timer: NodeJS.Timeout | undefined;
        const late = await Promise.race([new Promise<boolean>((r) => (wake = () => r(false))), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), Math.max(0, deadline - Date.now()))))]);
        clearTimeout(timer);
        if (late) throw new Error(`not reached within ${ms} ms: ${what}; the daemon had:\n${firing([...latest.values()]).join("\n")}\n${w.proc.stderr().slice(-3000)}`);
      }
    },
  };
}

/** Command lines of the processes below `root` whose command line starts with `prefix`. */
async function descendants(root: number, prefix: string): Promise<string[]> {
  const { stdout } = await run("ps", ["-eo", "pid=,ppid=,args="]);
  const rows = stdout.split("\n").map((l) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(l)).filter((m) => m !== null).map((m) => ({ pid: Number(m[1]), ppid: Number(m[2]), args: m[3] ?? "" }));
  const below = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const r of rows) if (below.has(r.ppid) && !below.has(r.pid)) grew = below.add(r.pid).size > 0;
  }
  return rows.filter((r) => r.pid !== root && below.has(r.pid) && r.args.startsWith(prefix)).map((r) => r.args);
}

const hasFiring = (all: ChangeLine[], rule: string, service?: string) => all.some((c) => c.findings.some((f) => f.rule === rule && f.state === "firing" && (service === undefined || f.fields.service === service)));

describe.skipIf(docker.missing !== undefined || journal.missing !== undefined)(`seeds live ${docker.missing ?? ""}${journal.missing ?? ""}`, () => {
  let tmp: { path: string; remove(): Promise<void> };
  let dockerd: DockerdInstance;
  let holder: Server;
  let port: number;
  const running: WatchProcess[] = [];
  beforeAll(async () => {
    tmp = await makeTempDir("watch-seeds");
    dockerd = await startDockerd();
    // Seed 000: a process on the host holds the port the service wants.
    port = await freePort();
    holder = createServer();
    await new Promise<void>((resolve) => holder.listen(port, "127.0.0.1", resolve));
  }, 120_000);
  afterAll(async () => {
    for (const w of running) await w.kill9();
    holder?.close();
    await dockerd?.stop();
    await tmp?.remove();
  });

  /**
   * Records a container's events from before it starts. Asking `docker events --since` afterwards is not enough:
   * dockerd keeps only its last 256 events, and a restart loop with the other tests' containers overflows them.
   */
  function recordEvents(name: string): { stop(): Promise<string> } {
    const p = spawn("docker", ["-H", dockerd.host, "events", "--filter", `container=${name}`], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    p.stdout.on("data", (d: Buffer) => (out += d.toString()));
    return {
      async stop() {
        // The last die reaches the stream a moment after `docker wait` returns.
        await new Promise((r) => setTimeout(r, 500));
        p.kill("SIGTERM");
        if (p.exitCode === null && p.signalCode === null) await once(p, "exit");
        return out;
      },
    };
  }

  /** The container's log lines and the events recorded for it, stamped, as one file named after it (analyze takes the service from the name). */
  async function exportContainer(name: string, recorded: { stop(): Promise<string> }): Promise<string> {
    // `docker logs` writes the container's stderr lines to its own stderr: take both.
    const { stdout, stderr } = await run("docker", ["-H", dockerd.host, "logs", "--timestamps", name], { maxBuffer: 64 * 1024 * 1024 });
    const logs = `${stdout}\n${stderr}`;
    const events = await recorded.stop();
    // `docker events` prints local time with an offset: make every stamp UTC so the lines sort as text.
    const utc = events
      .split("\n")
      .filter(Boolean)
      .map((l) => l.replace(/^(\S+)/, (t) => `${new Date(t).toISOString().slice(0, 19)}.${/\.(\d{1,9})/.exec(t)?.[1]?.padEnd(9, "0") ?? "000000000"}Z`));
    const all = [...logs.split("\n").filter(Boolean), ...utc].sort();
    const file = path.join(tmp.path, `${name}.log`);
    await writeFile(file, all.join("\n") + "\n");
    return file;
  }

  /**
   * Ends a restart loop by letting its last run fail on its own. A `docker kill` would add a die with 137 whenever it
   * caught the container running, a conclusion that is the test's, not the failure's.
   */
  async function stopLoop(name: string): Promise<void> {
    // dockerd refuses the update ("cannot update a stopped container", or containerd's "cannot update a deleted
    // process") when the container's process has just exited and dockerd has not handled the exit yet; it then puts
    // the old policy back. Once it has, the update goes through.
    for (let attempt = 1; ; attempt++) {
      try {
        await dockerd.docker(["update", "--restart", "no", name]);
        break;
      } catch (e) {
        if (attempt >= 50 || !/cannot update a (?:stopped container|deleted process)/.test(String(e))) throw e;
        await sleep(100);
      }
    }
    expect((await dockerd.docker(["inspect", "-f", "{{.HostConfig.RestartPolicy.Name}}", name])).trim()).toBe("no");
    try {
      await dockerd.docker(["wait", name], { timeoutMs: 30_000 });
    } catch (e) {
      throw new Error(`${name} did not stop on its own within 30 s after its restart policy became "no"`, { cause: e });
    }
  }

  test("seed 000: a host process holds the port, a host-network container and a systemd unit loop on it", { timeout: 180_000 }, async () => {
    const events = recordEvents("palantir-api");
    const jfile = path.join(tmp.path, "palantir.journal");
    const now = Date.now() * 1000;
    const UNIT = "transcription-palantir.service";
    const entries = Array.from({ length: 6 }, (_, i) => [
      unitLineEntry(now + i * 2_000_000, UNIT, 5000 + i, `Error: listen EADDRINUSE: address already in use :::${port}`, 3),
      restartScheduledEntry(now + i * 2_000_000 + 1_000_000, UNIT, 480 + i),
    ]).flat();
    await writeJournal(jfile, entries);
    const script = `echo "Error: listen EADDRINUSE: address already in use :::${port}" >&2; nc -l -s 127.0.0.1 -p ${port}; exit 1`;
    await dockerd.docker(["run", "-d", "--name", "palantir-api", "--network", "host", "--restart", "always", dockerd.image, "sh", "-c", script]);
    const config = await writeConfig(path.join(tmp.path, "seed000.yaml"), {
      sources: [
        { kind: "journald", name: "journal", files: [jfile], startAt: "beginning" },
        { kind: "docker", name: "docker", socketPath: dockerd.socketPath, containers: ["palantir-api"] },
      ],
      store: { url: `file:${path.join(tmp.path, "state000")}` },
      outputs: { jsonLines: true, reportDir: path.join(tmp.path, "reports000") },
    });
    const w = startWatch(config);
    running.push(w);
    const t = track(w);
    await t.until((all) => hasFiring(all, "docker_restart_loop") && hasFiring(all, "eaddrinuse_loop", "palantir-api") && hasFiring(all, "systemd_restart_loop"), "the three loops firing");
    await stopLoop("palantir-api");
    const jjson = path.join(tmp.path, "palantir-journal.json");
    await writeFile(jjson, execFileSync("journalctl", ["--file", jfile, "-o", "json", "--no-pager"]));
    const analyzed = await runAnalyze([jjson, await exportContainer("palantir-api", events)], { rules: [] }, { now: Date.now });
    const expected = firing(analyzed.incidents, "local");
    expect(expected).toEqual([
      "local palantir-api docker_restart_loop container=palantir-api exit_code=1",
      `local palantir-api eaddrinuse_loop port=${port}`,
      `local transcription-palantir eaddrinuse_loop port=${port}`,
      "local transcription-palantir systemd_restart_loop unit=transcription-palantir",
    ]);
    // The daemon reads the last lines of the stopped container too; then both agree.
    await t.until((all) => JSON.stringify(firing(all)) === JSON.stringify(expected), `analyze's conclusions:\n${expected.join("\n")}`);
    expect(firing([...t.latest.values()])).toEqual(expected);
    // Live, one host (the sources' "local", whatever _HOSTNAME the journal says) and one cause, port P: one incident.
    expect(new Set([...t.latest.values()].map((c) => `${c.host}`))).toEqual(new Set(["local"]));
    // However the two halves were committed (apart, then tied by the port, or together): one live incident holds all
    // four; a half stored apart before the port tied them was merged into it and is resolved, pointing at it.
    const live = [...t.latest.values()].filter((c) => c.outcome !== "resolved");
    const shown = [...t.latest.values()].map((c) => `${c.id} ${c.outcome} ${c.title}: ${firing([c]).join("; ")}`).join("\n");
    expect(live, shown).toHaveLength(1);
    expect(firing(live), shown).toEqual(expected);
    expect(await w.term()).toBe(0);
    // The new incident was probed: port_owner names this test process, which holds the port, in the store and the report.
    const api = (await storedIncidents(path.join(tmp.path, "state000"))).find((s) => s.incident.findings.some((f) => f.service === "palantir-api"));
    const owner = api?.probes.find((p) => p.probe === "port_owner");
    expect(owner?.summary).toContain(`PID ${process.pid}`);
    expect(await readFile(path.join(tmp.path, "reports000", `${api?.incident.id ?? ""}.md`), "utf8")).toContain(`PID ${process.pid}`);
  });

  test("seed 001: a container killed with exit 137 (a real OOM kill) in a restart loop", { timeout: 180_000 }, async () => {
    const events = recordEvents("rsky-ingester");
    const script = `echo "[EXIT-TRACE] Running in 'production' mode"; echo "[EXIT-TRACE] Entering tokio::select!"; x=$(yes | head -c 200000000); echo survived`;
    const id = (await dockerd.docker(["run", "-d", "--name", "rsky-ingester", "--memory", "8m", "--memory-swap", "8m", "--restart", "always", dockerd.image, "sh", "-c", script])).trim();
    const config = await writeConfig(path.join(tmp.path, "seed001.yaml"), {
      // Given by id: its logs and its events are followed under its name.
      sources: [{ kind: "docker", name: "docker", socketPath: dockerd.socketPath, containers: [id] }],
      store: { url: `file:${path.join(tmp.path, "state001")}` },
    });
    const w = startWatch(config);
    running.push(w);
    const t = track(w);
    await t.until((all) => all.some((c) => c.findings.some((f) => f.rule === "docker_restart_loop" && f.state === "firing" && f.count >= 3)), "the restart loop firing");
    await stopLoop("rsky-ingester");
    const exported = await exportContainer("rsky-ingester", events);
    const dies = (await readFile(exported, "utf8")).split("\n").filter((l) => l.includes("container die"));
    const analyzed = await runAnalyze([exported], { rules: [] }, { now: Date.now });
    const expected = firing(analyzed.incidents, "local");
    // Killed: the restart loop with 137, the OOM kill itself, and the breadcrumbs stopping after "Entering tokio::select!".
    expect(expected, `die events exported:\n${dies.join("\n")}`).toEqual(["local rsky-ingester docker_restart_loop container=rsky-ingester exit_code=137", "local rsky-ingester external_kill", "local rsky-ingester oom_kill container=rsky-ingester"]);
    await t.until((all) => JSON.stringify(firing(all)) === JSON.stringify(expected), `analyze's conclusions:\n${expected.join("\n")}`);
    expect(firing([...t.latest.values()])).toEqual(expected);
    expect(await w.term()).toBe(0);
  });

  test.skipIf(sshdAvailability().missing !== undefined)("a Docker source over SSH: the remote daemon's container loop is an incident of that host", { timeout: 180_000 }, async () => {
    // The sessions' DOCKER_HOST points the remote docker CLI (dial-stdio) at this test's daemon.
    const sshd = await startSshd({ extraConfig: [`SetEnv DOCKER_HOST=${dockerd.host}`] });
    try {
      const key = path.join(tmp.path, "id_remote");
      await writeFile(key, sshd.privateKey, { mode: 0o600 });
      const remotePort = await freePort();
      const script = `for i in 1 2 3 4; do echo "Error: listen EADDRINUSE: address already in use :::${remotePort}"; done; exec sleep 300`;
      const config = await writeConfig(path.join(tmp.path, "remote-docker.yaml"), {
        hosts: { web1: { kind: "ssh", host: sshd.host, port: sshd.port, user: sshd.user, privateKeyFile: key, fingerprints: [sshd.hostKeyFingerprint] } },
        sources: [{ kind: "docker", name: "web1-docker", host: "web1", containers: ["remote-api"], events: false }],
        store: { url: `file:${path.join(tmp.path, "state-remote")}` },
      });
      const w = startWatch(config);
      running.push(w);
      await dockerd.docker(["run", "-d", "--name", "remote-api", dockerd.image, "sh", "-c", script]);
      const c = await w.waitFor((x) => x.findings.some((f) => f.rule === "eaddrinuse_loop" && f.state === "firing"));
      expect(c).toMatchObject({ host: "web1", service: "remote-api" });
      expect(c.findings.find((f) => f.rule === "eaddrinuse_loop")?.fields.port).toBe(String(remotePort));
      // While it follows the logs, its dial-stdio runs under this sshd (so the check below can see one).
      expect((await descendants(sshd.pid() ?? -1, "docker system dial-stdio")).length).toBeGreaterThan(0);
      expect(await w.term()).toBe(0);
      // Stopping closed the SSH link: no dial-stdio left under this sshd (other tests may run their own elsewhere).
      expect(await descendants(sshd.pid() ?? -1, "docker system dial-stdio")).toEqual([]);
    } finally {
      await sshd.stop();
    }
  });
});
