// Parses Python logging lines: "2025-11-08 01:04:15,802 - [name - ]LEVEL - msg", "- LEVEL  msg", "LEVEL:name:msg".
import type { FormatParser, ParseContext, ParsedLine } from "./parsed.js";
import { emptyParsed, levelFromWord } from "./parsed.js";

// The default "%(asctime)s - %(name)s - %(levelname)s - %(message)s" and the seeds' variant without name.
// Zookeeper's "2015-07-29 17:41:44,747 - INFO  [thread] - msg" fits the second alternative.
const PY_RE =
  /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})[,.](\d{3}) - (?:(\S[^\n]*?) - )?(CRITICAL|FATAL|ERROR|WARNING|WARN|INFO|DEBUG|NOTSET)(?: - | +)(.*)$/;

// logging.basicConfig()'s default "%(levelname)s:%(name)s:%(message)s": "ERROR:root:Error rotating segment".
const BASIC_RE = /^(CRITICAL|ERROR|WARNING|INFO|DEBUG):([A-Za-z_][\w.]*):(.*)$/;

/** The parts of a Python logging line, or undefined; `message` is what follows the level. */
export function parsePythonMessage(line: string, ctx: ParseContext): ParsedLine | undefined {
  const m = PY_RE.exec(line);
  if (!m) {
    const b = BASIC_RE.exec(line);
    if (!b) return undefined;
    const p = emptyParsed("python", b[3] ?? "");
    p.level = levelFromWord(b[1] ?? "");
    // The logger ("streamvault.recorder") is the module that logged, not the service: the file or source names that.
    p.fields.logger = b[2] ?? "";
    return p;
  }
  const [, y, mo, d, hh, mm, ss, ms, name, level, message] = m;
  const p = emptyParsed("python", message ?? "");
  // asctime has no offset: it is the host's local time, read in the configured zone.
  p.time = ctx.zone.toEpoch(Number(y), Number(mo), Number(d), Number(hh), Number(mm), Number(ss), Number(ms));
  p.level = levelFromWord(level ?? "");
  if (name !== undefined) p.fields.logger = name;
  return p;
}

export const parsePython: FormatParser = (line, ctx) => parsePythonMessage(line, ctx);
