// Parses docker logs (--timestamps), docker events lines and docker compose "service  | msg" prefixes.
import { parseJsonLine } from "./format-json.js";
import { parsePythonMessage } from "./format-python.js";
import type { FormatParser, ParseContext, ParsedLine } from "./parsed.js";
import { emptyParsed, levelFromWord, sniffLevel } from "./parsed.js";
import { fractionToMs, offsetToMs, parseIsoTime } from "./timestamp.js";

// RFC 3339 with nanoseconds, as docker writes it: "2025-11-08T01:04:15.802345678Z msg".
const STAMP_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2}) ?(.*)$/;
// docker events: "container die <id> (exitCode=137, image=rsky-ingester:latest, name=rsky-ingester)".
const EVENT_RE = /^(container|image|network|volume|daemon|plugin|service|node|secret|config) (.+?) ([0-9a-f]{12,64}|[\w.:/@-]+) \((.*)\)$/;
// compose: "web_1  | msg", "api-1  | msg", "rust-ingester  | msg" (colour codes possible when captured from a TTY).
// eslint-disable-next-line no-control-regex -- ESC starts the colour codes we must skip
const COMPOSE_RE = /^(?:\x1b\[[0-9;]*m)*([A-Za-z0-9][\w.-]*?)(?:\x1b\[[0-9;]*m)* +(?:\x1b\[[0-9;]*m)*\|(?:\x1b\[[0-9;]*m)* ?(.*)$/;
const REPLICA_RE = /[-_](\d+)$/;
// Rust tracing-subscriber's default line inside a container: "2025-11-08T01:04:15.802345Z  INFO rsky_ingester::firehose: msg".
const TRACING_RE = /^(?:(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2}))\s+)?(TRACE|DEBUG|INFO|WARN|ERROR)\s+([A-Za-z_][\w:]*(?:\{[^}]*\})?): (.*)$/;

/** Whether the stamp has docker's nanosecond precision (tells docker from journalctl short-iso when sniffing). */
export function hasNanoStamp(line: string): boolean {
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z /.test(line);
}

function eventFields(p: ParsedLine, message: string): void {
  const e = EVENT_RE.exec(message);
  if (!e) return;
  const [, type, action, id, attrs] = e;
  p.fields.event_type = type ?? "";
  p.fields.action = action ?? "";
  p.fields.id = id ?? "";
  for (const kv of (attrs ?? "").split(", ")) {
    const eq = kv.indexOf("=");
    if (eq > 0) p.fields[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  if (type === "container" && p.fields.name !== undefined) p.service = p.fields.name;
}

/** What the application wrote inside a docker/compose line: its JSON or Python logging fields, or a level word. */
function inner(p: ParsedLine, message: string, ctx: ParseContext): ParsedLine {
  p.message = message;
  const json = message.startsWith("{") ? parseJsonLine(message, ctx) : undefined;
  if (json) {
    p.message = json.message;
    p.text = json.text ?? json.message;
    p.level = json.level;
    p.time ??= json.time;
    p.host ??= json.host;
    p.pid ??= json.pid;
    p.service ??= json.service;
    Object.assign(p.fields, json.fields);
    if (json.errors !== undefined) p.errors = json.errors;
    return p;
  }
  const py = parsePythonMessage(message, ctx);
  if (py) {
    p.message = py.message;
    p.level = py.level;
    p.time ??= py.time;
    if (py.fields.logger !== undefined) p.fields.logger = py.fields.logger;
    return p;
  }
  const tr = TRACING_RE.exec(message);
  if (tr) {
    p.level = levelFromWord(tr[2] ?? "");
    p.fields.target = tr[3] ?? "";
    p.message = tr[4] ?? "";
    if (p.time === undefined && tr[1] !== undefined) p.time = parseIsoTime(tr[1], ctx.zone);
    return p;
  }
  p.level = sniffLevel(message);
  eventFields(p, message);
  return p;
}

function stamped(line: string, ctx: ParseContext): ParsedLine | undefined {
  const m = STAMP_RE.exec(line);
  if (!m) return undefined;
  const [, y, mo, d, hh, mm, ss, frac, off, rest] = m;
  const p = emptyParsed("docker", "");
  p.time = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(hh), Number(mm), Number(ss), fractionToMs(frac)) - offsetToMs(off ?? "Z");
  p.fields.timestamp = line.slice(0, line.length - (rest ?? "").length).trimEnd();
  // For an app's JSON inside, inner() sets text to its message; otherwise text stays the whole line.
  return inner(p, rest ?? "", ctx);
}

/** docker logs --timestamps lines and docker events lines. */
export const parseDocker: FormatParser = (line, ctx) => stamped(line, ctx);

/** docker compose logs: the prefix is the service (replica suffix "_1"/"-1" removed, kept in fields.container). */
export const parseCompose: FormatParser = (line, ctx) => {
  const m = COMPOSE_RE.exec(line);
  if (!m) return undefined;
  const container = m[1] ?? "";
  const rest = m[2] ?? "";
  const p = stamped(rest, ctx) ?? inner(emptyParsed("compose", ""), rest, ctx);
  p.format = "compose";
  p.fields.container = container;
  p.service = container.replace(REPLICA_RE, "");
  return p;
};
