// Keeps the first and last few lines of a group verbatim: the evidence a report quotes, in bounded memory.
import type { LogRecord } from "../parsers/record.js";
import type { Evidence } from "./finding.js";

export interface EvidenceBuffer {
  add(record: LogRecord): void;
  /** The first `perEnd` and the last `perEnd` lines in arrival order (all of them when there are few). */
  list(): Evidence[];
}

export function createEvidenceBuffer(perEnd: number): EvidenceBuffer {
  const head: Evidence[] = [];
  let tail: Evidence[] = [];
  return {
    add(record) {
      if (perEnd === 0) return; // slice(-0) would keep everything
      // Only what a report shows is kept: not the whole record with its fields.
      const e: Evidence = { ref: record.ref, time: record.time, text: record.raw ?? record.text };
      if (head.length < perEnd) {
        head.push(e);
        return;
      }
      tail.push(e);
      if (tail.length > perEnd * 4) tail = tail.slice(-perEnd);
    },
    list: () => (perEnd === 0 ? [] : [...head, ...tail.slice(-perEnd)]),
  };
}
