// Parses JSON lines: journalctl -o json, and application JSON logs (pino, bunyan, winston, python-json-logger).
import { Buffer } from "node:buffer";
import type { FormatParser, ParseContext, ParsedLine } from "./parsed.js";
import { emptyParsed, isModulePath, levelFromPino, levelFromPriority, levelFromWord, normalizeService, serviceFor, sniffLevel, toPid } from "./parsed.js";
import { parseIsoTime } from "./timestamp.js";
import { isErrorKey, isErrorText, MAX_ERROR_TEXTS } from "./error-fields.js";

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

const isObject = (v: unknown): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v);

/** The parsed object of a line that is a JSON object; "bad" when it looks like one but does not parse. */
export function parseJsonObject(line: string): JsonObject | "bad" | undefined {
  const t = line.trimStart();
  if (!t.startsWith("{")) return undefined;
  try {
    const v: unknown = JSON.parse(t);
    return isObject(v) ? v : "bad";
  } catch {
    return "bad";
  }
}

/** A journald field value: a string, a byte array (binary-safe MESSAGE), or an array of those (repeated field). */
function journalString(v: Json | undefined): string | undefined {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (Array.isArray(v)) {
    if (v.length > 0 && v.every((b): b is number => typeof b === "number" && Number.isInteger(b) && b >= 0 && b <= 255)) {
      return Buffer.from(v).toString("utf8");
    }
    const first = v[0];
    return first === undefined ? undefined : journalString(first);
  }
  return undefined;
}

/** Whether an object is a journal entry (journalctl -o json) rather than an application's JSON log line. */
export function isJournalEntry(o: JsonObject): boolean {
  return "__REALTIME_TIMESTAMP" in o || "__CURSOR" in o || ("MESSAGE" in o && ("_HOSTNAME" in o || "SYSLOG_IDENTIFIER" in o || "PRIORITY" in o));
}

/**
 * journalctl -o json: MESSAGE (string or bytes), µs time, host, unit (the one systemd talks about first), pid, level.
 * A MESSAGE that is itself an application's JSON line (pino to stdout under systemd) gives its message, level,
 * fields (journald's win a clash) and error texts; the unit stays the service.
 */
export function journalToParsed(o: JsonObject, ctx?: ParseContext): ParsedLine {
  const fields: Record<string, string> = {};
  for (const [k, v] of Object.entries(o)) {
    if (k === "MESSAGE") continue;
    const s = journalString(v);
    if (s !== undefined) fields[k] = s;
  }
  const message = (journalString(o.MESSAGE) ?? "").replace(/\n$/, "");
  const p = emptyParsed("journal-json", message);
  p.text = message;
  p.fields = fields;
  // _SOURCE_REALTIME_TIMESTAMP is when the program logged it; __REALTIME_TIMESTAMP when journald received it.
  const us = fields._SOURCE_REALTIME_TIMESTAMP ?? fields.__REALTIME_TIMESTAMP;
  if (us !== undefined && /^\d{1,19}$/.test(us)) p.time = Math.floor(Number(us) / 1000);
  p.host = fields._HOSTNAME;
  p.pid = toPid(fields._PID);
  const prio = fields.PRIORITY;
  if (prio !== undefined) p.level = levelFromPriority(Number(prio));
  if (fields.__CURSOR !== undefined) p.cursor = fields.__CURSOR;
  const program = fields.SYSLOG_IDENTIFIER ?? fields._COMM;
  // systemd's own messages carry the unit they are about in UNIT / USER_UNIT.
  const about = fields.USER_UNIT ?? fields.UNIT;
  if (about !== undefined && (program === "systemd" || fields._PID === "1")) {
    fields.unit = about;
    p.service = normalizeService(about);
  } else {
    const own = fields._SYSTEMD_USER_UNIT ?? fields._SYSTEMD_UNIT;
    if (own !== undefined) {
      fields.unit = own;
      p.service = normalizeService(own);
    } else {
      p.service = serviceFor(program, message, fields);
    }
  }
  if (ctx !== undefined && message.startsWith("{")) {
    const app = parseJsonLine(message, ctx);
    if (app !== undefined && app.format === "json") {
      p.text = app.text ?? app.message;
      p.message = app.message;
      p.level = app.level ?? p.level;
      for (const [k, v] of Object.entries(app.fields)) if (!Object.hasOwn(fields, k)) fields[k] = v;
      if (app.errors !== undefined) p.errors = app.errors;
    }
  }
  return p;
}

// "@m"/"@mt": Serilog's compact JSON (the rendered message, else its template); "Message"/"LogLevel": .NET's JSON console.
const MESSAGE_KEYS = ["msg", "message", "MESSAGE", "Message", "@message", "@m", "@mt", "log", "text", "event"] as const;
const LEVEL_KEYS = ["level", "levelname", "severity", "lvl", "log.level", "@l", "LogLevel", "Level"] as const;
const TIME_KEYS = ["time", "timestamp", "@timestamp", "asctime", "ts", "t", "@t", "date"] as const;
// Not "logger": that is the module that logged (python-json-logger's "name" is one too, hence the module-path check).
const SERVICE_KEYS = ["service", "service.name", "app", "name", "component"] as const;
const MAX_FIELDS = 64;

/** Nesting flattened into "a.b.c.d" keys; deeper objects stay JSON text. An error's cause two levels down still fits. */
const MAX_DEPTH = 3;

interface Flat {
  readonly fields: Record<string, string>;
  count: number;
  errors: string[] | undefined;
}

/** Flattens an object into dotted keys, collecting the texts of its error fields (error-fields.ts) on the way. */
function flatten(o: JsonObject, prefix: string, out: Flat, depth: number, inError: boolean): void {
  for (const [k, v] of Object.entries(o)) {
    if (out.count >= MAX_FIELDS) return;
    const key = prefix + k;
    let text: string | undefined;
    if (v === null) text = "null";
    else if (typeof v === "string") text = v;
    else if (typeof v === "number" || typeof v === "boolean") text = String(v);
    else if (isObject(v) && depth < MAX_DEPTH) {
      flatten(v, `${key}.`, out, depth + 1, inError || isErrorKey(k));
      continue;
    } else text = JSON.stringify(v);
    out.fields[key] = text;
    out.count += 1;
    if (typeof v !== "number" && typeof v !== "boolean" && v !== null && text !== "" && isErrorText(inError, k)) {
      const errors = (out.errors ??= []);
      if (errors.length < MAX_ERROR_TEXTS) errors.push(text);
    }
  }
}

/** Epoch ms from a JSON time: ms numbers (pino), seconds (zap, float), µs, or ISO / "2025-11-08 01:04:15,802" strings. */
function timeFrom(v: Json | undefined, zone: Parameters<typeof parseIsoTime>[1]): number | undefined {
  if (typeof v === "number" && Number.isFinite(v)) {
    if (v > 1e14) return Math.floor(v / 1000);
    if (v > 1e11) return Math.floor(v);
    if (v > 1e8) return Math.floor(v * 1000);
    return undefined;
  }
  if (typeof v === "string") return parseIsoTime(v.trim(), zone) ?? (/^\d{10,16}(\.\d+)?$/.test(v) ? timeFrom(Number(v), zone) : undefined);
  return undefined;
}

/** JSON lines from pino, bunyan, winston, python-json-logger, docker's json-file, or anything with a message key. */
export const parseJsonLine: FormatParser = (line, ctx) => {
  const o = parseJsonObject(line);
  if (o === undefined || o === "bad") return undefined;
  if (isJournalEntry(o)) return journalToParsed(o, ctx);
  const flat: Flat = { fields: {}, count: 0, errors: undefined };
  flatten(o, "", flat, 0, false);
  const fields = flat.fields;
  const msgKey = MESSAGE_KEYS.find((k) => typeof o[k] === "string");
  const message = msgKey === undefined ? line.trim() : (fields[msgKey] ?? "").replace(/\n$/, "");
  if (msgKey !== undefined) delete fields[msgKey];
  const p = emptyParsed("json", message);
  p.text = message;
  p.fields = fields;
  if (flat.errors !== undefined) p.errors = flat.errors;
  for (const k of LEVEL_KEYS) {
    const v = o[k] ?? (k === "log.level" ? fields[k] : undefined);
    if (typeof v === "number") p.level = levelFromPino(v);
    else if (typeof v === "string") p.level = levelFromWord(v);
    if (p.level !== undefined) break;
  }
  // docker's json-file ({"log": ..., "stream": ..., "time": ...}) and other level-less logs: the message may say it.
  if (p.level === undefined && msgKey !== undefined) p.level = sniffLevel(message);
  for (const k of TIME_KEYS) {
    const t = timeFrom(o[k], ctx.zone);
    if (t !== undefined) {
      p.time = t;
      break;
    }
  }
  const host = o.hostname ?? o.host;
  if (typeof host === "string") p.host = host;
  if (typeof o.pid === "number" && Number.isInteger(o.pid) && o.pid > 0) p.pid = o.pid;
  else if (typeof o.pid === "string") p.pid = toPid(o.pid);
  const svc = SERVICE_KEYS.map((k) => fields[k]).find((v): v is string => v !== undefined && v.length > 0 && !isModulePath(v));
  if (svc !== undefined) p.service = normalizeService(svc);
  return p;
};
