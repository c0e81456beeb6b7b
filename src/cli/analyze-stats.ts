// What `analyze --stats` says about a run: lines and issues, and per file the format read and the records without a time.
import type { LogFormat, LogRecord } from "../parsers/index.js";
import type { ReadStats } from "../sources/index.js";

/** One input file as analyze saw it. */
export interface FileSummary {
  readonly file: string;
  /** The format most of its records were read as (per-line fallbacks aside). */
  readonly format: LogFormat;
  readonly records: number;
  /** Records that carry no time: no time window (--since, "3 within 5m") can hold them. */
  readonly untimed: number;
}

export interface RunSummary {
  readonly files: FileSummary[];
  /** Records left out by --since/--until because they carry no time to place. */
  readonly unplaced: number;
}

/** Counts records per file and format as they pass; bounded by the number of files. */
export function createRunTally(): {
  add(record: LogRecord): void;
  /** A line the fast path read without making it a record: counted as the record it would have been. */
  addLine(file: string, format: LogFormat, time: number | undefined): void;
  unplaced(): void;
  result(): RunSummary;
} {
  type Tally = { formats: Map<LogFormat, number>; records: number; untimed: number };
  const byFile = new Map<string, Tally>();
  let unplaced = 0;
  // Records come file by file: the last file's tally saves a map lookup per record.
  let lastFile: string | undefined;
  let last: Tally | undefined;
  const addLine = (file: string, format: LogFormat, time: number | undefined): void => {
    let f = file === lastFile ? last : byFile.get(file);
    if (f === undefined) {
      f = { formats: new Map(), records: 0, untimed: 0 };
      byFile.set(file, f);
    }
    lastFile = file;
    last = f;
    f.records += 1;
    if (time === undefined) f.untimed += 1;
    f.formats.set(format, (f.formats.get(format) ?? 0) + 1);
  };
  return {
    add: (record) => addLine(record.ref.file, record.format, record.time),
    addLine,
    unplaced() {
      unplaced += 1;
    },
    result() {
      const files = [...byFile].map(([file, f]): FileSummary => {
        let format: LogFormat = "plain";
        let most = 0;
        for (const [k, n] of f.formats) if (n > most) [format, most] = [k, n];
        return { file, format, records: f.records, untimed: f.untimed };
      });
      return { files, unplaced };
    },
  };
}

/** The --stats lines for stderr: the totals, then one line per file. */
export function formatStats(stats: ReadStats, run: RunSummary): string {
  const issues = Object.entries(stats.issues)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${n}${stats.samples[k as keyof typeof stats.samples] ? ` (first at ${stats.samples[k as keyof typeof stats.samples]})` : ""}`);
  const head =
    `firewatch: read ${stats.files} file(s), ${stats.lines} lines, ${stats.bytes} bytes, ${stats.records} records` +
    (issues.length ? `; ${issues.join(", ")}` : "") +
    "\n";
  const files = run.files.map((f) => `firewatch:   ${f.file}: ${f.format}, ${f.records} records, ${f.untimed} without a time\n`);
  return head + files.join("");
}

/** What --since/--until could not judge, for stderr; empty when every record had a time. */
export function unplacedNotice(run: RunSummary): string {
  if (run.unplaced === 0) return "";
  return `firewatch: --since/--until left out ${run.unplaced} record(s) that carry no time (see --stats for the files)\n`;
}
