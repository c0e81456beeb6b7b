// Issue 14 with the journald source, on this host and over a real sshd: two units in a restart loop each, from a
// journal file written by systemd-journal-remote. Two incidents per host, each on the source's configured host (the
// entries' _HOSTNAME "palantir" is flagged on "local", an alias of "web1"), each probed there by itself. Then the fix
// over SSH: a rogue holds alpha's port on web1, two people (two accounts, sharing the store through Redis) approve its
// kill, the kill runs on web1, and the running daemon rewrites the report as the postmortem.
import { chmod, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { localActor } from "../../../src/cli/act.js";
import { LocalHost } from "../../../src/hosts/index.js";
import { alive, firewatch, NOBODY, rootAvailability, SECRET, startFirewatch } from "../actions/act-helpers.js";
import { writeStandInSystemctl } from "../bot/rogue.js";
import { startDetachedListener, until, type Listener } from "../probes/helpers.js";
import { journalAvailability, restartScheduledEntry, unitLineEntry, writeJournal } from "../../harness/journal.js";
import { freePort, makeTempDir } from "../../harness/program.js";
import { sshdAvailability, startSshd, type SshdInstance } from "../../harness/sshd.js";
import { RedisStore } from "../../../src/store/index.js";
import { systemClock } from "../../../src/time.js";
import { redisAvailability, startRedis, type RedisInstance } from "../../harness/redis.js";
import { startWatch, writeConfig, type WatchProcess } from "./watch-process.js";

const missing = [journalAvailability(), sshdAvailability(), redisAvailability(), rootAvailability()].find((a) => a.missing !== undefined)?.missing;

describe.skipIf(missing !== undefined)(`one failure, one incident, from journald here and over SSH ${missing ?? ""}`, () => {
  let tmp: { path: string; remove(): Promise<void> };
  let sshd: SshdInstance;
  let rogue: Listener | undefined;
  let running: WatchProcess | undefined;
  // Two people approve from two accounts: they share the store through Redis (a file store is its owner's alone).
  let redis: RedisInstance;
  const local = new LocalHost();
  beforeAll(async () => {
    tmp = await makeTempDir("one-incident-journal");
    // The approver runs as another user: it must be able to read the config.
    await chmod(tmp.path, 0o755);
    redis = await startRedis();
    // web1 has no systemd: its sessions find a stand-in systemctl (written once the rogue's PID is known) first on PATH.
    sshd = await startSshd({ extraConfig: [`SetEnv PATH=${path.join(tmp.path, "bin")}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`] });
  }, 60_000);
  afterAll(async () => {
    await running?.kill9();
    rogue?.stop();
    await local.close();
    await sshd?.stop();
    await redis?.cleanup();
    await tmp?.remove();
  });

  test("two units looping are two incidents per host, with their host, their probes and no empty field; one is fixed over SSH", { timeout: 180_000 }, async () => {
    const ports = { alpha: await freePort(), beta: await freePort() };
    // A rogue holds alpha's port on web1 (the sshd's machine): the daemon's probe over SSH must name it.
    rogue = await startDetachedListener(local, ports.alpha, tmp.path);
    await writeStandInSystemctl(path.join(tmp.path, "bin"), rogue.pid, "alpha");
    const now = Date.now() * 1000;
    const entries = (["alpha", "beta"] as const).flatMap((u, k) =>
      Array.from({ length: 4 }, (_, i) => {
        const t = now - 60_000_000 + (k * 4 + i) * 2_000_000;
        const unit = `${u}.service`;
        // One line with the port, one without (the same failure told with less detail), then systemd's restart.
        return [
          unitLineEntry(t, unit, 4000 + i, `Error: listen EADDRINUSE: address already in use :::${ports[u]}`, 3),
          unitLineEntry(t + 100_000, unit, 4000 + i, "OSError: [Errno 98] Address already in use", 3),
          restartScheduledEntry(t + 1_000_000, unit, 10 + i),
        ];
      }).flat(),
    );
    const journal = path.join(tmp.path, "units.journal");
    await writeJournal(journal, entries);
    const key = path.join(tmp.path, "id_web1");
    await writeFile(key, sshd.privateKey, { mode: 0o600 });
    const storedIncidents = async () => {
      const store = await RedisStore.connect(redis.url, { clock: systemClock }, { namespace: "firewatch" });
      try {
        return await store.list();
      } finally {
        await store.close();
      }
    };
    const config = await writeConfig(path.join(tmp.path, "firewatch.yaml"), {
      hosts: {
        local: { kind: "local" },
        web1: { kind: "ssh", host: sshd.host, port: sshd.port, user: sshd.user, privateKeyFile: key, fingerprints: [sshd.hostKeyFingerprint], aliases: ["palantir"] },
      },
      sources: [
        { kind: "journald", name: "journal", files: [journal], startAt: "beginning" },
        { kind: "journald", name: "web1-journal", host: "web1", files: [journal], startAt: "beginning" },
      ],
      store: { url: redis.url },
      outputs: { jsonLines: true, reportDir: path.join(tmp.path, "reports") },
      guard: { actions: { kill_port_owner: { users: [localActor(), NOBODY.name], channels: ["cli"], hosts: ["web1"], targets: ["*"], ports: [ports.alpha] } } },
    });
    await chmod(config, 0o644);
    // The daemon keeps running: it probes by itself, and rewrites the report as a postmortem once the fix is made.
    const w = startWatch(config);
    running = w;
    const probed = await until(async () => {
      const list = await storedIncidents();
      return list.length === 4 && list.every((s) => s.probes.length > 0);
    }, 60_000).catch(() => false);
    expect(probed, w.proc.stderr().slice(-3000)).toBe(true);
    const all = await storedIncidents();
    const seen = all.map((s) => `${s.incident.host} ${s.incident.title} [${s.incident.findings.map((f) => `${f.rule}:${JSON.stringify(f.fields)}`).join(" ")}] probes=${s.probes.map((p) => `${p.probe}@${p.host}`).join(",")}`).join("\n");
    const units = (s: (typeof all)[number]) => [...new Set(s.incident.findings.map((f) => f.fields.unit ?? f.service))].join(",");
    // One incident per unit and host: the restart loop and the error that causes it together, never both units.
    expect(all.map((s) => `${s.incident.host} ${units(s)}`).sort(), seen).toEqual(["local alpha", "local beta", "web1 alpha", "web1 beta"]);
    for (const s of all) {
      expect(s.incident.findings.map((f) => f.rule).sort(), seen).toEqual(["eaddrinuse_loop", "systemd_restart_loop"]);
      // The port-less lines joined their unit's port finding: one eaddrinuse finding, with its port, nothing empty.
      expect(s.incident.findings.find((f) => f.rule === "eaddrinuse_loop")?.fields.port).toBe(String(ports[units(s) as "alpha" | "beta"]));
      for (const f of s.incident.findings) expect(Object.values(f.fields), f.groupKey).not.toContain("");
      // Probed by the daemon itself, on the incident's own host only.
      expect(s.probes.length, seen).toBeGreaterThan(0);
      expect(new Set(s.probes.map((p) => p.host))).toEqual(new Set([s.incident.host]));
      // "palantir" is no name of local (flagged), and an alias of web1 (not flagged).
      const logged = s.incident.findings.map((f) => f.fields.logged_host).filter((h) => h !== undefined);
      expect(logged.length > 0, seen).toBe(s.incident.host === "local");
    }

    // The fix over SSH: alpha's incident on web1 names the rogue (probed there), two people approve, the kill runs there.
    const target = all.find((s) => s.incident.host === "web1" && units(s) === "alpha");
    if (target === undefined) throw new Error(`no web1 alpha incident:\n${seen}`);
    expect(JSON.stringify(target.probes), seen).toContain(`"pid":${rogue.pid}`);
    const requester = startFirewatch(["act", "kill_port_owner", "--incident", target.incident.id, "--yes", "--config", config], { env: { FIREWATCH_GUARD__SECRET: SECRET } });
    const [, approvalId = ""] = await requester.lineMatching(new RegExp(`^approval (\\S+) requested by ${localActor()}`));
    const approver = await firewatch(["act", "approve", approvalId, "--yes", "--config", config], { uid: NOBODY.uid, env: { FIREWATCH_GUARD__SECRET: SECRET } });
    expect(approver.code, approver.stderr).toBe(0);
    const done = await requester.done();
    expect(done.stdout, done.stderr).toContain(`${target.incident.id} resolved`);
    expect(alive(rogue.pid)).toBe(false);
    // The daemon rewrites the report as the postmortem: the rogue, who asked, who approved, the postcondition.
    const reportFile = path.join(tmp.path, "reports", `${target.incident.id}.md`);
    expect(await until(async () => (await readFile(reportFile, "utf8")).includes("✅ **RESOLVED**"), 20_000).catch(() => false)).toBe(true);
    const report = await readFile(reportFile, "utf8");
    expect(report).toContain(`PID ${rogue.pid}`);
    expect(report).toContain(`| **Approved by** | ${NOBODY.name}`);
    expect(report).toContain(`| **Requested by** | ${localActor()}`);
    expect(report).toMatch(new RegExp(`\\| \\*\\*Postcondition\\*\\* \\| port ${ports.alpha} is free of PID ${rogue.pid}`));
    // The others stay open: one fix resolves only its own incident.
    const after = await storedIncidents();
    expect(after.filter((s) => s.status === "resolved").map((s) => s.incident.id)).toEqual([target.incident.id]);
    expect(await w.term()).toBe(0);
    running = undefined;
  });
});
