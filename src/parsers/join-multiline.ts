// Joins continuation lines (tracebacks, panics, stack traces) into the record they belong to.
import { JUL_LEVEL_LINE_RE } from "./format-jul.js";
import type { LogFormat, LogRecord } from "./record.js";

export interface JoinOptions {
  /** Most physical lines in one joined record; the next line starts a new record. Default 500. */
  readonly maxLines?: number;
  /** Most UTF-16 code units of joined text in one record (about the bytes for ASCII). Default 256 Ki. */
  readonly maxChars?: number;
}

// What the pending record is in the middle of; decides which next lines continue it.
type Mode =
  | "none" // an ordinary line: only stack frames ("    at ...") and a Traceback header may follow
  | "error" // "Error: ...", "TypeError: ...", Bun's "error: ...": its properties and frames may follow
  | "py-traceback" // after "Traceback (most recent call last):" and its frames
  | "py-done" // after the exception line; a chained traceback may still follow
  | "rust-message" // after a new-style "panicked at file:line:col:" whose message is on the next line
  | "rust-panic" // after the panic message: notes and backtrace frames
  | "fatal-panic" // after a panic hook's "[FATAL PANIC OCCURRED]" (seed 001)
  | "go-panic" // after Go's "panic: ..." or "fatal error: ...": goroutine headers, functions, tab-indented files
  | "stack" // inside Node / Java frames
  | "object" // inside Node's "{ code: 'EADDRINUSE', ... }" after the frames
  | "jul-header" // after java.util.logging's "Dec 07, 2026 2:45:12 AM class method": its "SEVERE: msg" line follows
  | "jul-message"; // after that level line: the exception it logged and its frames may follow

// Formats whose lines carry a prefix: a continuation is recognised in the message, from the same emitter.
const PREFIXED: ReadonlySet<LogFormat> = new Set(["syslog", "syslog-iso", "syslog-precise", "journal-json", "docker", "compose"]);

const TRACEBACK = "Traceback (most recent call last):";
const CHAIN_RE = /^(?:During handling of the above exception, another exception occurred:|The above exception was the direct cause of the following exception:)$/;
const PY_EXCEPTION_RE = /^[A-Za-z_][\w.]*(?:: .*|:)?$/;
const RUST_PANIC_RE = /^thread '[^']*' panicked at /;
const RUST_NOTE_RE = /^(?:note: |stack backtrace:$|\s+\d+: |\s+at \S)/;
const PANIC_HOOK_RE = /^\s*(?:Location|Message|Payload|Thread|Backtrace|Cause|Error|Info)\s*:/;
const GO_PANIC_RE = /^(?:panic: |fatal error: )/;
// A function line is "pkg.(*T).method(0xc000123, 0x1)": no blank before the first "(" (keeps the match linear).
const GO_LINE_RE = /^(?:goroutine \d+ \[.*\]:$|\t|created by |exit status \d+$|\[signal |[^\s(]+\(.*\)$)/;
const ERROR_HEAD_RE = /^(?:[A-Z]\w*Error|error)(?::|$)/;
// Bun and Node print an error's own properties, indented, before its frames: ' syscall: "listen",'.
const PROP_RE = /^\s+[\w$]+: \S/;
const FRAME_RE = /^\s+at \S.*(?:\)|:\d+|\]|native|<anonymous>)$/;
const MORE_RE = /^\s+\.\.\. \d+ (?:more|common frames omitted)$/;
// A Java exception's first line: "java.net.BindException: Address already in use".
const JAVA_EXCEPTION_RE = /^(?:[a-z_$][\w$]*\.)+[A-Z][\w$]*(?:Exception|Error)(?::|$)/;
const CAUSED_RE = /^(?:Caused by: |\s+Suppressed: )/;
// The record a Traceback header may attach to: an error-ish log line (seed 004: "ERROR - Error rotating ... : ").
const ERRORISH_RE = /error|exception|fail|traceback|critical|fatal|:\s*$/i;

/** The mode a record starts in, from its own first line. */
function headMode(content: string): Mode {
  if (content === TRACEBACK) return "py-traceback";
  if (content.includes("[FATAL PANIC OCCURRED]")) return "fatal-panic";
  if (RUST_PANIC_RE.test(content)) return content.endsWith(":") ? "rust-message" : "rust-panic";
  if (GO_PANIC_RE.test(content)) return "go-panic";
  if (ERROR_HEAD_RE.test(content)) return "error";
  return "none";
}

/** The mode after appending `line` to a record in `mode`, or undefined when `line` does not continue it. */
function continues(mode: Mode, line: string, head: LogRecord): Mode | undefined {
  if (line === TRACEBACK) {
    if (mode === "py-done" || mode === "py-traceback") return "py-traceback";
    if ((mode === "none" || mode === "error") && (head.level === "error" || head.level === "fatal" || head.level === "warn" || ERRORISH_RE.test(head.message))) return "py-traceback";
    return undefined;
  }
  switch (mode) {
    case "jul-header":
      return JUL_LEVEL_LINE_RE.test(line) ? "jul-message" : undefined;
    case "jul-message":
      if (JAVA_EXCEPTION_RE.test(line)) return "stack";
      break;
    case "py-traceback":
      if (/^\s/.test(line)) return "py-traceback";
      return PY_EXCEPTION_RE.test(line) ? "py-done" : undefined;
    case "py-done":
      return CHAIN_RE.test(line) ? "py-done" : undefined;
    case "rust-message":
      return "rust-panic";
    case "rust-panic":
      return RUST_NOTE_RE.test(line) ? "rust-panic" : undefined;
    case "fatal-panic":
      return PANIC_HOOK_RE.test(line) || RUST_NOTE_RE.test(line) || RUST_PANIC_RE.test(line) ? "fatal-panic" : undefined;
    case "error":
      if (PROP_RE.test(line)) return "error";
      break;
    case "go-panic":
      return GO_LINE_RE.test(line) ? "go-panic" : undefined;
    case "object":
      if (line === "}") return "none";
      return /^\s/.test(line) ? "object" : undefined;
    case "stack":
      if (CAUSED_RE.test(line) || MORE_RE.test(line)) return "stack";
      break;
    case "none":
      break;
  }
  // Node prints the error's own properties after the last frame: "    at x (y:1:2) {" ... "}".
  if (mode === "stack" && line.endsWith(" {") && /^\s+at /.test(line)) return "object";
  if (FRAME_RE.test(line) || (mode === "stack" && /^\s+at \S/.test(line))) return "stack";
  return undefined;
}

interface Pending {
  head: LogRecord;
  texts: string[];
  messages: string[];
  chars: number;
  endLine: number;
  truncatedBytes: number;
  mode: Mode;
}

/**
 * Whether a line (its text and message) could take part in a joined event: start one other than an ordinary line
 * (a traceback, a panic, an "Error:" head, java.util.logging's two-line records) or continue an ordinary line (a
 * stack frame, a Traceback header). A line for which this is false, that follows no open event and that no
 * continuation follows, is a record of its own: the skimming reader may leave it unmaterialised.
 */
export function mayJoin(format: LogFormat, text: string, message: string): boolean {
  if (format === "jul") return true;
  return headMode(text) !== "none" || headMode(message) !== "none" || FRAME_RE.test(text) || FRAME_RE.test(message);
}

export interface MultilineJoiner {
  /** Feeds one record; returns the records that are now complete (0, 1 or 2). */
  push(record: LogRecord): LogRecord[];
  /** Whether the pending record is in the middle of an event (a traceback, a panic, a stack) that more lines may continue. */
  open(): boolean;
  /** Completes and returns the pending record, if any (end of stream, or a live source went quiet). */
  flush(): LogRecord | undefined;
}

/** A synchronous joiner holding at most one pending record; joinMultiline is its streaming form. */
export function createMultilineJoiner(opts: JoinOptions = {}): MultilineJoiner {
  const maxLines = opts.maxLines ?? 500;
  const maxChars = opts.maxChars ?? 256 * 1024;
  let pending: Pending | undefined;

  const start = (r: LogRecord): Pending => ({
    head: r,
    texts: [r.text],
    messages: [r.message],
    chars: r.text.length,
    endLine: r.ref.endLine,
    truncatedBytes: r.truncatedBytes,
    mode: r.format === "jul" ? "jul-header" : headMode(PREFIXED.has(r.format) ? r.message : r.text),
  });

  const complete = (p: Pending): LogRecord => {
    if (p.texts.length === 1) return p.head;
    // A joined event's raw lines are its text: the head's own raw line would quote only its first line.
    const { raw: _raw, ...head } = p.head;
    return {
      ...head,
      text: p.texts.join("\n"),
      message: p.messages.join("\n"),
      ref: { ...p.head.ref, endLine: p.endLine },
      truncatedBytes: p.truncatedBytes,
    };
  };

  /** The part of `r` to examine as a continuation of `p`, or undefined when `r` cannot continue it at all. */
  const contentOf = (p: Pending, r: LogRecord): string | undefined => {
    const h = p.head;
    if (r.ref.file !== h.ref.file) return undefined;
    if (r.format === "plain") return r.text;
    if (!PREFIXED.has(r.format) || r.format !== h.format) return undefined;
    // Two replicas of one compose service share the service name; their container names differ.
    const same = r.host === h.host && r.service === h.service && r.pid === h.pid && r.fields.container === h.fields.container;
    return same ? r.message : undefined;
  };

  return {
    push(record) {
      const p = pending;
      if (p !== undefined && p.texts.length < maxLines && p.chars + record.text.length + 1 <= maxChars) {
        const content = contentOf(p, record);
        const next = content === undefined ? undefined : continues(p.mode, content, p.head);
        if (content !== undefined && next !== undefined) {
          p.texts.push(record.text);
          p.messages.push(content);
          p.chars += record.text.length + 1;
          p.endLine = record.ref.endLine;
          p.truncatedBytes += record.truncatedBytes;
          p.mode = next;
          return [];
        }
      }
      pending = start(record);
      return p === undefined ? [] : [complete(p)];
    },
    open() {
      return pending !== undefined && pending.mode !== "none";
    },
    flush() {
      const p = pending;
      pending = undefined;
      return p === undefined ? undefined : complete(p);
    },
  };
}

/** Streams records with continuation lines joined in; holds at most one record back. */
export async function* joinMultiline(records: AsyncIterable<LogRecord>, opts: JoinOptions = {}): AsyncGenerator<LogRecord> {
  const joiner = createMultilineJoiner(opts);
  for await (const r of records) yield* joiner.push(r);
  const last = joiner.flush();
  if (last !== undefined) yield last;
}
