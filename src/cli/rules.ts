// `firewatch rules list`, `rules lint` and `rules test`: check rules, and show what a rule matches in a log, like fail2ban-regex.
import type { Command } from "commander";
import { FirewatchError } from "../errors.js";
import { escapeTerminal } from "../report/index.js";
import type { CompiledRule, LintFinding, Signal } from "../rules/index.js";
import { createUnreadableTally } from "./unreadable.js";
import { EXIT } from "./exit-codes.js";
import { counted } from "./words.js";

// Imported when a subcommand runs (see scan.ts): building the program stays cheap.
const engine = () => import("../rules/index.js");
const sources = () => import("../sources/index.js");
const corpus = () => import("./corpus-score.js");

interface Out { write(s: string): unknown }

async function compiledRules(dirs: readonly string[]): Promise<CompiledRule[]> {
  const { compileRules, loadRules } = await engine();
  return compileRules(await loadRules({ dirs }));
}

export interface RuleListEntry {
  readonly id: string;
  readonly kind: string;
  readonly severity: string;
  readonly title: string;
  /** "builtin", or the file:line of the rule that adds or overrides it. */
  readonly source: string;
  readonly overrides: boolean;
}

/** Every rule in force: the built-ins, then `dirs` adding rules or replacing built-ins by id. */
export async function runRulesList(dirs: readonly string[]): Promise<RuleListEntry[]> {
  const { builtinRuleDir, loadLocatedDir } = await engine();
  const byId = new Map<string, RuleListEntry>();
  const entry = (r: { rule: { id: string; kind: string; severity: string; title?: string | undefined }; file: string; line: number }, source: string) => ({
    id: r.rule.id, kind: r.rule.kind, severity: r.rule.severity, title: r.rule.title ?? r.rule.id, source, overrides: byId.has(r.rule.id),
  });
  for (const r of await loadLocatedDir(builtinRuleDir())) byId.set(r.rule.id, entry(r, "builtin"));
  for (const dir of dirs) for (const r of await loadLocatedDir(dir)) byId.set(r.rule.id, entry(r, `${r.file}:${r.line}`));
  return [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
}

/** Lint findings for the built-ins plus `dirs`; a rule that does not load throws (exit 2). */
export async function runRulesLint(dirs: readonly string[]): Promise<{ rules: number; findings: LintFinding[] }> {
  const { lintRules } = await engine();
  const rules = await compiledRules(dirs);
  return { rules: rules.length, findings: lintRules(rules) };
}

export interface RuleTestMatch {
  readonly line: number;
  readonly role: Signal["role"];
  readonly fields: Readonly<Record<string, string>>;
  readonly text: string;
}

export interface RuleTestReport {
  readonly id: string;
  matched: number;
  readonly matches: RuleTestMatch[];
  /** Records holding one of the rule's prefilter literals that its regexes still rejected. */
  readonly nearMisses: { line: number; text: string }[];
}

export interface RulesTestResult {
  readonly lines: number;
  readonly records: number;
  readonly rules: RuleTestReport[];
}

/** Runs the matcher over a log the way `analyze` reads it (formats parsed, multi-line events joined). */
export async function runRulesTest(ruleArg: string, paths: readonly string[], opts: { dirs: readonly string[]; maxShown: number }): Promise<RulesTestResult> {
  const { createMatcher } = await engine();
  const { expandInputs, readLogRecords, createReadStats } = await sources();
  const all = await compiledRules(opts.dirs);
  const chosen = ruleArg === "all" ? all : all.filter((r) => r.id === ruleArg);
  if (chosen.length === 0)
    throw new FirewatchError("rule_unknown", `No rule "${ruleArg}".`, { hint: `known rules: ${all.map((r) => r.id).join(", ")}` });
  const match = createMatcher(chosen);
  const reports = new Map<string, RuleTestReport>(chosen.map((r) => [r.id, { id: r.id, matched: 0, matches: [], nearMisses: [] }]));
  const stats = createReadStats();
  let records = 0;
  const unreadable = createUnreadableTally();
  const inputs = await expandInputs(paths, unreadable);
  if (unreadable.count() > 0) process.stderr.write(unreadable.notice());
  for await (const record of readLogRecords(inputs, { stats })) {
    records++;
    const signals = match(record);
    const hit = new Set<string>();
    const counted = new Set<string>();
    for (const s of signals) {
      const rep = reports.get(s.ruleId);
      if (!rep) continue;
      // `matched` counts records the main set matched (as scan does); then/expect/until/clears lines are listed too.
      if (s.role === "match" && !counted.has(s.ruleId)) rep.matched++;
      if (s.role === "match") counted.add(s.ruleId);
      hit.add(s.ruleId);
      if (rep.matches.length < opts.maxShown) rep.matches.push({ line: record.ref.line, role: s.role, fields: s.fields, text: record.text });
    }
    // Near misses are cheap only because the literal test is: a substring search on a record no rule matched.
    for (const rule of chosen) {
      const rep = reports.get(rule.id);
      if (!rep || hit.has(rule.id) || rep.nearMisses.length >= opts.maxShown) continue;
      const main = rule.sets[0];
      if (main?.any.some((p) => p.literals?.some((l) => record.text.includes(l)))) rep.nearMisses.push({ line: record.ref.line, text: record.text });
    }
  }
  return { lines: stats.lines, records, rules: [...reports.values()] };
}

function clip(text: string, max = 160): string {
  const one = text.replace(/[\r\n\t]+/g, " ");
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

/** The text of `rules test`; log text in it goes through escapeTerminal. */
export function printTest(result: RulesTestResult, out: Out): void {
  out.write(`Lines read: ${result.lines.toLocaleString("en-US")} (${result.records.toLocaleString("en-US")} records)\n\n`);
  for (const r of result.rules) {
    if (result.rules.length > 1 && r.matched === 0 && r.nearMisses.length === 0) continue;
    out.write(`${r.id}: ${r.matched.toLocaleString("en-US")} matched\n`);
    for (const m of r.matches) {
      // Log text (the line and its fields) may carry escape sequences: shown as \xNN, never sent to the terminal.
      const fields = Object.entries(m.fields).map(([k, v]) => `${k}=${escapeTerminal(v)}`).join(" ");
      out.write(`  L${m.line}${m.role === "match" ? "" : ` [${m.role}]`}${fields ? `  ${fields}` : ""}  ${escapeTerminal(clip(m.text))}\n`);
    }
    const shownMain = r.matches.filter((m) => m.role === "match").length;
    if (r.matched > shownMain) out.write(`  … ${(r.matched - shownMain).toLocaleString("en-US")} more\n`);
    if (r.nearMisses.length > 0) {
      out.write("  near misses (a literal of the rule is there, the regex did not match):\n");
      for (const n of r.nearMisses) out.write(`  L${n.line}  ${escapeTerminal(clip(n.text))}\n`);
    }
  }
  const silent = result.rules.filter((r) => r.matched === 0 && r.nearMisses.length === 0).length;
  if (result.rules.length > 1 && silent > 0) out.write(`\n${counted(silent, "rule")} matched nothing.\n`);
}

const collect = (v: string, prev: string[]) => [...prev, v];

/**
 * Adds `rules lint` and `rules test` to the program. Their exit code (0/1) goes to `setExitCode`
 * (program.ts's setter), process.exitCode by default.
 */
export function registerRules(program: Command, deps: { setExitCode?: (code: number) => void } = {}): void {
  const setExitCode = deps.setExitCode ?? ((code: number) => { process.exitCode = code; });
  const rules = program.command("rules").summary("Check rules and try them on logs")
    .addHelpText("after", "\nExamples:\n  firewatch rules list --rules ./my-rules\n  firewatch rules test my_rule /var/log/app.log --rules ./my-rules\n\nExit codes: see each subcommand's --help");

  rules
    .command("list")
    .summary("List the rules in force: id, kind, severity, title and where each comes from")
    .option("--rules <dir>", "also load the rules in DIR (repeatable); they add rules or replace built-ins by id", collect, [])
    .option("--format <format>", "text or json", "text")
    .addHelpText("after", "\nExamples:\n  firewatch rules list\n  firewatch rules list --rules ./my-rules --format json\n\nExit codes: 0 listed, 2 a rule does not load")
    .action(async (o: { rules: string[]; format: string }) => {
      if (o.format !== "text" && o.format !== "json") throw new FirewatchError("usage", `--format must be text or json, got "${o.format}".`);
      const list = await runRulesList(o.rules);
      if (o.format === "json") {
        process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
        return;
      }
      const w = (k: keyof RuleListEntry) => Math.max(...list.map((e) => String(e[k]).length), 0);
      const [wi, wk, ws] = [w("id"), w("kind"), w("severity")];
      for (const e of list) {
        const from = e.source === "builtin" ? "" : `  (${e.overrides ? "overrides built-in, " : ""}${e.source})`;
        process.stdout.write(`${e.id.padEnd(wi)}  ${e.kind.padEnd(wk)}  ${e.severity.padEnd(ws)}  ${e.title}${from}\n`);
      }
    });

  rules
    .command("schema")
    .summary("Print the rule format: JSON Schema (for editors) or the markdown reference (docs/rules.md)")
    .option("--format <format>", "json or markdown", "json")
    .addHelpText("after", "\nExamples:\n  firewatch rules schema > rule.schema.json\n  firewatch rules schema --format markdown\n\nExit codes: 0 printed, 2 bad option")
    .action(async (o: { format: string }) => {
      if (o.format !== "json" && o.format !== "markdown") throw new FirewatchError("usage", `--format must be json or markdown, got "${o.format}".`);
      const { ruleJsonSchema, ruleSchemaMarkdown } = await engine();
      process.stdout.write(o.format === "json" ? `${JSON.stringify(ruleJsonSchema(), null, 2)}\n` : `${ruleSchemaMarkdown()}\n`);
    });

  rules
    .command("lint")
    .summary("Validate the rules and report slow patterns and failing examples")
    .description(
      "Loads the built-in rules and those in --rules DIRs (errors point to file, line and field), then reports " +
        "patterns with no prefilter literal (they run on every line: slow) and examples that do not hold.",
    )
    .option("--rules <dir>", "also load the rules in DIR (repeatable)", collect, [])
    .option("--corpus <dir>", "also score the rules on a corpus of real logs (a folder with manifest.yaml, e.g. fixtures/real)")
    .addHelpText(
      "after",
      "\nExamples:\n  firewatch rules lint\n  firewatch rules lint --rules ./my-rules --corpus fixtures/real\n\n" +
        "Exit codes: 0 clean, 1 slow patterns (warnings) or a corpus score below the bar, 2 failing examples or a rule or the corpus that does not load (every problem is listed)",
    )
    .action(async (o: { rules: string[]; corpus?: string }) => {
      const { rules: n, findings } = await runRulesLint(o.rules);
      for (const f of findings) process.stdout.write(`${f.level}\t${f.ruleId}\t${f.path}: ${f.problem}\n`);
      const slow = findings.filter((f) => f.level === "warning").length;
      const errors = findings.length - slow;
      process.stdout.write(`${counted(n, "rule")}: ${counted(slow, "slow pattern")}, ${counted(errors, "failing example")}\n`);
      let below = false;
      if (o.corpus !== undefined) {
        const { meetsBar, renderCorpusScore, scoreCorpus } = await corpus();
        const score = await scoreCorpus(o.corpus, { rules: o.rules, now: Date.now() });
        process.stdout.write(`\nCorpus ${o.corpus}:\n${renderCorpusScore(score)}`);
        below = !meetsBar(score);
      }
      // A failing example is an error (the rule does not do what it says), like a rule that does not load.
      setExitCode(errors > 0 ? EXIT.usage : slow > 0 || below ? EXIT.firing : EXIT.ok);
    });

  rules
    .command("test")
    .summary("Show which lines a rule matches and the fields it captures")
    .argument("<rule>", "a rule id, or all")
    .argument("[paths...]", "log files, directories or - for stdin (optional with --corpus)")
    .option("--rules <dir>", "also load the rules in DIR (repeatable)", collect, [])
    .option("--format <format>", "text or json", "text")
    .option("--max <n>", "matches and near misses shown per rule", "10")
    .option("--corpus <dir>", "also show the rule's score on a corpus of real logs (a folder with manifest.yaml) and what it missed")
    .addHelpText(
      "after",
      "\nExamples:\n  firewatch rules test eaddrinuse_loop /var/log/palantir.log\n  firewatch rules test all --rules ./my-rules dump.log.gz\n" +
        "  firewatch rules test rust_panic --corpus fixtures/real\n\nExit codes: 0 matched, 1 no match, 2 invalid rule or input",
    )
    .action(async (rule: string, paths: string[], o: { rules: string[]; format: string; max: string; corpus?: string }) => {
      if (o.format !== "text" && o.format !== "json") throw new FirewatchError("usage", `--format must be text or json, got "${o.format}".`);
      const maxShown = Number(o.max);
      if (!Number.isInteger(maxShown) || maxShown < 0) throw new FirewatchError("usage", `--max must be a whole number, got "${o.max}".`);
      if (paths.length === 0 && o.corpus === undefined) throw new FirewatchError("usage", "no input: give log files, or --corpus DIR", { hint: "firewatch rules test eaddrinuse_loop /var/log/app.log" });
      let matched = false;
      if (paths.length > 0) {
        const result = await runRulesTest(rule, paths, { dirs: o.rules, maxShown });
        if (o.format === "json") process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        else printTest(result, process.stdout);
        matched = result.rules.some((r) => r.matched > 0);
      }
      if (o.corpus !== undefined) {
        const { renderCorpusScore, scoreCorpus } = await corpus();
        const score = await scoreCorpus(o.corpus, { rules: o.rules, now: Date.now() });
        const rows = rule === "all" ? score.rules : score.rules.filter((r) => r.rule === rule);
        const misses = rule === "all" ? score.misses : score.misses.filter((m) => m.rule === rule);
        if (o.format === "json") process.stdout.write(`${JSON.stringify({ corpus: o.corpus, rules: rows, misses }, null, 2)}\n`);
        else process.stdout.write(`${paths.length > 0 ? "\n" : ""}Corpus ${o.corpus}:\n${renderCorpusScore(score, rule === "all" ? {} : { only: rule })}`);
        matched ||= rows.some((r) => r.tp > 0);
      }
      setExitCode(matched ? 0 : 1);
    });
}
