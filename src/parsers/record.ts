// LogRecord: one logical log event, the unit everything downstream of the parsers works on.

export type Level = "fatal" | "error" | "warn" | "info" | "debug" | "trace";

/** The format a line was recognised as; detection is per file and falls back per line. */
export type LogFormat =
  | "plain" // no recognisable prefix
  | "syslog" // "Dec 26 17:57:01 host prog[pid]: msg" (journalctl short, RFC 3164)
  | "syslog-iso" // journalctl short-iso / short-iso-precise / RFC 5424-ish "2025-12-26T17:57:01-0500 host prog[pid]: msg"
  | "syslog-precise" // journalctl short-precise "Dec 26 17:57:01.123456 host prog[pid]: msg"
  | "journal-json" // journalctl -o json
  | "docker" // docker logs [--timestamps] (optionally prefixed "2025-...Z msg")
  | "compose" // docker compose logs "web_1  | msg"
  | "json" // JSON lines: pino, bunyan, winston, python-json-logger
  | "python" // Python logging "2025-11-08 01:04:15,802 - INFO - msg"
  | "dmesg" // kernel ring buffer "[ 1234.5678] msg" or "-T" "[Thu Nov  6 03:12:09 2025] msg"
  | "apache" // Apache httpd error log "[Sun Dec 04 04:47:44 2005] [error] msg"
  | "stamped" // a dated stamp, no host: log4j/logback "2015-10-18 18:01:47,978 INFO [main] a.b.C: msg", Spark, HDFS, OpenStack, Windows CBS, Go
  | "logfmt" // time="2025-11-20T15:00:00Z" level=error msg="..." (logrus text, go-kit)
  | "jul" // java.util.logging "Dec 07, 2026 2:45:12 AM com.example.Server start", its "SEVERE: msg" joined
  | "logcat" // Android "03-17 16:13:38.811  1702  2395 D Tag: msg" (no year)
  | "klog" // glog/klog (Kubernetes, Go daemons) "E1107 12:34:56.789012    1234 server.go:42] msg" (no year)
  | "proxifier" // "[10.30 16:49:06] chrome.exe - msg" (no year)
  | "ras" // BGL / Thunderbird "- 1117838570 2005.06.03 node ..." (epoch seconds)
  | "hpc" // HPC "134681 node-246 unix.hw state 1077804742 1 msg" (epoch seconds)
  | "docker-ps" // a `docker ps` / `docker compose ps` table pasted as is: one record per container row
  | "docker-inspect" // `docker inspect` output: one record per container's State (see parsers/snapshot.ts)
  | "systemctl-status"; // `systemctl status` output: one record per unit block; its journal lines are log lines

/** Formats whose stamps carry no year: their year is inferred (never after the reference time). */
export const YEARLESS_FORMATS: ReadonlySet<LogFormat> = new Set<LogFormat>(["syslog", "syslog-precise", "logcat", "klog", "proxifier"]);

/** Where a record came from: file path ("-" for stdin) and 1-based physical line numbers. */
export interface SourceRef {
  readonly file: string;
  readonly line: number;
  readonly endLine: number;
}

export interface LogRecord {
  /** What rules match by default: the whole physical line(s), or for JSON formats the message. Multi-line events are joined with "\n". */
  readonly text: string;
  /** The physical line as read, only when `text` is not it (JSON formats, whose text is the message): evidence quotes it verbatim. */
  readonly raw?: string;
  /**
   * Texts of the record's error fields, for structured logs (pino/bunyan `err.message`/`err.stack`, zap/logrus
   * `error`, Python `exc_info`, nested causes): rules match them beside `text` (parsers/error-fields.ts lists the names).
   */
  readonly errors?: readonly string[];
  /** The message without its prefix (time, host, program). */
  readonly message: string;
  /** Event time in epoch milliseconds, undefined when the line carries none. */
  readonly time: number | undefined;
  readonly host: string | undefined;
  /** Unit, container or program name, normalised: "transcription-palantir" for "transcription-palantir.service". */
  readonly service: string | undefined;
  readonly pid: number | undefined;
  readonly level: Level | undefined;
  /** Structured fields the source carried (journald fields, JSON keys), as strings. */
  readonly fields: Readonly<Record<string, string>>;
  readonly format: LogFormat;
  readonly ref: SourceRef;
  /** Where to resume from (journald __CURSOR, file inode+offset, docker timestamp); live sources only. */
  readonly cursor?: string;
  /** Bytes cut off by the line cap, summed over the record's lines (0 when nothing was cut). */
  readonly truncatedBytes: number;
}
