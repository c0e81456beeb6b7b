// Finds when a run's logs are from, for stamps without a year: the dated stamps at the head of its other files.
import { YEARLESS_FORMATS } from "../parsers/index.js";
import type { InputFile } from "./paths.js";
import { readLogRecords } from "./read-records.js";

/** Records read from the head of each file; enough to pass format detection and see a few stamps. */
const HEAD_RECORDS = 64;

/**
 * The latest time among the first records of the files whose stamps carry their year (ISO, JSON, docker, log4j...),
 * or undefined when none does. `analyze` gives it to the yearless files of the same run (syslog's "Nov 20"), so their
 * year agrees with the dated files' whatever the files' mtimes (a fresh clone sets them all to now). Stdin is not
 * read twice, so it gives no hint.
 */
export async function findYearHint(inputs: readonly InputFile[], opts: { timeZone?: string; signal?: AbortSignal } = {}): Promise<number | undefined> {
  let hint: number | undefined;
  for (const input of inputs) {
    if (input.kind !== "file") continue;
    let seen = 0;
    // Breaking out of the loop closes the file (the generator's finally).
    for await (const r of readLogRecords([input], { ...opts, referenceMs: 0 })) {
      if (++seen > HEAD_RECORDS) break;
      if (r.time === undefined || YEARLESS_FORMATS.has(r.format)) continue;
      if (hint === undefined || r.time > hint) hint = r.time;
    }
  }
  return hint;
}
