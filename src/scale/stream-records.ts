// Records on Redis Streams: which partition a record goes to, and a stream entry's records encoded and parsed back.
//
// A partition is chosen by the record's incident identity as the source knows it: its configured host and its
// service (unit, container or program). So the records of one failing thing on one host reach one analyzer, whose
// correlator sees all of them. An entry carries several records of one partition (one collector flush), each with
// its source and that source's sequence number: an analyzer skips a number it has counted already (a collector that
// died after publishing and before committing its source cursor publishes the same records under the same numbers).
import { z } from "zod";
import type { LogFormat, LogRecord } from "../parsers/index.js";

/** One record as a collector publishes it. */
export interface StreamRecord {
  /** The source's configured host ("local" or a key of `hosts`). */
  readonly host: string;
  readonly source: string;
  /** The source's record number: counts up from 1 over the life of the source, across collectors. */
  readonly seq: number;
  readonly record: LogRecord;
}

const FORMATS = [
  "plain", "syslog", "syslog-iso", "syslog-precise", "journal-json", "docker", "compose", "json", "python", "dmesg", "apache",
  "stamped", "logfmt", "jul", "logcat", "klog", "proxifier", "ras", "hpc", "docker-ps", "docker-inspect", "systemctl-status",
] as const satisfies readonly LogFormat[];
// Fails to compile when a format is added to LogFormat and not here.
const everyFormat: [Exclude<LogFormat, (typeof FORMATS)[number]>] extends [never] ? true : never = true;
void everyFormat;

const Nullable = <T extends z.ZodTypeAny>(t: T) => t.nullable();
const RecordSchema = z.object({
  text: z.string(),
  raw: z.string().optional(),
  errors: z.array(z.string()).optional(),
  message: z.string(),
  time: Nullable(z.number()),
  host: Nullable(z.string()),
  service: Nullable(z.string()),
  pid: Nullable(z.number().int()),
  level: Nullable(z.enum(["fatal", "error", "warn", "info", "debug", "trace"])),
  // Pairs, not an object: a field named "__proto__" (logfmt keeps it) must come back as a field.
  fields: z.array(z.tuple([z.string(), z.string()])),
  format: z.enum(FORMATS),
  ref: z.object({ file: z.string(), line: z.number().int(), endLine: z.number().int() }),
  truncatedBytes: z.number().int().nonnegative(),
});
/** An entry's `r` field: [host, source, seq, record] per record. */
const EntrySchema = z.array(z.tuple([z.string(), z.string(), z.number().int().positive(), RecordSchema]));

/** The partition (0 .. n-1) of a record: FNV-1a of its host and service, the same in every process. */
export function partitionOf(host: string, service: string | undefined, n: number): number {
  let h = 0x811c9dc5;
  const key = service === undefined ? host : `${host}\u0000${service}`;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193) >>> 0;
  return h % n;
}

/** The name of partition i, as its lease and its cursor are named: "stream:p07". */
export function partitionName(i: number): string {
  return `stream:p${String(i).padStart(2, "0")}`;
}

/** The names of partitions 0 .. n-1. */
export function partitionNames(n: number): string[] {
  return Array.from({ length: n }, (_, i) => partitionName(i));
}

/** An entry's `r` field for these records (the cursor of each stays out: the analyzer's cursor is the entry id). */
export function encodeEntry(records: readonly StreamRecord[]): string {
  return JSON.stringify(
    records.map((r) => {
      const { cursor: _cursor, ...rest } = r.record;
      const o = { ...rest, fields: Object.entries(rest.fields), time: rest.time ?? null, host: rest.host ?? null, service: rest.service ?? null, pid: rest.pid ?? null, level: rest.level ?? null };
      return [r.host, r.source, r.seq, o];
    }),
  );
}

/** The records of an entry's `r` field; undefined when it is not one (counted and skipped by the caller). */
export function decodeEntry(text: string): StreamRecord[] | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = EntrySchema.safeParse(raw);
  if (!parsed.success) return undefined;
  return parsed.data.map(([host, source, seq, r]) => {
    const fields: Record<string, string> = Object.create(null) as Record<string, string>;
    for (const [k, v] of r.fields) fields[k] = v;
    const record: LogRecord = {
      text: r.text,
      message: r.message,
      time: r.time ?? undefined,
      host: r.host ?? undefined,
      service: r.service ?? undefined,
      pid: r.pid ?? undefined,
      level: r.level ?? undefined,
      fields,
      format: r.format,
      ref: r.ref,
      truncatedBytes: r.truncatedBytes,
      ...(r.raw === undefined ? {} : { raw: r.raw }),
      ...(r.errors === undefined ? {} : { errors: r.errors }),
    };
    return { host, source, seq, record };
  });
}

const SEQ = "seq1:";

/** A collector's stored cursor for a source: the number of the last record published and the source's own cursor. */
export function encodeCollectorCursor(seq: number, inner: string): string {
  return `${SEQ}${seq}:${inner}`;
}

/** The parts of a collector's stored cursor; a cursor a plain watcher stored counts from 0 with that position. */
export function decodeCollectorCursor(text: string | undefined): { seq: number; inner: string | undefined } {
  if (text === undefined) return { seq: 0, inner: undefined };
  if (!text.startsWith(SEQ)) return { seq: 0, inner: text };
  const colon = text.indexOf(":", SEQ.length);
  const seq = Number(text.slice(SEQ.length, colon));
  if (colon < 0 || !Number.isSafeInteger(seq) || seq < 0) return { seq: 0, inner: text };
  return { seq, inner: colon + 1 < text.length ? text.slice(colon + 1) : undefined };
}
