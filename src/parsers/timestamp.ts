// Turns log timestamps into epoch ms: wall-clock stamps in a time zone (via Intl), ISO stamps, missing years.
import { FirewatchError } from "../errors.js";

export const MONTHS: Readonly<Record<string, number>> = {
  Jan: 1, Feb: 2, Mar: 3, Apr: 4, May: 5, Jun: 6, Jul: 7, Aug: 8, Sep: 9, Oct: 10, Nov: 11, Dec: 12,
};

/** The process's time zone, as Intl sees it (TZ env included). */
export function defaultTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

export interface Zone {
  readonly timeZone: string;
  /** Epoch ms of a wall-clock time in this zone (the earlier instant when a DST fall-back repeats it). */
  toEpoch(year: number, month: number, day: number, hour: number, minute: number, second: number, ms: number): number;
  /** Year and month (1-12) of an instant, in this zone. */
  yearMonth(epochMs: number): { year: number; month: number };
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
    yearMonth(epochMs) {
      const p = parts(epochMs);
      return { year: p.year, month: p.month };
    },
  };
}

/**
 * Infers the missing year of syslog stamps ("Dec 26 17:57:01"), never 1970: the first stamp takes the reference
 * time's year (minus one if its month lies after the reference's month: a December log read in January);
 * afterwards the year rolls forward whenever the month drops by six or more (Dec → Jan), and stays put for
 * small backward steps (out-of-order lines around a month's end); a line whose month jumps forward by six or
 * more (Dec right after Jan) is a late line of the previous year and does not move the stream's year.
 */
export function createYearInferrer(referenceMs: number, zone: Zone): (month: number) => number {
  let year: number | undefined;
  let lastMonth = 0;
  return (month) => {
    if (year === undefined) {
      const ref = zone.yearMonth(referenceMs);
      year = month > ref.month ? ref.year - 1 : ref.year;
    } else if (lastMonth - month >= 6) {
      year += 1;
    } else if (month - lastMonth >= 6) {
      // A late line from before the roll-over (a Dec stamp just after Jan ones) belongs to the old year.
      return year - 1;
    }
    lastMonth = month;
    return year;
  };
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
