// Micro-benchmarks: what each stage of `scan` costs on the bench corpus, in one process, from memory.
//   node bench/stages.mjs CORPUS RULES_TSV   (needs `npm run build`; prints a markdown table)
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";

const [corpus, rulesFile] = process.argv.slice(2);
if (!corpus || !rulesFile) {
  console.error("usage: node bench/stages.mjs CORPUS RULES_TSV");
  process.exit(2);
}
const { compileRules, createLineCounter, parsePatterns } = await import(new URL("../dist/rules/index.js", import.meta.url).href);

const CHUNK = 1 << 20;
const bytes = readFileSync(corpus);
const rows = [];
function time(name, fn, note = "") {
  const runs = [];
  let out;
  for (let k = 0; k < 3; k++) {
    const t0 = performance.now();
    out = fn();
    runs.push(performance.now() - t0);
  }
  runs.sort((a, b) => a - b);
  const ms = runs[1];
  rows.push({ name, ms, note: typeof note === "function" ? note(out) : note });
  return out;
}

let rules;
time("compile 26 signatures (parse, safety check, literals, automaton not included)", () => (rules = compileRules(parsePatterns(readFileSync(rulesFile, "utf8"), rulesFile))));
time("find every newline (Buffer.indexOf loop): the floor of any line-based tool", () => {
  let n = 0;
  for (let i = bytes.indexOf(10); i !== -1; i = bytes.indexOf(10, i + 1)) n++;
  return n;
}, (n) => `${n.toLocaleString("en-US")} lines`);
time("decode every line to a string (what a prefilter-less engine must do)", () => {
  let n = 0;
  let start = 0;
  for (let i = bytes.indexOf(10); i !== -1; i = bytes.indexOf(10, i + 1)) {
    n += bytes.toString("utf8", start, i).length > 0 ? 1 : 0;
    start = i + 1;
  }
  return n;
});
time("naive in-process: decode every line, every regex on it", () => {
  let start = 0;
  let hits = 0;
  const regexes = rules.map((r) => r.sets[0].any[0].regex);
  for (let i = bytes.indexOf(10); i !== -1; i = bytes.indexOf(10, i + 1)) {
    const line = bytes.toString("utf8", start, i);
    for (const re of regexes) if (re.test(line)) hits++;
    start = i + 1;
  }
  return hits;
});
const counted = time("scan engine: automaton walk + candidate lines + their regexes (1 MiB chunks)", () => {
  const counter = createLineCounter(rules);
  for (let off = 0; off < bytes.length; off += CHUNK) counter.write(bytes.subarray(off, Math.min(bytes.length, off + CHUNK)));
  counter.endInput();
  return counter;
}, (c) => `${c.stats.candidates.toLocaleString("en-US")} candidate lines (${((100 * c.stats.candidates) / 1e6).toFixed(1)} % of 1M) ran regexes`);
time("scan engine with line counting on (what the progress bar adds)", () => {
  const counter = createLineCounter(rules, { countLines: true });
  for (let off = 0; off < bytes.length; off += CHUNK) counter.write(bytes.subarray(off, Math.min(bytes.length, off + CHUNK)));
  counter.endInput();
  return counter;
});
// The automaton walk alone: a no-match rule set with the same literals would still hit; instead time a set whose
// literals never occur, so the walk runs and no line becomes a candidate.
time("automaton walk alone (26 rules whose literals never occur)", () => {
  const none = compileRules(parsePatterns(rules.map((r, i) => `r${i}\tZQXJ${i}never${"K".repeat(i % 7)}`).join("\n"), "none.tsv"));
  const counter = createLineCounter(none);
  for (let off = 0; off < bytes.length; off += CHUNK) counter.write(bytes.subarray(off, Math.min(bytes.length, off + CHUNK)));
  counter.endInput();
  return counter;
});

// Adversarial inputs of the same size: one line with no newline at all, random binary, invalid UTF-8. The issue asks
// that they cost no more than ordinary lines: the carry keeps cap + 1 bytes, and decoding happens only on hits.
function scanBytes(input) {
  const counter = createLineCounter(rules);
  for (let off = 0; off < input.length; off += CHUNK) counter.write(input.subarray(off, Math.min(input.length, off + CHUNK)));
  counter.endInput();
  return counter;
}
const heapBefore = process.memoryUsage().rss;
const oneLine = Buffer.from(bytes.map((b) => (b === 10 ? 32 : b)));
time("scan engine: the same bytes as ONE line (no newline at all)", () => scanBytes(oneLine), (c) => `${c.stats.candidates} candidate line(s)`);
let seed = 42;
const binary = Buffer.alloc(bytes.length);
for (let i = 0; i < binary.length; i++) binary[i] = (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
time("scan engine: random binary bytes (NULs, newlines at random)", () => scanBytes(binary), (c) => `${c.stats.candidates} candidate lines`);
const invalid = Buffer.from(bytes.map((b, i) => (i % 97 === 0 && b !== 10 ? 0xc3 + (i % 2) * 0x3c : b)));
time("scan engine: the corpus with an invalid UTF-8 byte every 97 bytes", () => scanBytes(invalid), (c) => `${c.stats.candidates.toLocaleString("en-US")} candidate lines`);
const rssGrowth = (process.memoryUsage().rss - heapBefore) / 1048576;

const mb = bytes.length / 1048576;
console.log(`\nStage costs (in-process, corpus in memory: ${mb.toFixed(1)} MiB; median of 3):\n`);
console.log("| stage | ms | MiB/s | note |\n|---|---:|---:|---|");
for (const r of rows) console.log(`| ${r.name} | ${r.ms.toFixed(0)} | ${r.name.startsWith("compile") ? "-" : (mb / (r.ms / 1000)).toFixed(0)} | ${r.note} |`);
void counted;
console.log(`\n(RSS grew ${rssGrowth.toFixed(0)} MiB over the adversarial runs, of which ${((3 * bytes.length) / 1048576).toFixed(0)} MiB are the three test inputs held in memory.)`);
