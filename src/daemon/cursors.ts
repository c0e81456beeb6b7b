// A source's position as one stored string, and the positions the pipeline has processed so far, per source.
//
// A file source follows several paths and a Docker source several containers plus the events stream; the store keeps
// one cursor per source name (the unit the store commits atomically with the incidents). So a source's cursor is its
// parts' positions in one string: a lone unnamed part as is (a journal's __CURSOR), else "multi1:" + JSON.
import { FirewatchError } from "../errors.js";

const MULTI = "multi1:";

/** One string for a source's parts (part name → that part's own cursor). */
export function encodeSourceCursor(parts: ReadonlyMap<string, string>): string {
  const only = parts.size === 1 ? parts.get("") : undefined;
  if (only !== undefined) return only;
  return MULTI + JSON.stringify(Object.fromEntries([...parts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
}

/** The parts of a stored cursor; undefined (nothing stored) gives none. */
export function decodeSourceCursor(text: string | undefined): Map<string, string> {
  if (text === undefined) return new Map();
  if (!text.startsWith(MULTI)) return new Map([["", text]]);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.slice(MULTI.length));
  } catch (cause) {
    throw new FirewatchError("store_corrupt", `a stored source cursor is not valid: ${JSON.stringify(text.slice(0, 80))}`, { cause });
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw new FirewatchError("store_corrupt", `a stored source cursor is not a mapping: ${JSON.stringify(text.slice(0, 80))}`);
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(parsed)) if (typeof v === "string") out.set(k, v);
  return out;
}

/**
 * The positions of what went through the engine: advanced item by item, read at commit time (only the sources that
 * moved since the last commit), and marked committed once the store took them.
 */
export class CursorTracker {
  private readonly parts = new Map<string, Map<string, string>>();
  private readonly dirty = new Set<string>();

  constructor(initial: ReadonlyMap<string, string | undefined> = new Map()) {
    for (const [source, text] of initial) this.parts.set(source, decodeSourceCursor(text));
  }

  advance(source: string, part: string, value: string): void {
    let p = this.parts.get(source);
    if (p === undefined) {
      p = new Map();
      this.parts.set(source, p);
    }
    if (p.get(part) === value) return;
    p.set(part, value);
    this.dirty.add(source);
  }

  /** Cursors of the sources that moved since the last markCommitted. */
  pending(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const source of this.dirty) {
      const p = this.parts.get(source);
      if (p !== undefined) out[source] = encodeSourceCursor(p);
    }
    return out;
  }

  /** The store holds these cursors now; a source that moved again since keeps its later position pending. */
  markCommitted(committed: Readonly<Record<string, string>>): void {
    for (const [source, text] of Object.entries(committed)) {
      const p = this.parts.get(source);
      if (p !== undefined && encodeSourceCursor(p) === text) this.dirty.delete(source);
    }
  }
}
