// Issue 14, item 10: `act kill_port_owner --incident ID` picks the finding whose precondition holds now, or says why none does.
import { describe, expect, test } from "vitest";
import type { ActionProbes, PortHolder } from "../../../src/actions/index.js";
import { chooseFinding, paramProblem } from "../../../src/cli/act-choose.js";
import type { Finding } from "../../../src/correlate/index.js";
import type { StoredIncident } from "../../../src/store/index.js";

function finding(port: string, lastSeen: number, state: Finding["state"] = "firing"): Finding {
  return { rule: "eaddrinuse_loop", severity: "critical", state, count: 5, firstSeen: 1, lastSeen, host: "local", service: "api", groupKey: `p${port}`, fields: { port }, evidence: [], cadence: undefined, table: undefined, recoveredAt: undefined };
}
function stored(findings: Finding[]): StoredIncident {
  return {
    v: 1, status: "open", createdAt: 0, updatedAt: 0, lastActivityAt: 0, acknowledged: undefined, resolved: undefined, reopenTimes: [], reopenCount: 0, flapping: false, silencedBy: undefined, slack: undefined, history: [], carry: {},
    probes: [{ probe: "port_owner", params: { port: "9003", container: "api" }, host: "local", at: 1, ok: true, summary: "rogue", data: {} }],
    incident: { id: "fw-0000abcd", fingerprint: "0".repeat(64), title: "t", severity: "critical", status: "open", host: "local", service: "api", firstSeen: 1, lastSeen: 2, findings },
  };
}
function probes(holders: Record<string, PortHolder | undefined>): ActionProbes {
  return {
    portHolder: async (_h, port) => holders[port],
    unitState: async () => undefined,
    containerState: async () => undefined,
    failedJobCount: async () => 0,
  };
}
const rogue = (pid: string): PortHolder => ({ pid, command: "nc -l -p 9004", inUnit: false, inContainer: false, otherHolders: [] });
const own = (pid: string): PortHolder => ({ pid, command: "nc -l -p 9003", inUnit: true, inContainer: true, otherHolders: [] });

describe("chooseFinding for kill_port_owner", () => {
  test("skips the already-fixed finding (its port is the service's own now) and takes the one a rogue still holds", async () => {
    const s = stored([finding("9003", 200), finding("9004", 100)]);
    const chosen = await chooseFinding("kill_port_owner", s, "local", probes({ "9003": own("77"), "9004": rogue("4242") }), {});
    expect(chosen).toMatchObject({ params: { port: "9004", pid: "4242", container: "api" } });
  });

  test("no finding qualifies: one line says what each lacks", async () => {
    const s = stored([finding("9003", 200), finding("9004", 100)]);
    expect(await chooseFinding("kill_port_owner", s, "local", probes({ "9003": own("77") }), {})).toBe(
      "port 9003 (eaddrinuse_loop): PID 77 (nc -l -p 9003) is container api's own; port 9004 (eaddrinuse_loop): nothing holds it now",
    );
    expect(await chooseFinding("kill_port_owner", stored([]), "local", probes({}), {})).toBe("no finding of fw-0000abcd names a port");
  });

  test("a holder the probe could not place is no choice, only the lead a dry-run may show", async () => {
    const unsure: PortHolder = { pid: "55", command: "nc -l -p 9003", inUnit: undefined, inContainer: undefined, otherHolders: [] };
    const s = stored([finding("9003", 200)]);
    expect(await chooseFinding("kill_port_owner", s, "local", probes({ "9003": unsure }), {})).toEqual({
      params: { port: "9003", container: "api", pid: "55" },
      from: { port: "finding eaddrinuse_loop", container: "finding eaddrinuse_loop", pid: "probe port_owner now: nc -l -p 9003" },
      unproven: "port 9003 (eaddrinuse_loop): PID 55 (nc -l -p 9003) may be container api's own (the probe could not tell)",
    });
  });

  test("a PID given by --param leaves the choice to the operator; other actions choose nothing here", async () => {
    const s = stored([finding("9003", 200)]);
    expect(await chooseFinding("kill_port_owner", s, "local", probes({}), { pid: "12" })).toBeUndefined();
    expect(await chooseFinding("restart_container", s, "local", probes({}), {})).toBeUndefined();
  });

  test("a missing parameter is said in words, never as the schema's message", () => {
    const text = paramProblem("kill_port_owner", { port: "9003" }, [["pid"]]);
    expect(text).toBe("kill_port_owner cannot run: no pid (give --param pid=…)");
    expect(text).not.toMatch(/Invalid input|expected string/);
  });
});
