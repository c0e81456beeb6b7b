// Turns log timestamps into epoch ms: wall-clock stamps in a time zone (via Intl), ISO stamps, missing years.
import { FirewatchError } from "../errors.js";

export const MONTHS: Readonly<Record<string, number>> = {
  Jan: 1, Feb: 2, Mar: 3, Apr: 4, May: 5, Jun: 6, Jul: 7, Aug: 8, Sep: 9, Oct: 10, Nov: 11, Dec: 12,
};

/** The process's time zone, as Intl sees it (TZ env included). */
export function defaultTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

export interface CalendarDate {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

export interface Zone {
  readonly timeZone: string;
  /** Epoch ms of a wall-clock time in this zone (the earlier instant when a DST fall-back repeats it). */
  toEpoch(year: number, month: number, day: number, hour: number, minute: number, second: number, ms: number): number;
  /** Year, month (1-12) and day of an instant, in this zone. */
  calendarDate(epochMs: number): CalendarDate;
}

/** A zone with a one-entry memo: consecutive log lines share the hour, so Intl runs about once an hour of logs. */
export function createZone(timeZone: string = defaultTimeZone()): Zone {
  let fmt: Intl.DateTimeFormat;
  try {
    fmt = new Intl.DateTimeFormat("en-US", {
      timeZone, hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric", second: "numeric",
    });
  } catch (cause) {
    throw new FirewatchError("usage", `Unknown time zone "${timeZone}".`, { cause, hint: 'use an IANA name such as "UTC" or "America/New_York"' });
  }
  const parts = (ms: number) => {
    const out = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };
    for (const p of fmt.formatToParts(ms)) if (p.type in out) out[p.type as keyof typeof out] = Number(p.value);
    return out;
  };
  // Offset (local - UTC) in ms at an instant.
  const offsetAt = (ms: number) => {
    const p = parts(ms);
    const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
    return asUtc - (ms - (((ms % 1000) + 1000) % 1000));
  };
  // UTC (the zone of most servers, and of `TZ=UTC`) has no offset to look up: no Intl call per hour of logs, which on
  // a file interleaving many streams' hours is a call on most lines.
  const resolved = fmt.resolvedOptions().timeZone;
  if (resolved === "UTC" || resolved === "Etc/UTC") {
    return {
      timeZone,
      toEpoch: (year, month, day, hour, minute, second, ms) => Date.UTC(year, month - 1, day, hour, minute, second, ms),
      calendarDate(epochMs) {
        const d = new Date(epochMs);
        return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
      },
    };
  }
  let memoKey = NaN;
  let memoOffset = 0;
  return {
    timeZone,
    toEpoch(year, month, day, hour, minute, second, ms) {
      const wall = Date.UTC(year, month - 1, day, hour, minute, second, ms);
      const key = Math.floor(wall / 3_600_000);
      if (key === memoKey) return wall - memoOffset;
      // Two rounds settle the offset across a DST change; a wall time inside a spring-forward gap maps forward.
      let offset = offsetAt(wall);
      const second2 = offsetAt(wall - offset);
      if (second2 !== offset) offset = Math.max(offset, second2);
      memoKey = key;
      memoOffset = offset;
      return wall - offset;
    },
    calendarDate(epochMs) {
      const p = parts(epochMs);
      return { year: p.year, month: p.month, day: p.day };
    },
  };
}

/** Where yearless stamps are placed: never after `referenceMs`; near `hintMs` (a dated stamp of the same run) if known. */
export interface YearReference {
  /** No yearless stamp lands after this instant's day in the zone (the file's mtime, the clock, `--reference-time`). */
  readonly referenceMs: number;
  /** A time the logs are known to be from (a full-dated stamp in another file of the run): the first stamp takes the year nearest it. */
  readonly hintMs?: number | undefined;
}

const dayNumber = (y: number, m: number, d: number) => Date.UTC(y, m - 1, d) / 86_400_000;

/**
 * Infers the missing year of stamps such as syslog's "Dec 26 17:57:01", never 1970 and never after the reference's
 * day (month and day compared in the zone: a stamp later that same day keeps the year, since clocks and zones differ
 * by hours, not by a year). The first stamp takes the year that puts it nearest the hint when there is one, else the
 * reference's year; a year back when that would land after the reference. Afterwards the year rolls forward whenever
 * the month drops by six or more (Dec → Jan), and stays put for small backward steps (out-of-order lines around a
 * month's end); a line whose month jumps forward by six or more (Dec right after Jan) is a late line of the previous
 * year and does not move the stream's year. A line that rolling would put after the reference takes the year before.
 */
export type YearInferrer = ((month: number, day: number) => number) & {
  /** Whether a stamp of this month would leave the stream's year and last month as they are (a skimming reader need not parse it). */
  readonly keeps: (month: number) => boolean;
};

export function createYearInferrer(ref: YearReference, zone: Zone): YearInferrer {
  const limit = zone.calendarDate(ref.referenceMs);
  const limitDay = dayNumber(limit.year, limit.month, limit.day);
  const notAfter = (y: number, month: number, day: number) => (dayNumber(y, month, day) > limitDay ? y - 1 : y);
  const hint = ref.hintMs === undefined ? undefined : zone.calendarDate(ref.hintMs);
  let year: number | undefined;
  let lastMonth = 0;
  const firstYear = (month: number, day: number): number => {
    if (hint === undefined) return notAfter(limit.year, month, day);
    const target = dayNumber(hint.year, hint.month, hint.day);
    let best = hint.year;
    for (const y of [hint.year - 1, hint.year + 1])
      if (Math.abs(dayNumber(y, month, day) - target) < Math.abs(dayNumber(best, month, day) - target)) best = y;
    return Math.min(best, notAfter(limit.year, month, day));
  };
  const yearFor = (month: number, day: number): number => {
    if (year === undefined) {
      year = firstYear(month, day);
    } else if (lastMonth - month >= 6) {
      year += 1;
    } else if (month - lastMonth >= 6) {
      // A late line from before the roll-over (a Dec stamp just after Jan ones) belongs to the old year.
      return notAfter(year - 1, month, day);
    }
    lastMonth = month;
    return notAfter(year, month, day);
  };
  // The same month as the last stamp: neither a roll-over nor a late line, and lastMonth stays.
  return Object.assign(yearFor, { keeps: (month: number) => year !== undefined && month === lastMonth });
}

const ISO_RE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?(Z|[+-]\d{2}(?::?\d{2})?)?$/;

/** Milliseconds from a fraction string of 1-9 digits ("802345678" → 802). */
export function fractionToMs(frac: string | undefined): number {
  if (!frac) return 0;
  return Number((frac + "00").slice(0, 3));
}

/** Offset "Z", "+00:00", "-0500", "+01" in ms (local - UTC). */
export function offsetToMs(off: string): number {
  if (off === "Z" || off === "z") return 0;
  const sign = off.startsWith("-") ? -1 : 1;
  const digits = off.slice(1).replace(":", "");
  const h = Number(digits.slice(0, 2));
  const m = digits.length >= 4 ? Number(digits.slice(2, 4)) : 0;
  return sign * (h * 60 + m) * 60_000;
}

/** ISO 8601 / RFC 3339 date-time ("T" or space, "," or "." fraction, optional offset; none = `zone`). */
export function parseIsoTime(text: string, zone: Zone): number | undefined {
  const m = ISO_RE.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, off] = m;
  const ms = fractionToMs(frac);
  if (off === undefined) return zone.toEpoch(+(y ?? 0), +(mo ?? 0), +(d ?? 0), +(h ?? 0), +(mi ?? 0), +(s ?? 0), ms);
  const t = Date.UTC(+(y ?? 0), +(mo ?? 0) - 1, +(d ?? 0), +(h ?? 0), +(mi ?? 0), +(s ?? 0), ms) - offsetToMs(off);
  return Number.isFinite(t) ? t : undefined;
}
