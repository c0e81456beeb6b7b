// Reads `systemctl status` output: one entry per unit block (header and properties); the journal lines under it pass
// through as log lines.
import { MAX_ENTRY_LINES, type SnapshotEntry, type SnapshotReader } from "./snapshot-entry.js";

// "● sshd.service - OpenSSH server daemon" (older systemd and some terminals: "*"; newer: "○", "×", "↻").
const HEADER_RE = /^\s*(?:[●*○×↻]\s+)?([\w@:.\\-]{1,200}\.(?:service|socket|timer|mount|scope|target|path))(?: - (.*))?$/;
const PROPERTY_RE = /^\s{1,12}([A-Z][\w -]{1,20}?):\s(.*)$/;
// Continuation of a property (a second Docs: line, the CGroup tree): indented deeper than the property names.
const CONTINUATION_RE = /^\s{6,}\S/;
// "(code=exited, status=1/FAILURE)" after a Main PID or a Process line.
const EXIT_RE = /\(code=(\w{1,20}), status=([^\s)]{1,40})\)/;

/** True when a unit header is followed, within the lines, by an "Active:" property. */
export function looksLikeSystemctlStatus(lines: readonly string[]): boolean {
  const header = lines.findIndex((l) => HEADER_RE.test(l) && !/^\s*\w{3} +\d/.test(l));
  return header >= 0 && lines.slice(header + 1, header + 8).some((l) => /^\s+Active: /.test(l));
}

export function createSystemctlStatusReader(): SnapshotReader {
  let open: { lines: { no: number; text: string }[]; fields: Record<string, string>; last: string | undefined } | undefined;

  const close = (): SnapshotEntry[] => {
    if (open === undefined) return [];
    const { lines, fields } = open;
    open = undefined;
    if (fields.ACTIVE === undefined) return [];
    return [{
      text: lines.map((l) => l.text).join("\n"),
      firstLine: lines[0]?.no ?? 0,
      lastLine: lines.at(-1)?.no ?? 0,
      fields: { SNAPSHOT: "systemctl-status", ...fields },
      subject: fields.UNIT,
    }];
  };

  const property = (name: string, value: string, fields: Record<string, string>) => {
    if (name === "Active") fields.ACTIVE = value;
    else if (name === "Loaded") fields.LOADED = value;
    else if (name === "Main PID") {
      const pid = /^(\d{1,10})\b/.exec(value)?.[1];
      if (pid !== undefined) fields.MAIN_PID = pid;
      const exit = EXIT_RE.exec(value);
      // The main process's exit wins over the control processes listed before it.
      if (exit?.[1] !== undefined && exit[2] !== undefined) [fields.EXIT_CODE, fields.EXIT_STATUS, fields.EXIT_FROM] = [exit[1], exit[2], "main"];
    } else if (name === "Process" && fields.EXIT_FROM !== "main") {
      const exit = EXIT_RE.exec(value);
      if (exit?.[1] !== undefined && exit[2] !== undefined) [fields.EXIT_CODE, fields.EXIT_STATUS, fields.EXIT_FROM] = [exit[1], exit[2], "process"];
    }
  };

  return {
    push(text, lineNo) {
      const header = HEADER_RE.exec(text);
      if (header?.[1] !== undefined && !/^\s*\w{3} +\d/.test(text)) {
        const entries = close();
        open = { lines: [{ no: lineNo, text }], fields: { UNIT: header[1], ...(header[2] ? { DESCRIPTION: header[2] } : {}) }, last: undefined };
        return { entries, passThrough: false };
      }
      if (open !== undefined) {
        const prop = PROPERTY_RE.exec(text);
        if (prop?.[1] !== undefined && prop[2] !== undefined) {
          if (open.lines.length < MAX_ENTRY_LINES) open.lines.push({ no: lineNo, text });
          property(prop[1], prop[2], open.fields);
          open.last = prop[1];
          return { entries: [], passThrough: false };
        }
        if (open.last !== undefined && CONTINUATION_RE.test(text)) {
          if (open.lines.length < MAX_ENTRY_LINES) open.lines.push({ no: lineNo, text });
          return { entries: [], passThrough: false };
        }
        // A blank line or a journal line ends the block; the line itself is a log line (or nothing).
        return { entries: close(), passThrough: true };
      }
      return { entries: [], passThrough: true };
    },
    end: () => close(),
  };
}
