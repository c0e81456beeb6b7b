// The file tailer's position: which file (device+inode and a fingerprint of its first bytes) and how far in.
import { createHash } from "node:crypto";
import { FirewatchError } from "../errors.js";

/** Bytes at the start of a file that identify it beyond its inode (inodes are reused after delete). */
export const FINGERPRINT_BYTES = 256;

export interface FileCursor {
  readonly dev: string;
  readonly ino: string;
  /** Byte offset just after the last line handed out. */
  readonly offset: number;
  /** How many leading bytes `fingerprint` covers (grows with the file up to FINGERPRINT_BYTES). */
  readonly fpLen: number;
  /** sha256 hex of the first fpLen bytes. */
  readonly fingerprint: string;
}

export function fingerprintOf(head: Buffer): string {
  return createHash("sha256").update(head).digest("hex");
}

/** "file1:dev:ino:offset:fpLen:sha256": stable, one line, safe to store anywhere. */
export function encodeFileCursor(c: FileCursor): string {
  return `file1:${c.dev}:${c.ino}:${c.offset}:${c.fpLen}:${c.fingerprint}`;
}

export function decodeFileCursor(text: string): FileCursor {
  const m = /^file1:(\d+):(\d+):(\d+):(\d+):([0-9a-f]{64})$/.exec(text);
  if (!m?.[1] || !m[2] || !m[3] || !m[4] || !m[5]) throw new FirewatchError("input_invalid", `not a file cursor: ${JSON.stringify(text.slice(0, 120))}`, { hint: "file cursors look like file1:dev:ino:offset:fpLen:sha256" });
  return { dev: m[1], ino: m[2], offset: Number(m[3]), fpLen: Number(m[4]), fingerprint: m[5] };
}
