// What a status-snapshot reader yields (parsers/snapshot.ts): one entry per container row, container State or unit block.

export type SnapshotKind = "docker-ps" | "docker-inspect" | "systemctl-status";

/**
 * One thing a snapshot says: a container row, a container's State, a unit's status block. `text` is the line(s) as
 * pasted; `fields` are the snapshot's own names for what it shows (docker ps columns, inspect paths, systemctl
 * properties) plus SNAPSHOT, the kind, so that rules can tell a snapshot from a log line with the same words.
 */
export interface SnapshotEntry {
  readonly text: string;
  readonly firstLine: number;
  readonly lastLine: number;
  readonly fields: Record<string, string>;
  /** The container or unit the entry is about, when the snapshot names it. */
  readonly subject: string | undefined;
}

export interface SnapshotReader {
  /**
   * Feeds one line. Returns the entries it completes (in stream order), and whether the line itself is not part of
   * the snapshot (a command line, a journal line under systemctl status): such a line is parsed as a log line, after
   * the entries.
   */
  push(text: string, lineNo: number): { entries: SnapshotEntry[]; passThrough: boolean };
  /** End of stream: the entry still open (a paste cut in the middle). */
  end(): SnapshotEntry[];
}

/**
 * The most lines one entry keeps as its text (a long CGroup tree, a huge inspect document): the fields are still read
 * from every line, the text keeps the first lines. Keeps a reader's memory bounded whatever the paste.
 */
export const MAX_ENTRY_LINES = 500;
