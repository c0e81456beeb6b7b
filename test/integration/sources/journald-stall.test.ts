// The journald source's stall check: a journalctl that is following but prints nothing while the journal has newer
// entries (`journalctl -n 1` shows them at two looks in a row) is a fault, and is started again from the last cursor.
// A real journalctl cannot be made to hang on demand, so this file puts a stand-in first on PATH: it runs the real
// journalctl for everything, except that once, asked to follow, it prints what there is and then hangs printing
// nothing (as a follower that missed the journal's change notifications does).
import { chmod, rm, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { LocalHost } from "../../../src/hosts/index.js";
import type { LogRecord } from "../../../src/parsers/index.js";
import { createJournaldStats, followJournal } from "../../../src/sources/index.js";
import { journalAvailability, journalEntry, writeJournal } from "../../harness/journal.js";
import { findProgram, makeTempDir } from "../../harness/program.js";

const avail = journalAvailability();

describe.skipIf(avail.missing !== undefined)(`followJournal with a journalctl that stops printing ${avail.missing ?? ""}`, () => {
  let tmp: { path: string; remove(): Promise<void> };
  const oldPath = process.env.PATH;
  beforeAll(async () => {
    tmp = await makeTempDir("journald-stall");
    const real = findProgram("journalctl");
    if (real === undefined) throw new Error("journalctl not found");
    const stub = join(tmp.path, "journalctl");
    await writeFile(
      stub,
      [
        "#!/bin/sh",
        `real='${real}'; dir='${tmp.path}'`,
        'case " $* " in *" --follow "*) ;; *) exec "$real" "$@" ;; esac',
        '[ -e "$dir/stall" ] || exec "$real" "$@"',
        'rm -f "$dir/stall"',
        'for a do shift; [ "$a" = --follow ] || set -- "$@" "$a"; done',
        '"$real" "$@"',
        ': > "$dir/stalled"',
        "exec sleep 600",
        "",
      ].join("\n"),
    );
    await chmod(stub, 0o755);
    process.env.PATH = `${tmp.path}${delimiter}${oldPath ?? ""}`;
  });
  afterAll(async () => {
    process.env.PATH = oldPath;
    await tmp?.remove();
  });

  test("a follower that prints nothing while the journal grows is a fault; it is restarted and nothing is lost or repeated", { timeout: 60_000 }, async () => {
    const file = join(tmp.path, "app.journal");
    const t0 = Date.now() * 1000;
    let written = 0;
    const write = async (n: number) => {
      await writeJournal(file, Array.from({ length: n }, (_, i) => journalEntry(t0 + written + i, { MESSAGE: `entry ${written + i + 1}`, _SYSTEMD_UNIT: "app.service" })));
      written += n;
    };
    await write(100);
    await writeFile(join(tmp.path, "stall"), "");
    const faults: string[] = [];
    let healed = 0;
    const stats = createJournaldStats();
    const ac = new AbortController();
    const it = followJournal({
      host: new LocalHost(), files: [file], startAt: "beginning", signal: ac.signal, stats, stallCheckMs: 300, random: () => 0,
      onFault: (d) => void faults.push(d), onHealed: () => void (healed += 1),
    });
    // Read all along, as the daemon does: the generator only goes on to its follow run when asked for more.
    const got: LogRecord[] = [];
    let failed: unknown;
    const reading = (async () => {
      for await (const r of it) got.push(r);
    })().catch((e: unknown) => void (failed = e));
    try {
      await expect.poll(() => failed ?? got.length, { timeout: 20_000 }).toBe(100);
      // The follow run has printed the backlog and hangs; what is written now only a restart can read.
      await expect.poll(() => existsSync(join(tmp.path, "stalled")), { timeout: 10_000 }).toBe(true);
      await write(50);
      await expect.poll(() => failed ?? got.length, { timeout: 20_000 }).toBe(150);
      expect(faults).toHaveLength(1);
      expect(faults[0]).toMatch(/^journalctl --follow printed nothing for \d+ s while the journal has newer entries$/);
      expect(stats.faults).toBe(1);
      // The restarted follower is the real one: new entries flow, and after a while the fault is said to be over.
      await write(10);
      await expect.poll(() => failed ?? got.length, { timeout: 20_000 }).toBe(160);
      await expect.poll(() => healed, { timeout: 15_000 }).toBe(1);
      expect(got.map((r) => r.message)).toEqual(Array.from({ length: written }, (_, i) => `entry ${i + 1}`));
    } finally {
      ac.abort();
      await reading;
      await rm(join(tmp.path, "stalled"), { force: true });
    }
  });
});
