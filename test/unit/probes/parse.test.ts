import { describe, expect, test } from "vitest";
import { inCgroup, parseLsofFields, parseProcCgroup, parseSsListeners, parseSsListenersByPort } from "../../../src/probes/port-owner.js";
import { parsePsLine } from "../../../src/probes/process-info.js";
import { parseSystemctlShow } from "../../../src/probes/unit-status.js";
import { parseDockerInspect } from "../../../src/probes/container-state.js";
import { parseDfPosix, pathAndParents } from "../../../src/probes/file-exists.js";
import { fdinfoPaths, watchesByPid } from "../../../src/probes/inotify-usage.js";

describe("probe output parsers (outputs recorded from real commands)", () => {
  test("ss -ltnpH names every process sharing the listener, and a line without users: has no pid", () => {
    const out = [
      'LISTEN 0      511          0.0.0.0:9003      0.0.0.0:*    users:(("node",pid=1573680,fd=21),("node",pid=1573681,fd=21))',
      "LISTEN 0      4096               *:9004            *:*",
      "",
    ].join("\n");
    expect(parseSsListeners(out)).toEqual([
      { pid: 1573680, name: "node" },
      { pid: 1573681, name: "node" },
      { pid: undefined, name: undefined },
    ]);
    expect(parseSsListeners("")).toEqual([]);
  });

  test("ss -ltnpH of several ports splits by the local address's port (IPv4, IPv6, any, an interface)", () => {
    const out = [
      'LISTEN 0      511        127.0.0.1:39002      0.0.0.0:* users:(("node",pid=29824,fd=20))',
      'LISTEN 0      511                *:39001            *:* users:(("node",pid=29825,fd=19))',
      'LISTEN 0      4096   127.0.0.53%lo:53         0.0.0.0:* users:(("systemd-resolve",pid=412,fd=14))',
      "LISTEN 0      511             [::]:39002         [::]:*",
      "",
    ].join("\n");
    expect(parseSsListenersByPort(out)).toEqual(
      new Map([
        [39002, [{ pid: 29824, name: "node" }, { pid: undefined, name: undefined }]],
        [39001, [{ pid: 29825, name: "node" }]],
        [53, [{ pid: 412, name: "systemd-resolve" }]],
      ]),
    );
  });

  test("lsof -F pcLu groups fields per process", () => {
    expect(parseLsofFields("p25268\ncbusybox\nu0\nLroot\np7\ncnode\nu1000\n")).toEqual([
      { pid: 25268, name: "busybox", user: "root" },
      { pid: 7, name: "node", user: "1000" },
    ]);
  });

  test("ps -o pid=,ppid=,user=,etimes=,args= keeps spaces in the command line", () => {
    expect(parsePsLine("1573680       1 palantir  86400 /usr/bin/node /opt/palantir/server.js --port 9003")).toEqual({
      pid: 1573680, ppid: 1, user: "palantir", elapsedSeconds: 86400, command: "/usr/bin/node /opt/palantir/server.js --port 9003",
    });
    expect(parsePsLine("garbage")).toBeUndefined();
  });

  test("systemctl show: MainPID 0 means none; a missing unit says not-found", () => {
    const s = parseSystemctlShow("palantir.service", "MainPID=0\nNRestarts=485\nActiveState=activating\nSubState=auto-restart\nResult=exit-code\nLoadState=loaded\nControlGroup=/system.slice/palantir.service\n");
    expect(s).toEqual({ unit: "palantir.service", loadState: "loaded", activeState: "activating", subState: "auto-restart", result: "exit-code", mainPid: undefined, nRestarts: 485, controlGroup: "/system.slice/palantir.service" });
    expect(parseSystemctlShow("x.service", "MainPID=0\nNRestarts=0\nActiveState=inactive\nSubState=dead\nResult=success\nLoadState=not-found\nControlGroup=\n")).toMatchObject({ loadState: "not-found", controlGroup: undefined });
  });

  test("/proc/PID/cgroup (v1 and v2) and cgroup membership", () => {
    const v2 = parseProcCgroup("0::/system.slice/palantir.service\n");
    expect(v2).toEqual(["/system.slice/palantir.service"]);
    expect(inCgroup(v2, "/system.slice/palantir.service")).toBe(true);
    expect(inCgroup(parseProcCgroup("0::/system.slice/palantir.service/worker\n"), "/system.slice/palantir.service")).toBe(true);
    expect(inCgroup(parseProcCgroup("0::/user.slice/user-1000.slice/session-3.scope\n"), "/system.slice/palantir.service")).toBe(false);
    expect(inCgroup(parseProcCgroup("0::/system.slice/palantir.service2\n"), "/system.slice/palantir.service")).toBe(false);
    expect(inCgroup(["/"], "/")).toBe(false);
  });

  test("docker inspect: exit 137 after an OOM kill, restart count, no health check", () => {
    const json = JSON.stringify([{ Id: "abc123", Name: "/worker", RestartCount: 7, State: { Status: "restarting", Running: true, Restarting: true, OOMKilled: true, ExitCode: 137, Pid: 0, Error: "", StartedAt: "2026-01-01T00:00:00Z", FinishedAt: "2026-01-01T00:00:20Z" } }]);
    expect(parseDockerInspect("worker", json)).toMatchObject({ id: "abc123", name: "worker", exitCode: 137, oomKilled: true, restartCount: 7, pid: undefined, health: undefined, restarting: true });
    expect(() => parseDockerInspect("worker", "[]")).toThrow(/lacks State/);
    expect(() => parseDockerInspect("worker", "Error: nope")).toThrow(/no JSON/);
  });

  test("df -P with a mount point containing a space", () => {
    const out = "Filesystem     1024-blocks     Used Available Capacity Mounted on\n/dev/vda         264212084 23749540  82641372      23% /mnt/my disk\n";
    expect(parseDfPosix("/mnt/my disk/x", out)).toEqual({ path: "/mnt/my disk/x", filesystem: "/dev/vda", sizeKiB: 264212084, usedKiB: 23749540, availableKiB: 82641372, usedPercent: 23, mountedOn: "/mnt/my disk" });
    expect(() => parseDfPosix("/", "df: /nope: No such file or directory\n")).toThrow(/df -P printed/);
  });

  test("pathAndParents stops at / and at its bound", () => {
    expect(pathAndParents("/a/b/c/", 10)).toEqual(["/a/b/c", "/a/b", "/a", "/"]);
    expect(pathAndParents("/", 10)).toEqual(["/"]);
    expect(pathAndParents("/a/b/c/d/e", 2)).toEqual(["/a/b/c/d/e", "/a/b/c/d"]);
  });

  test("inotify: only /proc/PID/fd/N lines become fdinfo paths; watches sum per PID", () => {
    expect(fdinfoPaths("/proc/12/fd/4\n/proc/self/fd/3\n/proc/13/fd/7\nfind: '/proc/9/fd': Permission denied\n")).toEqual(["/proc/12/fdinfo/4", "/proc/13/fdinfo/7"]);
    expect([...watchesByPid("/proc/12/fdinfo/4:3\n/proc/12/fdinfo/5:2\n/proc/13/fdinfo/7:0\n")]).toEqual([[12, 5], [13, 0]]);
  });
});
