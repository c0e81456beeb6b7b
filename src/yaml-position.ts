// Where a zod issue about a YAML document sits: its path ("sources[1].paths") and its 1-based line, for errors that
// point at the line to fix. Shared by rule files (src/rules) and firewatch.yaml (src/config).
import { isMap, type Document, type LineCounter } from "yaml";
import type { z } from "zod";

export type YamlPath = (string | number)[];

/** The issue's path plus, for an unknown key, the key itself (so the line is the key's). */
export function issuePath(issue: z.core.$ZodIssue): YamlPath {
  const path = issue.path.filter((p): p is string | number => typeof p !== "symbol");
  if (issue.code === "unrecognized_keys" && issue.keys[0] !== undefined) return [...path, issue.keys[0]];
  return path;
}

/** `match.any[1]`, `sources[1].paths`, `knowledge.immediate_actions[0].commands`. */
export function formatPath(path: readonly (string | number)[]): string {
  let out = "";
  for (const p of path) out += typeof p === "number" ? `[${p}]` : out === "" ? p : `.${p}`;
  return out;
}

/** The 1-based line of the deepest node on `path` that exists in the document; a key's own line when the path ends at a key. */
export function lineOf(doc: Document, counter: LineCounter, path: readonly (string | number)[]): number {
  for (let n = path.length; n >= 0; n--) {
    const parent = n === 0 ? doc.contents : doc.getIn(path.slice(0, n - 1), true);
    const last = path[n - 1];
    // For a key, prefer the key's own position (an unknown key points at itself, not at its value).
    if (n > 0 && isMap(parent)) {
      const pair = parent.items.find((p) => (p.key as { value?: unknown } | null)?.value === last);
      const range = (pair?.key as { range?: [number, number] } | null)?.range;
      if (range) return counter.linePos(range[0]).line;
    }
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    const range = (node as { range?: [number, number] } | null)?.range;
    if (range) return counter.linePos(range[0]).line;
  }
  return 1;
}
