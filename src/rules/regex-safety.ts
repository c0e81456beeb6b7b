// Finds the regex constructs that backtrack exponentially ((a+)+, (a|a)*, (\w+\s?)+) so that a rule using one is refused at load.
import { atomSet, consumedSet, overlaps, union, emptySet, type CharSet } from "./char-set.js";
import type { RegexNode } from "./regex-ast.js";

/**
 * A repeated sub-pattern is dangerous when one string can be split between its iterations in many ways: V8 then
 * tries every split before failing. Two shapes cause that:
 *  - a repeated body holding a variable-length part, with no mandatory separator character that the variable parts
 *    can never consume (`(a+)+`, `(\w+\s?)+`; but `(?:[a-z]+\.)+` is safe: every iteration ends at its one ".");
 *  - a repeated alternation whose branches can start with the same character (`(a|ab)*`, `(\d|\w)+`).
 * Polynomial cases (`.*a.*a` on a hostile line) are not refused here; the V8 backtrack fallback bounds them.
 * Returns a sentence naming the construct, or undefined when none is found.
 */
export function findCatastrophicConstruct(root: RegexNode): string | undefined {
  let found: string | undefined;
  const visit = (node: RegexNode): void => {
    if (found) return;
    if (node.type === "quantifier" && (node.max === undefined || node.max > 2)) {
      const body = node.body[0];
      const problem = repeatedBodyProblem(body);
      if (problem) {
        found = `"${node.raw}" ${problem}`;
        return;
      }
    }
    if ("body" in node && Array.isArray(node.body)) for (const child of node.body as RegexNode[]) visit(child);
  };
  visit(root);
  return found;
}

function repeatedBodyProblem(body: RegexNode): string | undefined {
  const inner = unwrap(body);
  if (inner.type === "disjunction") {
    const firsts = inner.body.map((alt) => firstSet(alt));
    for (let i = 0; i < firsts.length; i++)
      for (let j = i + 1; j < firsts.length; j++) {
        const a = firsts[i], b = firsts[j];
        if (a && b && overlaps(a, b))
          return "repeats an alternation whose branches can start with the same character (exponential backtracking)";
      }
  }
  const variable = variableParts(inner);
  if (variable.length === 0) return undefined;
  const varChars = variable.reduce<CharSet>((acc, n) => union(acc, consumedSet(n)), emptySet());
  const seq = inner.type === "alternative" ? inner.body : [inner];
  const hasSeparator = seq.some((part) => {
    const sep = mandatoryAtom(part);
    return sep !== undefined && !overlaps(sep, varChars);
  });
  if (hasSeparator) return undefined;
  return `repeats a group that contains the variable-length "${variable[0]?.raw ?? ""}" with no separator between repetitions (nested quantifier, exponential backtracking)`;
}

/** Strips groups that only wrap one node. */
function unwrap(node: RegexNode): RegexNode {
  let n = node;
  while (n.type === "group" && (n.behavior === "normal" || n.behavior === "ignore") && n.body.length === 1 && n.body[0]) n = n.body[0];
  if (n.type === "group" && (n.behavior === "normal" || n.behavior === "ignore")) return { type: "alternative", body: n.body, range: n.range, raw: n.raw };
  return n;
}

/** Sub-patterns that can match strings of different lengths: quantifiers with min ≠ max. */
function variableParts(node: RegexNode): RegexNode[] {
  const out: RegexNode[] = [];
  const visit = (n: RegexNode): void => {
    if (n.type === "group" && n.behavior !== "normal" && n.behavior !== "ignore") return; // lookarounds consume nothing
    if (n.type === "quantifier" && n.max !== n.min) out.push(n);
    if (n.type === "disjunction") {
      const lens = new Set(n.body.map(fixedLength));
      if (lens.size > 1 || lens.has(undefined)) out.push(n);
    }
    if ("body" in n && Array.isArray(n.body)) for (const c of n.body as RegexNode[]) visit(c);
  };
  visit(node);
  return out;
}

function fixedLength(node: RegexNode): number | undefined {
  if (atomSet(node)) return 1;
  switch (node.type) {
    case "anchor": return 0;
    case "group":
      if (node.behavior !== "normal" && node.behavior !== "ignore") return 0;
      return sumLengths(node.body);
    case "alternative": return sumLengths(node.body);
    case "quantifier": { const l = fixedLength(node.body[0]); return l !== undefined && node.max === node.min ? l * node.min : undefined; }
    case "disjunction": { const ls = new Set(node.body.map(fixedLength)); return ls.size === 1 ? [...ls][0] : undefined; }
    default: return undefined;
  }
}

function sumLengths(nodes: readonly RegexNode[]): number | undefined {
  let t = 0;
  for (const n of nodes) { const l = fixedLength(n); if (l === undefined) return undefined; t += l; }
  return t;
}

/** A one-character atom every match must consume at this position (x, [.], or x+ / x{2}). */
function mandatoryAtom(node: RegexNode): CharSet | undefined {
  const a = atomSet(node);
  if (a) return a;
  if (node.type === "quantifier" && node.min >= 1) return atomSet(node.body[0]);
  return undefined;
}

/** The characters a node's match can begin with; undefined when it can match the empty string (no constraint). */
function firstSet(node: RegexNode): CharSet | undefined {
  const a = atomSet(node);
  if (a) return a;
  switch (node.type) {
    case "alternative": {
      let acc = emptySet();
      for (const part of node.body) {
        const f = firstSet(part);
        if (f) acc = union(acc, f);
        if (!canBeEmpty(part)) return acc;
      }
      return undefined;
    }
    case "group":
      if (node.behavior !== "normal" && node.behavior !== "ignore") return undefined;
      return firstSet({ type: "alternative", body: node.body, range: node.range, raw: node.raw });
    case "disjunction": {
      let acc = emptySet();
      for (const alt of node.body) { const f = firstSet(alt); if (!f) return undefined; acc = union(acc, f); }
      return acc;
    }
    case "quantifier": return node.min === 0 ? undefined : firstSet(node.body[0]);
    default: return undefined;
  }
}

function canBeEmpty(node: RegexNode): boolean {
  if (atomSet(node)) return false;
  switch (node.type) {
    case "anchor": return true;
    case "group": return node.behavior !== "normal" && node.behavior !== "ignore" ? true : node.body.every(canBeEmpty);
    case "alternative": return node.body.every(canBeEmpty);
    case "disjunction": return node.body.some(canBeEmpty);
    case "quantifier": return node.min === 0 || canBeEmpty(node.body[0]);
    default: return true;
  }
}

/** True when the regex has a lookaround or a back-reference: V8's linear-time engine cannot run it, so no fallback bounds it. */
function needsBacktracking(root: RegexNode): boolean {
  let found = false;
  const visit = (node: RegexNode): void => {
    if (found) return;
    if (node.type === "reference") found = true;
    else if (node.type === "group" && node.behavior !== "normal" && node.behavior !== "ignore") found = true;
    if ("body" in node && Array.isArray(node.body)) for (const child of node.body as RegexNode[]) visit(child);
  };
  visit(root);
  return found;
}

/**
 * Polynomial backtracking in a regex V8 cannot fall back from: with a lookaround or back-reference, two unbounded
 * repeats whose characters overlap (`a.*a.*z(?=q)`) try every split of a hostile line between them, n^k steps with
 * no limit (a 3 KB line stalled the engine for ever). Returns a sentence naming the pair, or undefined.
 * Without lookaround and back-reference, the backtrack fallback bounds these shapes (regex-fallback.ts).
 */
export function findUnboundedPolynomial(root: RegexNode): string | undefined {
  if (!needsBacktracking(root)) return undefined;
  // The sequences to look at: the top level and the body of every group (each alternative of a disjunction alone).
  const sequences: RegexNode[][] = [];
  const collect = (node: RegexNode): void => {
    if (node.type === "alternative") sequences.push(node.body);
    if ("body" in node && Array.isArray(node.body)) for (const child of node.body as RegexNode[]) collect(child);
  };
  collect(root);
  if (root.type !== "alternative") sequences.push([root]);
  for (const seq of sequences) {
    for (let i = 0; i < seq.length; i++) {
      const a = seq[i];
      if (!a || a.type !== "quantifier" || a.max !== undefined) continue;
      const aSet = consumedSet(a);
      for (let j = i + 1; j < seq.length; j++) {
        const b = seq[j];
        if (!b) continue;
        // A character in between that one of the two cannot take separates them: each split is then tried once.
        const sep = mandatoryAtom(b);
        if (b.type !== "quantifier" || b.max !== undefined) {
          if (sep !== undefined && !overlaps(sep, aSet)) break;
          continue;
        }
        if (overlaps(aSet, consumedSet(b))) {
          return `"${a.raw}" and "${b.raw}" can split one run of text between them, and the lookaround or back-reference keeps V8's linear-time fallback from bounding it (polynomial backtracking)`;
        }
      }
    }
  }
  return undefined;
}
