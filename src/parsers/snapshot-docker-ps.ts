// Reads `docker ps` and `docker compose ps` tables: one entry per container row, with the columns as fields.
import type { SnapshotEntry, SnapshotReader } from "./snapshot-entry.js";

// docker ps: CONTAINER ID, IMAGE, COMMAND, CREATED, STATUS, PORTS, NAMES. docker compose ps: v2 NAME, IMAGE, COMMAND,
// SERVICE, CREATED, STATUS, PORTS; v2.0-2.6 NAME, COMMAND, SERVICE, STATUS, PORTS ("running (healthy)", "exited (1)");
// v1 (docker-compose) Name, Command, State, Ports under a dashed line ("Up (unhealthy)", "Exit 137", "Restarting").
// Columns are padded with two or more spaces; PORTS may be empty. The name is first in compose tables, last in docker ps.
const PS_HEADER_RE = /^CONTAINER ID {2,}IMAGE {2,}COMMAND\b/;
const COMPOSE_HEADER_RE = /^(?:NAME {2,}(?:IMAGE {2,})?COMMAND {2,}SERVICE {2,}(?:CREATED {2,})?STATUS\b|\s*Name {2,}Command {2,}State {2,}Ports\s*$)/;
const RULE_LINE_RE = /^-{10,}$/;
// A status column as docker prints it ("Up 3 minutes (unhealthy)", "Restarting (1) 5 seconds ago", "Exited (137) 2 hours
// ago"), and compose's own wordings ("running (unhealthy)", "exited (137)", "Up (healthy)", "Exit 137", "Restarting").
const STATUS_RE = /^(?:Up(?: |$)|Exited \(-?\d{1,5}\)|Restarting(?: \(-?\d{1,5}\)|$)|Exit -?\d{1,5}$|running(?: \(|$)|exited \(-?\d{1,5}\)|restarting|Created$|Dead$|Paused$|Removal In Progress$)/;
const ID_ROW_RE = /^[0-9a-f]{12,64} {2,}\S/;
const ROW_STATUS_RE = / {2,}(?:Up |Exited \(-?\d{1,5}\)|Restarting \(-?\d{1,5}\))/;

/** True when one of the lines is a `docker ps` header or row. */
export function looksLikeDockerPs(lines: readonly string[]): boolean {
  return lines.some((l) => PS_HEADER_RE.test(l) || COMPOSE_HEADER_RE.test(l) || (ID_ROW_RE.test(l) && ROW_STATUS_RE.test(l)));
}

function row(text: string, lineNo: number, nameFirst: boolean): SnapshotEntry | undefined {
  const columns = text.trimEnd().split(/ {2,}/);
  const at = columns.findIndex((c, i) => i > 0 && STATUS_RE.test(c));
  if (at < 0) return undefined;
  const first = columns[0] ?? "";
  if (!nameFirst && !/^[0-9a-f]{12,64}$/.test(first)) return undefined;
  const fields: Record<string, string> = { SNAPSHOT: "docker-ps", STATUS: columns[at] ?? "" };
  let name: string | undefined;
  if (nameFirst) {
    name = first;
  } else {
    fields.CONTAINER_ID = first;
    // NAMES is the last column; when PORTS is empty the row has one column less after STATUS.
    if (columns.length - 1 > at) name = columns.at(-1);
    if (columns.length - 1 > at + 1) fields.PORTS = columns.slice(at + 1, -1).join("  ");
  }
  if (!nameFirst && columns[1] !== undefined) fields.IMAGE = columns[1];
  if (name !== undefined && /^[\w./-]{1,255}$/.test(name)) fields.NAMES = name;
  return { text, firstLine: lineNo, lastLine: lineNo, fields, subject: fields.NAMES };
}

/** Rows become entries; headers are consumed; other lines pass through as log lines. */
export function createDockerPsReader(): SnapshotReader {
  let nameFirst = false;
  return {
    push(text, lineNo) {
      if (PS_HEADER_RE.test(text)) {
        nameFirst = false;
        return { entries: [], passThrough: false };
      }
      if (COMPOSE_HEADER_RE.test(text)) {
        nameFirst = true;
        return { entries: [], passThrough: false };
      }
      if (nameFirst && RULE_LINE_RE.test(text)) return { entries: [], passThrough: false };
      const entry = row(text, lineNo, nameFirst);
      return entry === undefined ? { entries: [], passThrough: true } : { entries: [entry], passThrough: false };
    },
    end: () => [],
  };
}
