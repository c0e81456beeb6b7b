// Formats event times for people in one time zone ("2025-12-26 17:57:01 EST"), and cadences ("every ~10 min for 9 days").
import { FirewatchError } from "../errors.js";
import { formatDuration } from "../time.js";
import type { Cadence } from "../correlate/index.js";

export interface TimeFormat {
  /** The IANA zone the report is written in. */
  readonly zone: string;
  /** The zone as people say it for that instant: "EST", "UTC", "GMT+1". */
  zoneLabel(ms: number): string;
  /** "2025-12-26" in the zone. */
  date(ms: number): string;
  /** "17:57:01" in the zone. */
  time(ms: number): string;
  /** "2025-12-26 17:57:01" in the zone. */
  dateTime(ms: number): string;
  /** "2025-12-26 17:57:01 EST"; "unknown" when there is no time. */
  stamp(ms: number | undefined): string;
}

/** Builds the formatters once per report (Intl formatters are costly to create); an unknown zone is a usage error. */
export function createTimeFormat(timeZone = "UTC"): TimeFormat {
  let parts: Intl.DateTimeFormat;
  let zone: Intl.DateTimeFormat;
  try {
    const common = { timeZone, hourCycle: "h23" } as const;
    parts = new Intl.DateTimeFormat("en-US", {
      ...common, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit",
    });
    zone = new Intl.DateTimeFormat("en-US", { ...common, timeZoneName: "short" });
  } catch (e) {
    throw new FirewatchError("usage", `unknown time zone "${timeZone}"`, {
      cause: e,
      hint: 'use an IANA zone name such as "UTC", "America/New_York" or "Europe/Berlin"',
    });
  }
  const fields = (ms: number) => {
    const got: Record<string, string> = {};
    for (const p of parts.formatToParts(ms)) got[p.type] = p.value;
    return got;
  };
  const date = (ms: number) => {
    const f = fields(ms);
    return `${f.year}-${f.month}-${f.day}`;
  };
  const time = (ms: number) => {
    const f = fields(ms);
    return `${f.hour}:${f.minute}:${f.second}`;
  };
  const zoneLabel = (ms: number) => zone.formatToParts(ms).find((p) => p.type === "timeZoneName")?.value ?? timeZone;
  const dateTime = (ms: number) => `${date(ms)} ${time(ms)}`;
  return {
    zone: timeZone,
    zoneLabel,
    date,
    time,
    dateTime,
    stamp: (ms) => (ms === undefined ? "unknown" : `${dateTime(ms)} ${zoneLabel(ms)}`),
  };
}

/** "~10 min": the typical interval between signals. */
export function formatInterval(cadence: Cadence): string {
  return `~${formatDuration(cadence.medianMs)}`;
}

/** "9 days": the time between first and last signal. */
export function formatSpan(cadence: Cadence): string {
  return formatDuration(cadence.spanMs);
}

/** "every ~10 min for 9 days", or for uneven intervals "at uneven intervals (9 s to 2 min, typically ~10 s) over 1 h 15 min". */
export function describeCadence(cadence: Cadence): string {
  if (cadence.steady) return `every ${formatInterval(cadence)} for ${formatSpan(cadence)}`;
  return (
    `at uneven intervals (${formatDuration(cadence.minMs)} to ${formatDuration(cadence.maxMs)}, ` +
    `typically ${formatInterval(cadence)}) over ${formatSpan(cadence)}`
  );
}
