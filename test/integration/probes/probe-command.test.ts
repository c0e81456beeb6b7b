// `firewatch probe ID` against a real listener: seed 000's incident on a free port, probed again, stored and printed.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Command } from "commander";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { runCli } from "../../../src/cli/program.js";
import { registerProbe, type ProbeIo } from "../../../src/cli/probe.js";
import { FileStore, RedisStore } from "../../../src/store/index.js";
import { systemClock } from "../../../src/time.js";
import { freePort, makeTempDir, requireProgram } from "../../harness/program.js";
import { redisAvailability, startRedis } from "../../harness/redis.js";
import { seed000At, startNodeListener, type NodeListener } from "./port-incident.js";

const missing = [requireProgram("ss", "iproute2"), requireProgram("ps", "procps"), redisAvailability()].find((a) => a.missing)?.missing;

/** A rule of our own that asks only who holds the port, so a run can have every probe answer. */
const PORT_HELD = `id: port_held
title: "{service} cannot bind port {port}"
severity: high
description: Asks only who holds the port (a test rule).
kind: single
match:
  any: ['Is port (?<port>\\d{1,5}) in use\\?']
group_by: [host, port]
probes: [port_owner]
`;

describe.skipIf(missing !== undefined)(`firewatch probe ID ${missing ?? ""}`, () => {
  let tmp: { path: string; remove(): Promise<void> };
  let listener: NodeListener;
  let pid = 0;
  let port = 0;
  let storeDir = "";
  let config = "";
  /** Seed 000's crash loop (eaddrinuse_loop + systemd_restart_loop) and the same port under port_held alone. */
  let loopId = "";
  let heldId = "";

  const run = async (args: readonly string[]) => {
    const out: string[] = [];
    let code = 0;
    const io: ProbeIo = { stdout: { write: (s: string) => out.push(s) }, env: {}, clock: systemClock, setExitCode: (c) => void (code = c) };
    const program = new Command("firewatch").exitOverride();
    registerProbe(program, io.setExitCode, io);
    await program.parseAsync(["node", "firewatch", "probe", ...args]);
    return { code, out: out.join("") };
  };
  const storedProbes = async (id: string) => {
    const store = await FileStore.open(storeDir, { clock: systemClock });
    try {
      return (await store.get(id))?.probes ?? [];
    } finally {
      await store.close();
    }
  };

  beforeAll(async () => {
    tmp = await makeTempDir("probe-cmd");
    port = await freePort();
    listener = await startNodeListener(port);
    pid = listener.pid;
    storeDir = join(tmp.path, "store");
    const rulesDir = join(tmp.path, "rules");
    await mkdir(rulesDir);
    await writeFile(join(rulesDir, "port_held.yaml"), PORT_HELD);
    // The logs are mithrandir's; firewatch runs on mithrandir, so that host is this machine.
    config = join(tmp.path, "firewatch.yaml");
    await writeFile(config, `hosts:\n  mithrandir: { kind: local }\nrules:\n  dirs: [${JSON.stringify(rulesDir)}]\nstore:\n  url: ${JSON.stringify(`file:${storeDir}`)}\n`);
    const store = await FileStore.open(storeDir, { clock: systemClock });
    try {
      const loop = await seed000At(port, tmp.path);
      loopId = (await store.upsert(loop)).incident.incident.id;
      const bind = loop.findings.find((f) => f.rule === "eaddrinuse_loop");
      if (!bind) throw new Error("no eaddrinuse_loop finding");
      const held = { ...loop, fingerprint: "f".repeat(64), id: "fw-ffffffff", findings: [{ ...bind, rule: "port_held" }] };
      heldId = (await store.upsert(held)).incident.incident.id;
    } finally {
      await store.close();
    }
  });
  afterAll(async () => {
    listener.stop();
    await tmp.remove();
  });

  test("port_owner names the listener's PID; the results are stored; a failed unit_status makes exit 1", async () => {
    const r = await run([loopId, "--config", config]);
    expect(r.out).toContain(`✅ port ${port}`);
    expect(r.out).toMatch(new RegExp(`held by PID ${pid}\\b`));
    // No systemd in this sandbox: unit_status answers with why, and that is a failed probe.
    expect(r.out).toMatch(/^❌ unit_status on mithrandir failed/m);
    expect(r.code).toBe(1);
    const probes = await storedProbes(loopId);
    expect(probes.find((p) => p.probe === "port_owner")).toMatchObject({ ok: true, host: "mithrandir", data: { listening: true, pid: pid } });
    expect(probes.map((p) => p.probe)).toEqual(expect.arrayContaining(["port_owner", "unit_status"]));
  });

  test("every probe answering is exit 0; --format json gives the stored results", async () => {
    const r = await run([heldId, "--config", config, "--format", "json"]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out) as { incident: string; probes: { probe: string; ok: boolean; summary: string; data: { pid?: number } }[] };
    expect(doc.incident).toBe(heldId);
    expect(doc.probes.filter((p) => p.probe === "port_owner")).toEqual([expect.objectContaining({ ok: true, data: expect.objectContaining({ pid: pid }) })]);
    expect((await storedProbes(heldId)).map((p) => p.summary)).toEqual(doc.probes.map((p) => p.summary));
  });

  test("without a config naming the incident's host nothing runs there, and the output says what to add", async () => {
    const r = await run([loopId, "--store", `file:${storeDir}`]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^❌ port_owner on mithrandir not run: no host named "mithrandir" is configured$/m);
    expect(r.out).toContain('hint: pass --config with a firewatch.yaml whose hosts name "mithrandir"');
  });

  test("an unknown id, a missing id and a bad format exit 2", async () => {
    const err = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      expect(await runCli(["node", "firewatch", "probe", "fw-00000000", "--config", config])).toBe(2);
      expect(err.mock.calls.map((c) => String(c[0])).join("")).toContain('no incident "fw-00000000" in the store');
      expect(await runCli(["node", "firewatch", "probe"])).toBe(2);
      expect(await runCli(["node", "firewatch", "probe", loopId, "--config", config, "--format", "xml"])).toBe(2);
    } finally {
      err.mockRestore();
    }
  });

  test("beside a process that owns the file store, the error points at Slack or a Redis store", async () => {
    const holder = await FileStore.open(storeDir, { clock: systemClock });
    try {
      await expect(run([loopId, "--config", config])).rejects.toMatchObject({ code: "store_locked", message: expect.stringContaining("/firewatch probe ID") });
    } finally {
      await holder.close();
    }
  });

  test("on a Redis store it runs beside another process that has the store open (a running watch)", async () => {
    const redis = await startRedis();
    const watch = await RedisStore.connect(redis.url, { clock: systemClock });
    try {
      const stored = await FileStore.open(storeDir, { clock: systemClock }).then(async (fs) => {
        try {
          return await fs.get(heldId);
        } finally {
          await fs.close();
        }
      });
      if (!stored) throw new Error("no incident to copy");
      await watch.upsert(stored.incident);
      const r = await run([heldId, "--config", config, "--store", redis.url]);
      expect(r.code).toBe(0);
      expect(r.out).toContain(`held by PID ${pid}`);
      // The other process sees the new results at once.
      expect((await watch.get(heldId))?.probes.find((p) => p.probe === "port_owner")).toMatchObject({ ok: true, data: { pid } });
    } finally {
      await watch.close();
      await redis.cleanup();
    }
  });
});
