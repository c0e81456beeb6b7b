import { describe, expect, test } from "vitest";
import type { ExecOptions, ExecResult, Host, HostProcess } from "../../../src/hosts/index.js";
import { HostError } from "../../../src/hosts/index.js";
import { containerState, diskUsage, fileExists, portOwner, probesForRule, processInfo, runProbe, unitStatus } from "../../../src/probes/index.js";

/** A host that answers from a script and records every argv it was asked to run. */
function scriptedHost(answer: (argv: readonly string[]) => Partial<ExecResult> | Error): Host & { calls: (readonly string[])[]; opts: ExecOptions[] } {
  const calls: (readonly string[])[] = [];
  const opts: ExecOptions[] = [];
  return {
    name: "fake",
    calls,
    opts,
    exec: (argv, o = {}) => {
      calls.push(argv);
      opts.push(o);
      const a = answer(argv);
      if (a instanceof Error) return Promise.reject(a);
      return Promise.resolve({ code: 0, signal: null, stdout: "", stderr: "", truncated: false, timedOut: false, ...a });
    },
    spawn: (): Promise<HostProcess> => Promise.reject(new Error("not used")),
    close: () => Promise.resolve(),
  };
}

const finding = (fields: Record<string, string>, service?: string) => ({ fields, service });

describe("probesForRule", () => {
  test("maps finding fields to params in the rule's order; service stands in for the unit", () => {
    expect(probesForRule({ probes: ["port_owner", "unit_status"] }, finding({ port: "9003" }, "palantir.service"))).toEqual([
      { probe: "port_owner", params: { port: "9003", unit: "palantir.service" } },
      { probe: "unit_status", params: { unit: "palantir.service" } },
    ]);
  });

  test("a hostile or missing field skips the probe with the reason; an unknown name is skipped too", () => {
    const planned = probesForRule({ probes: ["port_owner", "process_info", "unit_status", "container_state", "nope"] }, finding({ port: "9003; rm -rf /", pid: "$(id)", container: "`id`" }, "foo; rm -rf /"));
    expect(planned.map((p) => ("skipped" in p ? p.skipped : "ran"))).toEqual([
      expect.stringMatching(/^invalid port/),
      expect.stringMatching(/^invalid pid/),
      expect.stringMatching(/^invalid unit/),
      expect.stringMatching(/^invalid container/),
      'no probe named "nope"',
    ]);
    expect(probesForRule({ probes: ["file_exists"] }, finding({}))).toEqual([{ probe: "file_exists", skipped: "the finding has no path" }]);
  });

  test("the library's names and fields fit: inotify_limits, container_id, the service as container", () => {
    expect(probesForRule({ probes: ["inotify_limits", "container_state"] }, finding({ container_id: "3f2a9c1b7d4e" }))).toEqual([
      { probe: "inotify_limits", params: {} },
      { probe: "container_state", params: { container: "3f2a9c1b7d4e" } },
    ]);
    expect(probesForRule({ probes: ["container_state"] }, finding({}, "rsky-ingester"))).toEqual([{ probe: "container_state", params: { container: "rsky-ingester" } }]);
  });

  test("port_owner still runs without a unit when the service is not a valid unit name", () => {
    expect(probesForRule({ probes: ["port_owner"] }, finding({ port: "80" }, "my app"))).toEqual([{ probe: "port_owner", params: { port: "80" } }]);
  });
});

describe("runProbe", () => {
  test("invalid params run nothing and come back as evidence", async () => {
    const host = scriptedHost(() => ({}));
    for (const [name, params] of [["port_owner", { port: "$(id)" }], ["unit_status", { unit: "foo; rm -rf /" }], ["process_info", { pid: "1 2" }], ["file_exists", { path: "rel" }]] as const) {
      const r = await runProbe(name, params, host);
      expect(r).toMatchObject({ ok: false, probe: name, error: { reason: "invalid_params" } });
    }
    expect(host.calls).toEqual([]);
  });

  test("a probe's run() called directly (as the guard does) refuses unvalidated values before any argv", async () => {
    const host = scriptedHost(() => ({}));
    const ctx = { host };
    await expect(portOwner.run(ctx, { port: 80, unit: "$(id)" })).rejects.toMatchObject({ reason: "invalid_params", code: "usage" });
    await expect(unitStatus.run(ctx, { unit: "-H evil", user: false })).rejects.toMatchObject({ reason: "invalid_params" });
    await expect(containerState.run(ctx, { container: "a;b" })).rejects.toMatchObject({ reason: "invalid_params" });
    await expect(processInfo.run(ctx, { pid: -1 })).rejects.toMatchObject({ reason: "invalid_params" });
    await expect(fileExists.run(ctx, { path: "rel" })).rejects.toMatchObject({ reason: "invalid_params" });
    await expect(diskUsage.run(ctx, { path: "/a\0b" })).rejects.toMatchObject({ reason: "invalid_params" });
    expect(host.calls).toEqual([]);
  });

  test("an unknown probe, a host failure and a timeout are results, not exceptions", async () => {
    expect(await runProbe("whois", {}, scriptedHost(() => ({})))).toMatchObject({ ok: false, error: { reason: "unknown_probe" } });
    const down = scriptedHost(() => new HostError("fake", "unreachable", "connect ECONNREFUSED"));
    expect(await runProbe("process_info", { pid: 1 }, down)).toMatchObject({ ok: false, error: { reason: "host_failed", message: expect.stringContaining("ECONNREFUSED") } });
    const slow = scriptedHost(() => ({ code: null, signal: "SIGTERM", timedOut: true }));
    expect(await runProbe("process_info", { pid: 1 }, slow)).toMatchObject({ ok: false, error: { reason: "timed_out" } });
  });

  test("port_owner asks ss, ps, the cgroup and systemctl, and concludes a rogue process outside the unit", async () => {
    const host = scriptedHost((argv) => {
      if (argv[0] === "ss") return { stdout: 'LISTEN 0 511 0.0.0.0:9003 0.0.0.0:* users:(("node",pid=1573680,fd=21))\n' };
      if (argv[0] === "ps") return { stdout: "1573680       1 palantir  86400 node /opt/palantir/server.js\n" };
      if (argv[0] === "cat") return { stdout: "0::/user.slice/user-1000.slice/session-3.scope\n" };
      if (argv[0] === "systemctl") return { stdout: "MainPID=0\nNRestarts=485\nActiveState=activating\nSubState=auto-restart\nResult=exit-code\nLoadState=loaded\nControlGroup=/system.slice/palantir.service\n" };
      return { code: 1, stderr: "unexpected" };
    });
    const r = await runProbe("port_owner", { port: "9003", unit: "palantir.service" }, host, { timeoutMs: 1234 });
    expect(r).toMatchObject({ ok: true, evidence: { pid: 1573680, ppid: 1, user: "palantir", command: "node /opt/palantir/server.js", isMainPid: false, inUnit: false, via: "ss", rogue: true } });
    expect(r.text).toBe("rogue process: port 9003 held by PID 1573680 (node /opt/palantir/server.js), user palantir, PPID 1; not palantir.service's MainPID (none), outside its cgroup");
    expect(host.calls).toContainEqual(["ss", "-ltnpH", "sport = :9003"]);
    expect(host.calls).toContainEqual(["systemctl", "show", "-p", "MainPID,NRestarts,ActiveState,SubState,Result,LoadState,ControlGroup", "--", "palantir.service"]);
    expect(host.opts.every((o) => o.timeoutMs === 1234 && typeof o.maxOutputBytes === "number")).toBe(true);
  });

  test("the unit's own MainPID is not rogue; a unit that cannot be asked leaves rogue unknown", async () => {
    const answer = (mainPid: string) => (argv: readonly string[]) => {
      if (argv[0] === "ss") return { stdout: 'LISTEN 0 511 0.0.0.0:9003 0.0.0.0:* users:(("node",pid=77,fd=21))\n' };
      if (argv[0] === "ps") return { stdout: "77 1 palantir 5 node server.js\n" };
      if (argv[0] === "cat") return { stdout: "0::/system.slice/palantir.service\n" };
      if (argv[0] === "systemctl") return mainPid === "down" ? { code: 1, stderr: "Failed to connect to bus: Host is down\n" } : { stdout: `MainPID=${mainPid}\nActiveState=active\nLoadState=loaded\nControlGroup=/system.slice/palantir.service\n` };
      return { code: 1 };
    };
    expect(await runProbe("port_owner", { port: 9003, unit: "palantir" }, scriptedHost(answer("77")))).toMatchObject({ ok: true, evidence: { isMainPid: true, inUnit: true, rogue: false } });
    // A worker child of the unit: not the MainPID, but inside its cgroup.
    expect(await runProbe("port_owner", { port: 9003, unit: "palantir" }, scriptedHost(answer("70")))).toMatchObject({ ok: true, evidence: { isMainPid: false, inUnit: true, rogue: false } });
    expect(await runProbe("port_owner", { port: 9003, unit: "palantir" }, scriptedHost(answer("down")))).toMatchObject({ ok: true, evidence: { isMainPid: undefined, rogue: undefined, notes: [expect.stringContaining("service manager")] } });
  });

  test("port_owner falls back to lsof when ss shows the socket without its process", async () => {
    const host = scriptedHost((argv) => {
      if (argv[0] === "ss") return { stdout: "LISTEN 0 511 0.0.0.0:9003 0.0.0.0:*\n" };
      if (argv[0] === "lsof") return { stdout: "p42\ncnode\nu1000\nLpalantir\n" };
      if (argv[0] === "ps") return { stdout: "42 1 palantir 5 node server.js\n" };
      return { code: 1 };
    });
    expect(await runProbe("port_owner", { port: 9003 }, host)).toMatchObject({ ok: true, evidence: { pid: 42, via: "lsof", ppid: 1, inUnit: undefined, isMainPid: undefined, rogue: undefined } });
  });

  test("disk_usage walks up from a file that does not exist to the first path df knows", async () => {
    const host = scriptedHost((argv) => argv[3] === "/data" ? { stdout: "Filesystem 1024-blocks Used Available Capacity Mounted on\n/dev/sdb 1000 990 10 99% /data\n" } : { code: 1, stderr: `df: ${argv[3] ?? ""}: No such file or directory\n` });
    expect(await runProbe("disk_usage", { path: "/data/tmp/tracktion_1234.wav" }, host)).toMatchObject({ ok: true, evidence: { mountedOn: "/data", usedPercent: 99 } });
    expect(host.calls.map((c) => c[3])).toEqual(["/data/tmp/tracktion_1234.wav", "/data/tmp", "/data"]);
  });

  test("port_owner lists every process sharing the socket and names the first", async () => {
    const host = scriptedHost((argv) => {
      if (argv[0] === "ss") return { stdout: 'LISTEN 0 511 0.0.0.0:80 0.0.0.0:* users:(("nginx",pid=10,fd=6),("nginx",pid=11,fd=6),("nginx",pid=10,fd=7))\nLISTEN 0 511 [::]:80 [::]:* users:(("nginx",pid=12,fd=7))\n' };
      if (argv[0] === "ps") return { stdout: "10 1 root 100 nginx: master process\n" };
      return { code: 1 };
    });
    const r = await runProbe("port_owner", { port: 80 }, host);
    expect(r).toMatchObject({ ok: true, evidence: { pid: 10, holders: [10, 11, 12] } });
    expect(r.text).toBe("port 80 held by PID 10 (nginx: master process) and 2 other processes, user root, PPID 1");
  });

  test("nothing listening is an answer", async () => {
    const r = await runProbe("port_owner", { port: 9003 }, scriptedHost(() => ({ stdout: "" })));
    expect(r).toMatchObject({ ok: true, evidence: { listening: false, pid: undefined }, text: "nothing listens on port 9003" });
  });
});
