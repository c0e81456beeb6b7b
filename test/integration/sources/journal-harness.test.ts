// Proves the journal starter works here: entries written by systemd-journal-remote read back intact by journalctl.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { journalAvailability, readJournal, restartScheduledEntry, SYSTEMD_MESSAGE_ID, unitLineEntry, writeJournal } from "../../harness/journal.js";
import { makeTempDir } from "../../harness/program.js";

const avail = journalAvailability();

describe.skipIf(avail.missing !== undefined)(`journal harness ${avail.missing ?? ""}`, () => {
  let tmp: { path: string; remove(): Promise<void> };
  beforeAll(async () => {
    tmp = await makeTempDir("journal");
  });
  afterAll(async () => {
    await tmp?.remove();
  });

  test("structured systemd fields and cursors survive the round trip, and a second write appends", async () => {
    const file = join(tmp.path, "x.journal");
    const t0 = Date.UTC(2025, 11, 26, 22, 57, 1) * 1000;
    await writeJournal(file, [
      unitLineEntry(t0, "transcription-palantir.service", 4242, "Error: listen EADDRINUSE: address already in use :::9003", 3),
      restartScheduledEntry(t0 + 1_000_000, "transcription-palantir.service", 476),
    ]);
    await writeJournal(file, [restartScheduledEntry(t0 + 11_000_000, "transcription-palantir.service", 477)]);
    const got = await readJournal(file);
    expect(got.map((e) => e.N_RESTARTS)).toEqual([undefined, "476", "477"]);
    expect(got[1]).toMatchObject({ MESSAGE_ID: SYSTEMD_MESSAGE_ID.restartScheduled, UNIT: "transcription-palantir.service", __REALTIME_TIMESTAMP: String(t0 + 1_000_000) });
    expect(got[0]).toMatchObject({ _SYSTEMD_UNIT: "transcription-palantir.service", _PID: "4242", PRIORITY: "3" });
    expect(new Set(got.map((e) => e.__CURSOR)).size).toBe(3);
  });
});
