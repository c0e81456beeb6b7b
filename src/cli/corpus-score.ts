// Scores the rules on the real-world corpus through analyze's own path: per rule recall, precision and field accuracy.
import { join } from "node:path";
import type { Finding } from "../correlate/index.js";
import { compileRules, loadRules } from "../rules/index.js";
import { runAnalyze } from "./analyze.js";
import { loadCorpusManifest, type Excerpt, type Expectation, type Need } from "./corpus-manifest.js";

/** The bar the whole corpus must reach (issue 17). */
export const CORPUS_BAR = { recall: 0.95, precision: 0.95, fields: 0.9 } as const;

export interface RuleScore {
  readonly rule: string;
  /** Expected findings concluded with the expected state. */
  tp: number;
  /** Expected findings missing, or concluded with another state. */
  fn: number;
  /** Firing findings nobody expected, or firing where only "observed" was expected. */
  fp: number;
  /** Expected fields right / expected fields of the findings the rule did conclude. */
  fieldsRight: number;
  fieldsTotal: number;
}

export interface ExcerptMiss {
  readonly file: string;
  readonly rule: string;
  /** missed: no finding; state: another state; false-positive: fired unexpectedly; field: a wrong or missing field. */
  readonly kind: "missed" | "state" | "false-positive" | "field";
  readonly detail: string;
  readonly needs: readonly Need[];
}

export interface CorpusScore {
  readonly excerpts: number;
  /** Excerpts where nothing may be concluded at all (`expect: []`). */
  readonly negatives: number;
  readonly rules: RuleScore[];
  readonly total: RuleScore;
  /** The same over the excerpts that wait on no other work (no `needs`): what this branch's rules alone reach. */
  readonly ready: RuleScore;
  readonly misses: ExcerptMiss[];
  readonly excluded: Readonly<Record<string, string>>;
}

const ratio = (num: number, den: number) => (den === 0 ? 1 : num / den);
export const recallOf = (s: RuleScore) => ratio(s.tp, s.tp + s.fn);
export const precisionOf = (s: RuleScore) => ratio(s.tp, s.tp + s.fp);
export const fieldsOf = (s: RuleScore) => ratio(s.fieldsRight, s.fieldsTotal);

const emptyScore = (rule: string): RuleScore => ({ rule, tp: 0, fn: 0, fp: 0, fieldsRight: 0, fieldsTotal: 0 });

function fieldHits(finding: Finding, want: Expectation): number {
  return Object.entries(want.fields).filter(([k, v]) => finding.fields[k] === v).length;
}

/** Pairs each expectation with the finding of its rule that fits it best (state first, then fields); each finding once. */
function pair(expect: readonly Expectation[], findings: readonly Finding[]): Map<Expectation, Finding | undefined> {
  const used = new Set<Finding>();
  const out = new Map<Expectation, Finding | undefined>();
  for (const want of expect) {
    let best: Finding | undefined;
    let bestScore = -1;
    for (const f of findings) {
      if (f.rule !== want.rule || used.has(f)) continue;
      const score = (f.state === want.state ? 1000 : 0) + fieldHits(f, want);
      if (score > bestScore) [best, bestScore] = [f, score];
    }
    if (best !== undefined) used.add(best);
    out.set(want, best);
  }
  return out;
}

/** Scores one excerpt's findings against its expectations, adding to the per-rule scores and the list of misses. */
export function scoreExcerpt(excerpt: Excerpt, findings: readonly Finding[], scores: Map<string, RuleScore>, misses: ExcerptMiss[]): void {
  const score = (rule: string) => {
    let s = scores.get(rule);
    if (s === undefined) scores.set(rule, (s = emptyScore(rule)));
    return s;
  };
  const miss = (rule: string, kind: ExcerptMiss["kind"], detail: string) => misses.push({ file: excerpt.file, rule, kind, detail, needs: excerpt.needs });
  const paired = pair(excerpt.expect, findings);
  for (const [want, got] of paired) {
    const s = score(want.rule);
    if (got === undefined) {
      s.fn++;
      miss(want.rule, "missed", `expected ${want.state}, no finding`);
      continue;
    }
    if (got.state === want.state) s.tp++;
    else {
      s.fn++;
      if (got.state === "firing") s.fp++;
      miss(want.rule, "state", `expected ${want.state}, concluded ${got.state}`);
    }
    for (const [k, v] of Object.entries(want.fields)) {
      s.fieldsTotal++;
      if (got.fields[k] === v) s.fieldsRight++;
      else miss(want.rule, "field", `${k}: expected ${JSON.stringify(v)}, got ${got.fields[k] === undefined ? "nothing" : JSON.stringify(got.fields[k])}`);
    }
  }
  const matched = new Set([...paired.values()]);
  for (const f of findings) {
    if (matched.has(f) || f.state !== "firing") continue;
    score(f.rule).fp++;
    miss(f.rule, "false-positive", `fired (${Object.entries(f.fields).map(([k, v]) => `${k}=${v}`).join(" ") || "no fields"})`);
  }
}

/** Runs analyze on every excerpt of DIR's manifest (with the built-in rules plus `rules` dirs) and scores the findings. */
export async function scoreCorpus(dir: string, opts: { rules: readonly string[]; now: number }): Promise<CorpusScore> {
  const manifest = await loadCorpusManifest(dir);
  const loaded = await loadRules({ dirs: [...opts.rules] });
  const ruleSet = { rules: loaded, compiled: compileRules(loaded) };
  const scores = new Map<string, RuleScore>();
  const readyScores = new Map<string, RuleScore>();
  const misses: ExcerptMiss[] = [];
  for (const excerpt of manifest.excerpts) {
    const { incidents } = await runAnalyze([join(dir, excerpt.file)], { rules: opts.rules, ruleSet }, { now: () => opts.now });
    const findings = incidents.flatMap((i) => i.findings);
    scoreExcerpt(excerpt, findings, scores, misses);
    if (excerpt.needs.length === 0) scoreExcerpt(excerpt, findings, readyScores, []);
  }
  const rules = [...scores.values()].sort((a, b) => (a.rule < b.rule ? -1 : 1));
  return {
    excerpts: manifest.excerpts.length,
    negatives: manifest.excerpts.filter((e) => e.expect.length === 0).length,
    rules,
    total: sum("all", rules),
    ready: sum("all without needs", [...readyScores.values()]),
    misses,
    excluded: manifest.excluded,
  };
}

function sum(name: string, rows: readonly RuleScore[]): RuleScore {
  const total = emptyScore(name);
  for (const s of rows) {
    total.tp += s.tp;
    total.fn += s.fn;
    total.fp += s.fp;
    total.fieldsRight += s.fieldsRight;
    total.fieldsTotal += s.fieldsTotal;
  }
  return total;
}

/** True when a score (the whole corpus by default) reaches CORPUS_BAR. */
export function meetsBar(score: CorpusScore, which: "total" | "ready" = "total"): boolean {
  const s = score[which];
  return recallOf(s) >= CORPUS_BAR.recall && precisionOf(s) >= CORPUS_BAR.precision && fieldsOf(s) >= CORPUS_BAR.fields;
}

const pct = (x: number) => x.toFixed(2);

/** The per-rule table, then the misses (each with the work it waits for, if any). */
export function renderCorpusScore(score: CorpusScore, opts: { only?: string } = {}): string {
  const rows = opts.only === undefined ? score.rules : score.rules.filter((r) => r.rule === opts.only);
  const width = Math.max(17, ...rows.map((r) => r.rule.length));
  const line = (s: RuleScore) =>
    `${s.rule.padEnd(width)}  ${String(s.tp + s.fn).padStart(5)}  ${pct(recallOf(s)).padStart(6)}  ${pct(precisionOf(s)).padStart(9)}  ${(s.fieldsTotal === 0 ? "-" : `${pct(fieldsOf(s))} (${s.fieldsRight}/${s.fieldsTotal})`).padStart(13)}  ${String(s.fp).padStart(3)}\n`;
  let out = `${"rule".padEnd(width)}  ${"cases".padStart(5)}  ${"recall".padStart(6)}  ${"precision".padStart(9)}  ${"fields".padStart(13)}  ${"FP".padStart(3)}\n`;
  for (const r of rows) out += line(r);
  if (opts.only === undefined) {
    out += line(score.total);
    out += line(score.ready);
    out += `\n${score.excerpts} excerpts, ${score.negatives} negatives (nothing may fire); bar: recall ${CORPUS_BAR.recall}, precision ${CORPUS_BAR.precision}, fields ${CORPUS_BAR.fields}\n`;
  }
  const misses = opts.only === undefined ? score.misses : score.misses.filter((m) => m.rule === opts.only);
  if (misses.length > 0) {
    out += `\nMisses (${misses.length}):\n`;
    for (const m of misses) out += `  ${m.rule}  ${m.kind}  ${m.file}: ${m.detail}${m.needs.length > 0 ? `  [needs: ${m.needs.join(", ")}]` : ""}\n`;
  }
  return out;
}
