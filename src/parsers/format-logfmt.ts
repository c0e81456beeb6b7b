// Parses logfmt lines (logrus's text formatter, go-kit, Heroku): time="2025-11-20T15:00:00Z" level=error msg="..." error="...".
import type { FormatParser } from "./parsed.js";
import { emptyParsed, levelFromWord } from "./parsed.js";
import { parseIsoTime } from "./timestamp.js";
import { errorTextsOfFlat } from "./error-fields.js";

const MAX_PAIRS = 64;
const KEY_CHAR = /[\w.@-]/;

/** The key=value pairs of a logfmt line in one pass (quoted values with \" escapes), or undefined when it is not one. */
export function logfmtPairs(line: string): Record<string, string> | undefined {
  const out: Record<string, string> = Object.create(null);
  let i = 0;
  let pairs = 0;
  const n = line.length;
  while (i < n) {
    while (line[i] === " ") i += 1;
    if (i >= n) break;
    const keyStart = i;
    while (i < n && KEY_CHAR.test(line[i] ?? "")) i += 1;
    if (i === keyStart || line[i] !== "=") return undefined;
    const key = line.slice(keyStart, i);
    i += 1;
    let value = "";
    if (line[i] === '"') {
      i += 1;
      const parts: string[] = [];
      let from = i;
      while (i < n && line[i] !== '"') {
        if (line[i] === "\\" && i + 1 < n) {
          parts.push(line.slice(from, i));
          const c = line[i + 1];
          parts.push(c === "n" ? "\n" : c === "t" ? "\t" : (c ?? ""));
          i += 2;
          from = i;
        } else i += 1;
      }
      if (i >= n) return undefined;
      parts.push(line.slice(from, i));
      value = parts.join("");
      i += 1;
    } else {
      const start = i;
      while (i < n && line[i] !== " ") i += 1;
      value = line.slice(start, i);
    }
    if (++pairs > MAX_PAIRS) break;
    out[key] = value;
  }
  return pairs >= 2 ? out : undefined;
}

/** A logfmt line with a message or level and at least two pairs; the text stays the whole line. */
export const parseLogfmt: FormatParser = (line, ctx) => {
  const pairs = logfmtPairs(line);
  if (pairs === undefined) return undefined;
  const message = pairs.msg ?? pairs.message;
  const levelWord = pairs.level ?? pairs.lvl;
  if (message === undefined && levelWord === undefined) return undefined;
  const p = emptyParsed("logfmt", message ?? line);
  p.fields = pairs;
  const errors = errorTextsOfFlat(pairs);
  if (errors !== undefined) p.errors = errors;
  if (levelWord !== undefined) p.level = levelFromWord(levelWord);
  const stamp = pairs.time ?? pairs.ts ?? pairs.t;
  if (stamp !== undefined) p.time = parseIsoTime(stamp, ctx.zone);
  return p;
};
