// Issue 13/14: a live record's host is its source's configured host; a host the line names is shown, never followed.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { GuardConfigSchema, offerActions } from "../../../src/actions/index.js";
import type { ExecResult, Host, HostProcess } from "../../../src/hosts/index.js";
import { createDaemonMetrics } from "../../../src/daemon/metrics.js";
import { createPipeline } from "../../../src/daemon/pipeline.js";
import { createRecordHost, hostAliases } from "../../../src/daemon/record-host.js";
import type { SourceItem } from "../../../src/daemon/source-runner.js";
import type { LogRecord } from "../../../src/parsers/index.js";
import { runIncidentProbes } from "../../../src/probes/index.js";
import { createMatcher, compileRules, loadRules } from "../../../src/rules/index.js";
import { FileStore } from "../../../src/store/index.js";

const T0 = Date.UTC(2026, 11, 7, 2, 0, 0);
const clock = { now: () => T0 + 60_000, sleep: () => new Promise<void>(() => undefined) };

function rec(host: string | undefined, fields: Record<string, string> = {}): LogRecord {
  return { text: "x", message: "x", time: T0, host, service: "api", pid: undefined, level: undefined, fields, format: "syslog", ref: { file: "a.log", line: 1, endLine: 1 }, truncatedBytes: 0 };
}

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "fw-record-host-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("createRecordHost", () => {
  const names = hostAliases({ mithrandir: { kind: "ssh", aliases: ["mithrandir.lan"] }, web1: { kind: "ssh" } }, "vm.example");
  const onHost = createRecordHost(names);

  test("the record takes its source's host; a host the line names that is no alias is kept as logged_host", () => {
    expect(onHost(rec("web1"), "mithrandir")).toMatchObject({ host: "mithrandir", fields: { logged_host: "web1" } });
    expect(onHost(rec("MITHRANDIR.lan"), "mithrandir").fields).toEqual({});
    expect(onHost(rec(undefined), "mithrandir")).toMatchObject({ host: "mithrandir", fields: {} });
  });

  test("a local host answers to the machine's hostname, full and short; an ssh host does not", () => {
    expect(onHost(rec("vm"), "local").fields).toEqual({});
    expect(onHost(rec("vm.example"), "local").fields).toEqual({});
    expect(onHost(rec("vm"), "web1").fields).toEqual({ logged_host: "vm" });
  });
});

describe("a line naming another configured host, read on mithrandir", () => {
  test("its incident, probes and buttons are on mithrandir only", async () => {
    const rules = await loadRules({ dirs: [] });
    const byId = new Map(rules.map((r) => [r.id, r]));
    // As the syslog parser reads "…Z web1 api[42]: Error: listen EADDRINUSE…": the line names host web1.
    const records = [1, 2, 3].map((i): LogRecord => {
      const message = "Error: listen EADDRINUSE: address already in use :::9003";
      return { ...rec("web1"), text: `2026-12-07T02:00:0${i}Z web1 api[42]: ${message}`, message, time: T0 + i * 1000, pid: 42, ref: { file: "/var/log/app.log", line: i, endLine: i } };
    });
    const items: SourceItem[] = records.map((r, i) => ({ source: "app", host: "mithrandir", record: r, part: "/var/log/app.log", cursor: String(i + 1) }));
    expect(records[0]?.host).toBe("web1");
    const store = await FileStore.open(join(root, "s"), { clock });
    try {
      const pipeline = createPipeline({
        store, rules, match: createMatcher(compileRules(rules)), clock, log: pino({ level: "silent" }), metrics: createDaemonMetrics(), run: "r",
        resolveAfter: () => undefined, resumedFrom: new Map(), hostNames: hostAliases({ mithrandir: { kind: "ssh" }, web1: { kind: "ssh" } }, "vm"),
        onChanges: async () => undefined,
      });
      await pipeline.run((async function* () {
        yield items;
      })());
      const [stored] = await store.list();
      expect(stored?.incident.host).toBe("mithrandir");
      expect(stored?.incident.findings[0]).toMatchObject({ host: "mithrandir", fields: { port: "9003", logged_host: "web1" } });

      const asked: Record<string, string[]> = { mithrandir: [], web1: [] };
      const host = (name: string): Host => ({
        name,
        exec: async (argv): Promise<ExecResult> => {
          asked[name]?.push(argv.join(" "));
          const answers: Record<string, string> = {
            ss: 'LISTEN 0 512 *:9003 *:* users:(("node",pid=4242,fd=16))\n',
            ps: "4242 1 root 100 node rogue.js\n",
            cat: "0::/user.slice\n",
            systemctl: "MainPID=0\nNRestarts=3\nActiveState=activating\nSubState=auto-restart\nResult=exit-code\nLoadState=loaded\nControlGroup=/system.slice/api.service\n",
          };
          const out = answers[argv[0] ?? ""];
          const code = out === undefined ? 1 : 0;
          return { code, signal: null, stdout: out ?? "", stderr: "", truncated: false, timedOut: false };
        },
        spawn: (): Promise<HostProcess> => Promise.reject(new Error("not used")),
        close: () => Promise.resolve(),
      });
      const hosts = new Map(["mithrandir", "web1"].map((n) => [n, host(n)]));
      if (!stored) throw new Error("no incident");
      const probes = await runIncidentProbes(stored, byId, { host: (n) => hosts.get(n), clock });
      expect(probes.length).toBeGreaterThan(0);
      expect(new Set(probes.map((p) => p.host))).toEqual(new Set(["mithrandir"]));
      expect(asked.web1).toEqual([]);
      expect(asked.mithrandir?.some((c) => c.startsWith("ss "))).toBe(true);
      const policy = { users: ["U1"], channels: ["C1"], hosts: ["*"], targets: ["*"], ports: ["1024-65535"] };
      const offers = offerActions({ ...stored, probes }, byId, GuardConfigSchema.parse({ actions: { kill_port_owner: policy, restart_unit: policy, restart_container: policy } }));
      // The kill only: a restart of api cannot help while the rogue holds its port.
      expect(offers.map((o) => [o.action, o.host])).toEqual([["kill_port_owner", "mithrandir"]]);
    } finally {
      await store.close();
    }
  });
});
