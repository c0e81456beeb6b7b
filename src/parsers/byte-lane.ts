// What a line's bytes hold, found without decoding them: a rule's literal, a text that makes the skimming reader parse
// the line, an "=". One automaton walk per line stands for a Buffer, a string and five regexes (issue 18: most lines of
// a busy log are neither candidates nor parsed, and that per-line work was most of `analyze`).
import { buildAutomaton, type AutomatonKey } from "../aho-corasick.js";

/** A literal of the rules' byte gate occurs: the line may be wanted. */
export const LANE_WANTED = 1;
/** A text occurs that the skimming reader parses a line for (parse-lines.ts: MAY_JOIN_RE). */
export const LANE_PARSE = 2;
/** An "=": key=value fields, for the formats and line starts that read them. */
export const LANE_EQUALS = 4;
/** Whitespace + "at ": a stack frame may start there, if the line also ends as one (parse-lines.ts: mayBeFrame). */
export const LANE_AT = 8;
/**
 * A "{", "\\" or "|": JSON in a message (escapes in it), or docker compose's "name  | " prefix. A line's parse reads
 * them only in the streams whose message it parses apart (docker, compose); a line starting with "{" is seen by its start.
 */
export const LANE_INNER = 16;

/** Flags of bytes[start, end): the OR of the LANE_* bits whose texts occur; the walk stops at WANTED or PARSE. */
export type ByteLane = ((bytes: Uint8Array, start: number, end: number) => number) & {
  /** Whether a literal of the gate occurs in `bytes`, as the rules' byte gate says (the walk stops only at one). */
  readonly wanted: (bytes: Uint8Array) => boolean;
};

/**
 * Every character JavaScript's \s matches (WhiteSpace and LineTerminator of ECMA-262): the "\sat \S" of MAY_JOIN_RE
 * starts with one. A test holds this list to the regex engine over every UTF-16 code unit.
 */
export const REGEX_SPACES: readonly string[] = [
  "\t", "\n", "\v", "\f", "\r", " ", "\u00a0", "\u1680",
  "\u2000", "\u2001", "\u2002", "\u2003", "\u2004", "\u2005", "\u2006", "\u2007", "\u2008", "\u2009", "\u200a",
  "\u2028", "\u2029", "\u202f", "\u205f", "\u3000", "\ufeff",
];

/**
 * The texts of parse-lines.ts's MAY_JOIN_RE that may occur anywhere in a line, as literals (NEEDS_PARSE_RE looks only
 * at a line's start): a line holding none of them matches neither regex except by its start and end (the caller
 * looks at those).
 */
const PARSE_TEXTS: readonly string[] = [
  "Traceback (most recent call last):", "[FATAL PANIC OCCURRED]", "' panicked at ", "panic: ", "fatal error: ",
  "Error:", "error:",
];

const lanes = new WeakMap<object, ByteLane>();

/**
 * The lane for a byte gate's literal sets (MatchGate.literals), built once per set: analyze reads many files with one
 * gate, and the gate's own byte verdict (`wanted`) walks the same automaton. Literals are matched as their UTF-8 bytes.
 */
export function byteLaneFor(wanted: readonly (readonly string[] | undefined)[]): ByteLane {
  const known = lanes.get(wanted);
  if (known !== undefined) return known;
  const enc = new TextEncoder();
  const keys: AutomatonKey[] = [];
  for (const set of wanted) for (const lit of set ?? []) keys.push({ symbols: enc.encode(lit), id: 0 });
  for (const lit of PARSE_TEXTS) keys.push({ symbols: enc.encode(lit), id: 1 });
  keys.push({ symbols: enc.encode("="), id: 2 });
  for (const space of REGEX_SPACES) keys.push({ symbols: enc.encode(`${space}at `), id: 3 });
  for (const inner of ["{", "\\", "|"]) keys.push({ symbols: enc.encode(inner), id: 4 });
  const { delta, accepting, outStart, outIds, states } = buildAutomaton(keys, 256);
  // Each state's flags, its outputs' bits ORed: one load per byte in the walk.
  const flagsOf = new Uint8Array(states);
  for (let s = 0; s < states; s++) {
    if (accepting[s] === 0) continue;
    for (let k = outStart[s] ?? 0; k < (outStart[s + 1] ?? 0); k++) flagsOf[s] = (flagsOf[s] ?? 0) | (1 << (outIds[k] ?? 0));
  }
  const stop = LANE_WANTED | LANE_PARSE;
  const walk = (bytes: Uint8Array, start: number, end: number): number => {
    let s = 0;
    let flags = 0;
    for (let i = start; i < end; i++) {
      s = delta[(s << 8) | (bytes[i] ?? 0)] ?? 0;
      const f = flagsOf[s] ?? 0;
      if (f !== 0) {
        flags |= f;
        if ((flags & stop) !== 0) return flags;
      }
    }
    return flags;
  };
  const wantedIn = (bytes: Uint8Array): boolean => {
    let s = 0;
    for (let i = 0; i < bytes.length; i++) {
      s = delta[(s << 8) | (bytes[i] ?? 0)] ?? 0;
      if (((flagsOf[s] ?? 0) & LANE_WANTED) !== 0) return true;
    }
    return false;
  };
  const lane: ByteLane = Object.assign(walk, { wanted: wantedIn });
  lanes.set(wanted, lane);
  return lane;
}
