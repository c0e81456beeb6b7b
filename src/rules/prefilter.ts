// The literal prefilter: one Aho-Corasick pass over a line says which patterns can possibly match it.
import { buildAutomaton, type Automaton, type AutomatonKey } from "../aho-corasick.js";

/**
 * Over decoded strings (the LogRecord path). Code units that occur in no literal share class 0, so the table has one
 * column per distinct literal character, not 65536.
 */
export interface StringPrefilter {
  /**
   * Marks in `stamp` every pattern whose literal occurs in `text` (stamp[p] = epoch) and returns how many were marked.
   * Patterns without literals are not marked: the caller treats them as always candidates.
   */
  mark(text: string, stamp: Uint32Array, epoch: number): number;
  /** Whether any literal occurs in `text`: the walk stops at the first one. */
  any(text: string): boolean;
}

/**
 * The prefilters built last, by their literal sets: the matcher and the match gate each build one over the same
 * sets (the built-in library: 213 literals, 10-20 ms each at every start). A prefilter holds no state between calls.
 * A few are kept, so a daemon that reloads its rules does not keep every set it ever had.
 */
const recent = new Map<string, StringPrefilter>();
const RECENT_MAX = 4;

/** `literals[p]` is pattern p's literal set, or undefined when p has none (always a candidate). */
export function createStringPrefilter(literals: readonly (readonly string[] | undefined)[]): StringPrefilter {
  const key = JSON.stringify(literals);
  const known = recent.get(key);
  if (known !== undefined) return known;
  const built = buildStringPrefilter(literals);
  recent.set(key, built);
  if (recent.size > RECENT_MAX) recent.delete(recent.keys().next().value ?? key);
  return built;
}

function buildStringPrefilter(literals: readonly (readonly string[] | undefined)[]): StringPrefilter {
  const classOf = new Uint16Array(65536);
  let classes = 1;
  const keys: AutomatonKey[] = [];
  literals.forEach((set, id) => {
    for (const lit of set ?? []) {
      const symbols: number[] = [];
      for (let i = 0; i < lit.length; i++) {
        const c = lit.charCodeAt(i);
        if (classOf[c] === 0) classOf[c] = classes++;
        symbols.push(classOf[c] ?? 0);
      }
      keys.push({ symbols, id });
    }
  });
  const ac: Automaton = buildAutomaton(keys, classes);
  const { delta, accepting, outStart, outIds, alphabet } = ac;
  return {
    mark(text, stamp, epoch) {
      let s = 0, marked = 0;
      for (let i = 0; i < text.length; i++) {
        s = delta[s * alphabet + (classOf[text.charCodeAt(i)] ?? 0)] ?? 0;
        if (accepting[s] === 1) {
          const end = outStart[s + 1] ?? 0;
          for (let k = outStart[s] ?? 0; k < end; k++) {
            const id = outIds[k] ?? 0;
            if (stamp[id] !== epoch) { stamp[id] = epoch; marked++; }
          }
        }
      }
      return marked;
    },
    any(text) {
      let s = 0;
      for (let i = 0; i < text.length; i++) {
        s = delta[s * alphabet + (classOf[text.charCodeAt(i)] ?? 0)] ?? 0;
        if (accepting[s] === 1) return true;
      }
      return false;
    },
  };
}

/** Over raw UTF-8 bytes (the scan path): the automaton only; the scan loop inlines the walk for speed. */
export function createBytePrefilter(literals: readonly (readonly string[] | undefined)[]): Automaton {
  const keys: AutomatonKey[] = [];
  const enc = new TextEncoder();
  literals.forEach((set, id) => {
    for (const lit of set ?? []) keys.push({ symbols: enc.encode(lit), id });
  });
  return buildAutomaton(keys, 256);
}

