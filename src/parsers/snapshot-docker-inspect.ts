// Reads `docker inspect` output (also cut pastes, `--format '{{json .State.Health}}' | jq`, keys without quotes):
// one entry per container, with the State (and Health) values as fields named by their path.
import { MAX_ENTRY_LINES, type SnapshotEntry, type SnapshotReader } from "./snapshot-entry.js";

const STATE_OPEN_RE = /^\s*"?State"?\s*:\s*\{\s*$/;
const KEY_VALUE_RE = /^\s*"?([A-Za-z][\w]{0,63})"?\s*:\s*(.*?)\s*,?\s*$/;
const CLOSE_RE = /^\s*[}\]]\s*,?\s*$/;
const OPEN_RE = /^\s*[{[]\s*$/;
/** Deeper nesting than docker inspect ever prints is not followed (a pathological paste cannot grow the stack). */
const MAX_DEPTH = 32;
/** Top-level keys kept besides the State: the name, the restart count and the id. */
const TOP_LEVEL = new Set(["Name", "RestartCount", "Id"]);

/** True when the lines hold a container State block, or a Health object on its own. */
export function looksLikeDockerInspect(lines: readonly string[]): boolean {
  if (lines.some((l) => STATE_OPEN_RE.test(l))) return true;
  return lines.some((l) => /^\s*"FailingStreak"\s*:/.test(l)) && lines.some((l) => /^\s*"Status"\s*:\s*"/.test(l));
}

function scalar(raw: string): string {
  if (raw.startsWith('"')) {
    try {
      const v: unknown = JSON.parse(raw);
      if (typeof v === "string") return v;
    } catch {
      // a cut or odd string: keep it without the quotes
    }
    return raw.replace(/^"|"$/g, "");
  }
  return raw;
}

interface Open {
  readonly key: string;
  readonly line: number;
}

export function createDockerInspectReader(): SnapshotReader {
  const stack: Open[] = [];
  // Depth at which an object is one container (1 for a single object, 2 inside `[ ... ]`); set by the first opening.
  let containerDepth: number | undefined;
  let fields: Record<string, string> = {};
  let lines: { no: number; text: string }[] = [];
  let stateLines: { no: number; text: string }[] = [];
  let inState = false;
  // A Health object on its own (jq of .State.Health) has Status/FailingStreak at its top.
  let healthOnly = false;

  const flush = (): SnapshotEntry[] => {
    const kept = stateLines.length > 0 ? stateLines : lines;
    const entry = Object.keys(fields).length === 0 || kept.length === 0 ? [] : [entryOf(kept)];
    fields = {};
    lines = [];
    stateLines = [];
    inState = false;
    return entry;
  };
  const entryOf = (kept: { no: number; text: string }[]): SnapshotEntry => {
    const name = fields.Name?.replace(/^\//, "");
    return {
      text: kept.map((l) => l.text).join("\n"),
      firstLine: kept[0]?.no ?? 0,
      lastLine: kept.at(-1)?.no ?? 0,
      fields: { SNAPSHOT: "docker-inspect", ...fields },
      subject: name !== undefined && name !== "" ? name : undefined,
    };
  };
  const path = () => stack.slice(containerDepth ?? 0).map((o) => o.key).filter((k) => k !== "");

  return {
    push(text, lineNo) {
      if (stack.length === 0 && !OPEN_RE.test(text) && !STATE_OPEN_RE.test(text)) return { entries: [], passThrough: true };
      if (lines.length < MAX_ENTRY_LINES) lines.push({ no: lineNo, text });
      if (inState && stateLines.length < MAX_ENTRY_LINES) stateLines.push({ no: lineNo, text });
      if (CLOSE_RE.test(text)) {
        const closed = stack.pop();
        if (closed?.key === "State" && stack.length === (containerDepth ?? 0)) inState = false;
        if (containerDepth !== undefined && stack.length < containerDepth) return { entries: flush(), passThrough: false };
        if (stack.length === 0) return { entries: flush(), passThrough: false };
        return { entries: [], passThrough: false };
      }
      if (stack.length >= MAX_DEPTH) return { entries: [], passThrough: false };
      if (OPEN_RE.test(text)) {
        stack.push({ key: "", line: lineNo });
        if (containerDepth === undefined && text.trim() === "{") containerDepth = stack.length;
        return { entries: [], passThrough: false };
      }
      const kv = KEY_VALUE_RE.exec(text);
      if (kv === null) return { entries: [], passThrough: false };
      const key = kv[1] ?? "";
      const value = kv[2] ?? "";
      if (value === "{" || value === "[") {
        if (containerDepth === undefined) containerDepth = stack.length;
        stack.push({ key, line: lineNo });
        if (key === "State" && path().length === 1) {
          inState = true;
          stateLines = [{ no: lineNo, text }];
        }
        return { entries: [], passThrough: false };
      }
      const at = path();
      if (at.length === 0 && (key === "FailingStreak" || (key === "Status" && /^"(?:un)?healthy"|^"starting"/.test(value)))) healthOnly = true;
      const under = healthOnly && at.length === 0 ? ["State", "Health"] : at;
      if (under[0] === "State" && !under.includes("Log")) fields[[...under, key].join(".")] = scalar(value);
      else if (under.length === 0 && TOP_LEVEL.has(key)) fields[key] = scalar(value);
      return { entries: [], passThrough: false };
    },
    end: () => flush(),
  };
}
