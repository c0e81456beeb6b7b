// Approximate character sets of regex atoms (exact for ASCII, one "anything else" bit above it) for overlap tests.
import type { RegexNode } from "./regex-ast.js";

/** 128 ASCII bits plus one bit standing for every code point ≥ 128. */
export interface CharSet {
  readonly ascii: Uint32Array;
  nonAscii: boolean;
}

export function emptySet(): CharSet {
  return { ascii: new Uint32Array(4), nonAscii: false };
}

function fullSet(): CharSet {
  return { ascii: Uint32Array.of(~0, ~0, ~0, ~0), nonAscii: true };
}

function addRange(set: CharSet, lo: number, hi: number): void {
  for (let c = lo; c <= Math.min(hi, 127); c++) set.ascii[c >> 5] = (set.ascii[c >> 5] ?? 0) | (1 << (c & 31));
  if (hi >= 128) set.nonAscii = true;
}

function negate(set: CharSet): CharSet {
  // The complement of an ASCII-only set still contains every non-ASCII character.
  return { ascii: set.ascii.map((w) => ~w), nonAscii: true };
}

export function union(a: CharSet, b: CharSet): CharSet {
  return { ascii: a.ascii.map((w, i) => w | (b.ascii[i] ?? 0)), nonAscii: a.nonAscii || b.nonAscii };
}

export function overlaps(a: CharSet, b: CharSet): boolean {
  if (a.nonAscii && b.nonAscii) return true;
  for (let i = 0; i < 4; i++) if (((a.ascii[i] ?? 0) & (b.ascii[i] ?? 0)) !== 0) return true;
  return false;
}

export function size(set: CharSet): number {
  let n = 0;
  for (const w of set.ascii) for (let x = w >>> 0; x !== 0; x &= x - 1) n++;
  return set.nonAscii ? Infinity : n;
}

/** The ASCII members, in order (only meaningful when size() is small). */
export function members(set: CharSet): string[] {
  const out: string[] = [];
  for (let c = 0; c < 128; c++) if (((set.ascii[c >> 5] ?? 0) >>> (c & 31)) & 1) out.push(String.fromCharCode(c));
  return out;
}

function escapeSet(value: string): CharSet {
  const s = emptySet();
  switch (value.toLowerCase()) {
    case "d": addRange(s, 48, 57); break;
    case "w": addRange(s, 48, 57); addRange(s, 65, 90); addRange(s, 97, 122); addRange(s, 95, 95); break;
    default: addRange(s, 9, 13); addRange(s, 32, 32); addRange(s, 160, 0xffff); // \s is Unicode-aware in JS
  }
  return value === value.toUpperCase() ? negate(s) : s;
}

/** The set a single-character atom matches, or undefined when the node is not one character wide. */
export function atomSet(node: RegexNode): CharSet | undefined {
  switch (node.type) {
    case "value": { const s = emptySet(); addRange(s, node.codePoint, node.codePoint); return s; }
    case "dot": return fullSet();
    case "characterClassEscape": return escapeSet(node.value);
    case "characterClass": {
      let s = emptySet();
      for (const part of node.body) {
        if (part.type === "value") addRange(s, part.codePoint, part.codePoint);
        else if (part.type === "characterClassRange") addRange(s, part.min.codePoint, part.max.codePoint);
        else if (part.type === "characterClassEscape") s = union(s, escapeSet(part.value));
        else return fullSet();
      }
      return node.negative ? negate(s) : s;
    }
    default: return undefined;
  }
}

/** Every character the node can consume (a superset). */
export function consumedSet(node: RegexNode): CharSet {
  const atom = atomSet(node);
  if (atom) return atom;
  switch (node.type) {
    case "alternative": case "disjunction": case "group": case "quantifier":
      return node.body.reduce<CharSet>((acc, child) => union(acc, consumedSet(child)), emptySet());
    case "reference": return fullSet();
    default: return emptySet();
  }
}
