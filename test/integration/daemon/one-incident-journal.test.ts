// Issue 14 with the journald source, on this host and over a real sshd: two units in a restart loop each, from a
// journal file written by systemd-journal-remote. Two incidents per host, each on the source's configured host (the
// entries' _HOSTNAME "palantir" is flagged on "local", an alias of "web1"), each probed there by itself.
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { journalAvailability, restartScheduledEntry, unitLineEntry, writeJournal } from "../../harness/journal.js";
import { freePort, makeTempDir } from "../../harness/program.js";
import { sshdAvailability, startSshd, type SshdInstance } from "../../harness/sshd.js";
import { startWatch, storedIncidents, writeConfig } from "./watch-process.js";

const missing = [journalAvailability(), sshdAvailability()].find((a) => a.missing !== undefined)?.missing;

describe.skipIf(missing !== undefined)(`one failure, one incident, from journald here and over SSH ${missing ?? ""}`, () => {
  let tmp: { path: string; remove(): Promise<void> };
  let sshd: SshdInstance;
  beforeAll(async () => {
    tmp = await makeTempDir("one-incident-journal");
    sshd = await startSshd();
  }, 60_000);
  afterAll(async () => {
    await sshd?.stop();
    await tmp?.remove();
  });

  test("two units looping are two incidents per host, with their host, their probes and no empty field", { timeout: 120_000 }, async () => {
    const ports = { alpha: await freePort(), beta: await freePort() };
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
    const state = path.join(tmp.path, "state");
    const config = await writeConfig(path.join(tmp.path, "firewatch.yaml"), {
      hosts: {
        local: { kind: "local" },
        web1: { kind: "ssh", host: sshd.host, port: sshd.port, user: sshd.user, privateKeyFile: key, fingerprints: [sshd.hostKeyFingerprint], aliases: ["palantir"] },
      },
      sources: [
        { kind: "journald", name: "journal", files: [journal], startAt: "beginning" },
        { kind: "journald", name: "web1-journal", host: "web1", files: [journal], startAt: "beginning" },
      ],
      store: { url: `file:${state}` },
    });
    const w = startWatch(config, ["--once-idle"]);
    expect((await w.exit()).code, w.proc.stderr().slice(-3000)).toBe(0);
    const all = await storedIncidents(state);
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
  });
});
