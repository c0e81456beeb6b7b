// Extracts from a regex the literals every match must contain (one of a set), so a prefilter can skip lines that lack them.
import { atomSet, members, size } from "./char-set.js";
import type { RegexNode } from "./regex-ast.js";

/** A literal shorter than this finds nearly every line and only costs time. */
export const MIN_LITERAL_LENGTH = 3;
const MAX_SET = 64; // alternatives kept in one set (cross products beyond this are dropped)
const MAX_CLASS = 4; // [Aa] expands to two literals; a wider class ends the literal
const MAX_LITERAL = 128;

/**
 * What we know of a node: `exact` = every string it can match (when few and short), `required` = a set such that
 * every match contains at least one member. undefined means "nothing known".
 */
interface Info {
  exact: string[] | undefined;
  required: string[] | undefined;
}

const NOTHING: Info = { exact: undefined, required: undefined };
const EMPTY: Info = { exact: [""], required: undefined };

/**
 * The literals a match must contain (any one of them), or undefined when the regex guarantees none long enough:
 * `[Aa]ddress in use` gives ["Address in use", "address in use"], `(?:EADDRINUSE|Is port \d+)` gives
 * ["EADDRINUSE", "Is port "], `(?:\W|$)` gives nothing.
 */
export function requiredLiterals(root: RegexNode): string[] | undefined {
  const info = analyse(root);
  const best = pick([info.required, info.exact]);
  return best ? minimal(best) : undefined;
}

/** Drops members that contain another member: finding "Failed password for " already covers "Failed password for invalid user ". */
function minimal(xs: readonly string[]): string[] {
  const uniq = dedupe(xs);
  return uniq.filter((x) => !uniq.some((y) => y !== x && x.includes(y)));
}

function analyse(node: RegexNode): Info {
  const atom = atomSet(node);
  if (atom) {
    const n = size(atom);
    return n >= 1 && n <= MAX_CLASS ? { exact: members(atom), required: undefined } : NOTHING;
  }
  switch (node.type) {
    case "anchor": return EMPTY;
    case "group":
      if (node.behavior !== "normal" && node.behavior !== "ignore") return EMPTY; // lookarounds: no guarantee
      return concat(node.body.map(analyse));
    case "alternative": return concat(node.body.map(analyse));
    case "disjunction": return alternatives(node.body.map(analyse));
    case "quantifier": {
      const inner = analyse(node.body[0]);
      if (node.min === 0) return node.max === 1 && inner.exact ? { exact: [...inner.exact, ""], required: undefined } : NOTHING;
      if (node.max === node.min && inner.exact) {
        let exact: string[] | undefined = [""];
        for (let i = 0; i < node.min && exact; i++) exact = cross(exact, inner.exact);
        if (exact) return { exact, required: undefined };
      }
      // At least one iteration happens: whatever one iteration requires is required.
      return { exact: undefined, required: pick([inner.required, inner.exact]) };
    }
    default: return NOTHING; // back-references, Unicode property escapes
  }
}

function alternatives(infos: Info[]): Info {
  const exact = infos.every((i) => i.exact) ? dedupe(infos.flatMap((i) => i.exact ?? [])) : undefined;
  let required: string[] | undefined = [];
  for (const i of infos) {
    const r = pick([i.required, i.exact]);
    if (!r) { required = undefined; break; }
    required.push(...r);
  }
  return { exact: exact && exact.length <= MAX_SET ? exact : undefined, required: required && required.length <= MAX_SET ? dedupe(required) : undefined };
}

/** A sequence: runs of exact neighbours multiply out into longer literals; the best candidate set wins. */
function concat(infos: Info[]): Info {
  const candidates: (string[] | undefined)[] = [];
  let run: string[] | undefined = [""];
  let allExact = true;
  for (const info of infos) {
    candidates.push(info.required);
    const next: string[] | undefined = info.exact && run ? cross(run, info.exact) : undefined;
    if (next) { run = next; continue; }
    allExact = false;
    candidates.push(run);
    // A too-wide part ends the run; a new run starts with this part if it is exact.
    run = info.exact ?? [""];
  }
  candidates.push(run);
  if (allExact && run) return { exact: run, required: undefined };
  return { exact: undefined, required: pick(candidates) };
}

function cross(a: readonly string[], b: readonly string[]): string[] | undefined {
  if (a.length * b.length > MAX_SET) return undefined;
  const out: string[] = [];
  for (const x of a) for (const y of b) {
    if (x.length + y.length > MAX_LITERAL) return undefined;
    out.push(x + y);
  }
  return out;
}

/** The most selective set: longest shortest member, then fewest members. A set with a too-short member is useless. */
function pick(sets: readonly (readonly string[] | undefined)[]): string[] | undefined {
  let best: readonly string[] | undefined;
  let bestScore = -Infinity;
  for (const s of sets) {
    if (!s || s.length === 0) continue;
    const shortest = Math.min(...s.map((x) => x.length));
    if (shortest < MIN_LITERAL_LENGTH) continue;
    const score = Math.min(shortest, 16) * 100 - s.length;
    if (score > bestScore) { best = s; bestScore = score; }
  }
  return best ? [...best] : undefined;
}

function dedupe(xs: readonly string[]): string[] {
  return [...new Set(xs)];
}
