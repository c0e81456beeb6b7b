// Source throughput: lines/s read by the file follower (local and over a real sshd) and entries/s from journald.
// Run: node --import tsx bench/sources.mjs [--lines N]   (npm run bench runs it last). Not a test: prints figures.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalHost, SshHost } from "../src/hosts/index.ts";
import { FileFollower, followJournal, hostFileAccess, localFileAccess } from "../src/sources/index.ts";
import { journalAvailability, unitLineEntry, writeJournal } from "../test/harness/journal.ts";
import { sshdAvailability, startSshd } from "../test/harness/sshd.ts";

const argN = process.argv.indexOf("--lines");
const N = argN > 0 ? Number(process.argv[argN + 1]) : 200_000;
const line = (i) => `2025-12-26T22:57:01.123Z INFO worker[4242]: seq=${i} processed job ${i % 977} in ${i % 300} ms\n`;

/** Reads a file to its end with a follower (every record handed out), as the daemon's lane does. */
async function readAll(access, path) {
  const f = new FileFollower({ access, path, startAt: "beginning", rotateWaitMs: 0, partialLastLine: "take" });
  const t0 = process.hrtime.bigint();
  let n = 0;
  for (;;) {
    const before = f.stats.bytes;
    n += (await f.poll()).length;
    if (f.stats.bytes === before) break;
  }
  n += f.flush().length;
  return { n, s: Number(process.hrtime.bigint() - t0) / 1e9, bytes: f.stats.bytes };
}

const row = (label, r, unit = "lines") => console.log(`| ${label} | ${r.n.toLocaleString("en-US")} | ${r.s.toFixed(2)} | ${Math.round(r.n / r.s).toLocaleString("en-US")} ${unit}/s |${r.bytes ? ` ${(r.bytes / 1048576 / r.s).toFixed(1)} MiB/s |` : " |"}`);

const dir = await mkdtemp(join(tmpdir(), "fw-bench-src-"));
try {
  const file = join(dir, "app.log");
  let text = "";
  for (let i = 1; i <= N; i++) text += line(i);
  await writeFile(file, text);
  console.log(`## Sources (${new Date().toISOString()}, ${N.toLocaleString("en-US")} lines of ${(text.length / 1048576).toFixed(1)} MiB)\n`);
  console.log("| source | records | seconds | rate | bytes |\n|---|---:|---:|---:|---:|");
  row("file, local (node:fs, 1 MiB per read)", await readAll(localFileAccess(), file));
  if (sshdAvailability().missing === undefined) {
    const sshd = await startSshd();
    const host = new SshHost({ host: sshd.host, port: sshd.port, user: sshd.user, privateKey: sshd.privateKey, hostKey: { fingerprints: [sshd.hostKeyFingerprint] } });
    try {
      row("file over SSH (loopback sshd, one command per look)", await readAll(hostFileAccess(host), file));
    } finally {
      await host.close();
      await sshd.stop();
    }
  } else console.log(`| file over SSH | skipped: ${sshdAvailability().missing} | | | |`);
  if (journalAvailability().missing === undefined) {
    const journal = join(dir, "bench.journal");
    const entries = Math.min(N, 50_000);
    await writeJournal(journal, Array.from({ length: entries }, (_, i) => unitLineEntry(1.7e15 + i * 1000, "worker.service", 4242, line(i + 1).trimEnd())));
    const t0 = process.hrtime.bigint();
    let n = 0;
    for await (const _ of followJournal({ host: new LocalHost(), files: [journal], follow: false, startAt: "beginning" })) n++;
    row("journald (journalctl -o json, catch-up run)", { n, s: Number(process.hrtime.bigint() - t0) / 1e9 }, "entries");
  } else console.log(`| journald | skipped: ${journalAvailability().missing} | | | |`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
