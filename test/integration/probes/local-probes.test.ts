// Probes on this machine against real processes: port_owner, process_info, file and disk probes, refusals, systemctl.
import { access } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { LocalHost } from "../../../src/hosts/index.js";
import { loadBuiltinRules } from "../../../src/rules/index.js";
import { probesForRule, runProbe, type PortOwner, type ProcessInfo } from "../../../src/probes/index.js";
import { parseLsofFields } from "../../../src/probes/port-owner.js";
import { freePort, makeTempDir, requireProgram } from "../../harness/program.js";
import { startDetachedListener, startListener, type Listener } from "./helpers.js";

const missing = ["ss", "lsof", "ps", "setsid", "busybox", "systemctl"].map((p) => requireProgram(p, p === "busybox" ? "busybox-static" : p)).find((a) => a.missing)?.missing;

describe.skipIf(missing !== undefined)(`probes on the local host ${missing ?? ""}`, () => {
  const host = new LocalHost();
  let tmp: { path: string; remove(): Promise<void> };
  const started: Listener[] = [];
  beforeAll(async () => { tmp = await makeTempDir("probes"); });
  afterAll(async () => {
    for (const l of started) l.stop();
    await host.close();
    await tmp.remove();
  });

  test("port_owner names the PID, parent and command of a real listener", async () => {
    const port = await freePort();
    const l = await startListener(host, port);
    started.push(l);
    const r = await runProbe("port_owner", { port: String(port) }, host);
    expect(r.ok).toBe(true);
    const e = (r.ok ? r.evidence : undefined) as PortOwner;
    expect(e).toMatchObject({ listening: true, pid: l.pid, ppid: process.pid, via: "ss", command: `busybox nc -l -p ${port}` });
    expect(r.text).toContain(`held by PID ${l.pid}`);
  });

  test("the built-in eaddrinuse_loop rule's probes, planned from a finding, run against a real listener", async () => {
    const rule = (await loadBuiltinRules()).find((r) => r.id === "eaddrinuse_loop");
    expect(rule?.probes).toEqual(["port_owner", "unit_status"]);
    const port = await freePort();
    const l = await startListener(host, port);
    started.push(l);
    const planned = probesForRule(rule ?? { probes: [] }, { fields: { port: String(port) }, service: "transcription-palantir" });
    const results = await Promise.all(planned.map((p) => ("params" in p ? runProbe(p.probe, p.params, host) : Promise.reject(new Error(p.skipped)))));
    expect(results.map((r) => [r.probe, r.ok])).toEqual([["port_owner", true], ["unit_status", false]]);
    expect(results[0]).toMatchObject({ evidence: { pid: l.pid, unit: "transcription-palantir", rogue: undefined } });
    expect(results[1]?.text).toMatch(/^unit_status on local failed: .*service manager[^\n]*$/);
    expect(results[1]).toMatchObject({ error: { hint: expect.stringContaining("does not run systemd") } });
  });

  test("the lsof fallback's parser reads real lsof output for the same listener", async () => {
    const port = await freePort();
    const l = await startListener(host, port);
    started.push(l);
    const r = await host.exec(["lsof", "-nP", `-iTCP:${port}`, "-sTCP:LISTEN", "-F", "pcLu"]);
    expect(parseLsofFields(r.stdout)).toEqual([{ pid: l.pid, name: "busybox", user: expect.any(String) }]);
  });

  test("a cancelled probe is a result that says so", async () => {
    const ac = new AbortController();
    ac.abort();
    expect(await runProbe("inotify_usage", {}, host, { signal: ac.signal })).toMatchObject({ ok: false, error: { reason: "aborted" } });
  });

  test("a listener started detached is reparented: PPID 1, as the rogue process of seed 000", async () => {
    const port = await freePort();
    const l = await startDetachedListener(host, port, tmp.path);
    started.push(l);
    const owner = await runProbe("port_owner", { port }, host);
    expect(owner).toMatchObject({ ok: true, evidence: { pid: l.pid, ppid: 1 } });
    const info = await runProbe("process_info", { pid: String(l.pid) }, host);
    expect(info).toMatchObject({ ok: true, evidence: { pid: l.pid, ppid: 1, exists: true } });
    expect((info.ok ? info.evidence : undefined) as ProcessInfo).toHaveProperty("elapsedSeconds");
    expect(info.text).toContain("reparented to init");
  });

  test("with a unit on a host without systemd, port_owner still names the owner and records why the unit is unknown", async () => {
    const port = await freePort();
    const l = await startListener(host, port);
    started.push(l);
    const r = await runProbe("port_owner", { port, unit: "palantir.service" }, host);
    expect(r).toMatchObject({ ok: true, evidence: { pid: l.pid, isMainPid: undefined, inUnit: undefined, notes: [expect.stringMatching(/cannot talk to a service manager/)] } });
  });

  test("unit_status says clearly that systemctl cannot reach a service manager", async () => {
    const r = await runProbe("unit_status", { unit: "palantir.service" }, host);
    expect(r).toMatchObject({ ok: false, error: { reason: "command_failed", message: expect.stringMatching(/cannot talk to a service manager on local/) } });
  });

  test("process_info on a PID that is gone says so", async () => {
    expect(await runProbe("process_info", { pid: 4_194_000 }, host)).toMatchObject({ ok: true, evidence: { exists: false }, text: "PID 4194000 is not running" });
  });

  test("file_exists and disk_usage read a real file and its filesystem", async () => {
    expect(await runProbe("file_exists", { path: tmp.path }, host)).toMatchObject({ ok: true, evidence: { exists: true, type: "directory" } });
    expect(await runProbe("file_exists", { path: join(tmp.path, "nope") }, host)).toMatchObject({ ok: true, evidence: { exists: false } });
    const d = await runProbe("disk_usage", { path: tmp.path }, host);
    expect(d).toMatchObject({ ok: true, evidence: { usedPercent: expect.any(Number), sizeKiB: expect.any(Number) } });
  });

  test("inotify_usage reads the limit and counts instances within its bounds", async () => {
    const r = await runProbe("inotify_usage", {}, host);
    expect(r).toMatchObject({ ok: true, evidence: { maxUserWatches: expect.any(Number), instances: expect.any(Number) } });
  });

  test("hostile values run nothing: the marker that $(touch X) would create stays absent", async () => {
    const marker = join(tmp.path, "pwned");
    for (const [name, params] of [
      ["unit_status", { unit: `$(touch ${marker})` }],
      ["unit_status", { unit: `foo; touch ${marker}` }],
      ["port_owner", { port: `9003; touch ${marker}` }],
      ["process_info", { pid: `1 $(touch ${marker})` }],
      ["container_state", { container: `x\`touch ${marker}\`` }],
    ] as const) {
      expect(await runProbe(name, params, host)).toMatchObject({ ok: false, error: { reason: "invalid_params" } });
    }
    // A valid absolute path may still hold shell syntax: it reaches stat as one literal argument.
    const literal = `${tmp.path}/$(touch ${marker})`;
    expect(await runProbe("file_exists", { path: literal }, host)).toMatchObject({ ok: true, evidence: { exists: false } });
    await expect(access(marker)).rejects.toMatchObject({ code: "ENOENT" });
  });
});
