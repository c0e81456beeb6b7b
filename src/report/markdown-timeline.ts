// "Timeline": the moments the findings measured (first seen, threshold reached, counters, last seen, recovery), by time.
import { formatDuration } from "../time.js";
import type { Evidence } from "../correlate/index.js";
import type { TimeFormat } from "./clock-format.js";
import type { FieldExtractor } from "./evidence-fields.js";
import type { FindingView } from "./finding-view.js";

export interface TimelineEvent {
  readonly time: number | undefined;
  /** End of a span of time ("17:56:42–17:57:01"), when the event covers several lines. */
  readonly until?: number;
  /** Markdown (titles are already escaped; values are escaped here). */
  readonly text: string;
}

/** Events of all findings, sorted by time (stable); events without a time come last. */
export function timelineEvents(views: readonly FindingView[], extract?: FieldExtractor): TimelineEvent[] {
  const events: TimelineEvent[] = [];
  for (const view of views) events.push(...findingEvents(view, extract));
  const seen = new Set<string>();
  const unique = events.filter((e) => {
    const key = `${e.time ?? ""}\u0000${e.text}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return unique
    .map((e, i) => ({ e, i }))
    .sort((a, b) => (a.e.time ?? Infinity) - (b.e.time ?? Infinity) || a.i - b.i)
    .map(({ e }) => e);
}

function findingEvents(view: FindingView, extract: FieldExtractor | undefined): TimelineEvent[] {
  const { finding, rule, title } = view;
  const out: TimelineEvent[] = [];
  const { firstSeen, lastSeen, count } = finding;
  if (firstSeen === undefined && lastSeen === undefined) {
    out.push({ time: undefined, text: `${title}: seen ${count === 1 ? "once" : `${count} times`} (the lines carry no timestamp)` });
    return out;
  }
  out.push({ time: firstSeen, text: count === 1 ? `${title}: seen once` : `${title}: first seen` });
  // A finding below its threshold never reached it; a recovered one may have, before the recovery.
  const reachable = finding.state === "firing" || finding.recoveredAt !== undefined;
  if (rule?.kind === "threshold" && reachable) {
    const at = thresholdReachedAt(finding.evidence, count, rule.threshold.count, rule.threshold.within);
    if (at !== undefined) {
      out.push({ time: at, text: `${title}: threshold reached (${rule.threshold.count} within ${formatDuration(rule.threshold.within)})` });
    }
  }
  // Counters summarised by max/min (e.g. systemd's restart counter) show how far the loop went: as ranges over
  // the kept first and last lines when the rule can read them again ("counter 1–3", then "476–485"), else the summary.
  for (const [name, aggregate] of Object.entries(rule?.fields ?? {})) {
    if (aggregate !== "max" && aggregate !== "min") continue;
    const label = name.replaceAll("_", " ");
    const ranges = extract ? counterRanges(view, name, extract) : [];
    if (ranges.length > 0) {
      ranges.forEach((r) => {
        const verb = r.last ? "reaches" : "at";
        const values = r.lo === r.hi ? `**${r.lo}**` : `**${r.lo}–${r.hi}**`;
        out.push({ time: r.from, ...(r.to > r.from ? { until: r.to } : {}), text: `${title}: ${label} ${verb} ${values}` });
      });
      continue;
    }
    const value = finding.fields[name];
    if (value === undefined || !NUMBER.test(value)) continue;
    if (aggregate === "max") out.push({ time: lastSeen, text: `${title}: ${label} reaches **${value}**` });
    else out.push({ time: firstSeen, text: `${title}: ${label} starts at **${value}**` });
  }
  if (count > 1) out.push({ time: lastSeen, text: `${title}: last seen (**${count}** in total)` });
  if (finding.recoveredAt !== undefined) out.push({ time: finding.recoveredAt, text: `${title}: recovered` });
  return out;
}

const NUMBER = /^-?\d+(?:\.\d+)?$/;

interface CounterRange {
  readonly from: number;
  readonly to: number;
  readonly lo: number;
  readonly hi: number;
  /** From the kept last lines (while others were left out): where the counter ended up. */
  readonly last: boolean;
}

/** The numeric values of `name` in the kept first lines and in the kept last lines, with the times they span. */
function counterRanges(view: FindingView, name: string, extract: FieldExtractor): CounterRange[] {
  const { evidence, count, rule } = view.finding;
  const half = Math.floor(evidence.length / 2);
  const groups = count <= evidence.length ? [evidence] : [evidence.slice(0, half), evidence.slice(half)];
  const out: CounterRange[] = [];
  for (const [i, group] of groups.entries()) {
    const points: { time: number; value: number }[] = [];
    for (const e of group) {
      const v = extract(rule, e.text)?.[name];
      if (e.time !== undefined && v !== undefined && NUMBER.test(v)) points.push({ time: e.time, value: Number(v) });
    }
    if (points.length === 0) continue;
    const times = points.map((p) => p.time);
    const values = points.map((p) => p.value);
    out.push({ from: Math.min(...times), to: Math.max(...times), lo: Math.min(...values), hi: Math.max(...values), last: i === 1 });
  }
  return out;
}

/**
 * When a threshold rule first held, if the kept evidence shows it: the correlator keeps the first few and the
 * last few lines, so when the first `need` of them fall within the window, the need-th one is the moment.
 * Anything less certain is left out rather than guessed.
 */
export function thresholdReachedAt(evidence: readonly Evidence[], count: number, need: number, withinMs: number): number | undefined {
  // All signals kept: every line is there. Otherwise the first half are the first signals.
  const firsts = count <= evidence.length ? evidence : evidence.slice(0, Math.floor(evidence.length / 2));
  const start = firsts[0]?.time;
  const reached = firsts[need - 1]?.time;
  if (start === undefined || reached === undefined || reached < start) return undefined;
  return reached - start <= withinMs ? reached : undefined;
}

/** The section body: `| Time (EST) | Event |`, times without the date when all events fall on one day. */
export function renderTimeline(views: readonly FindingView[], fmt: TimeFormat, extract?: FieldExtractor): string {
  const events = timelineEvents(views, extract);
  const timed = events.flatMap((e) => [e.time, e.until].filter((t): t is number => t !== undefined));
  const firstTime = timed[0];
  const zone = firstTime === undefined ? fmt.zone : fmt.zoneLabel(firstTime);
  const oneDay = timed.every((t) => fmt.date(t) === fmt.date(timed[0] ?? t));
  const when = (t: number | undefined) => (t === undefined ? "unknown" : oneDay ? fmt.time(t) : fmt.dateTime(t));
  // Event texts are built from escaped titles and numbers only, so they cannot add a column.
  const rows = events.map((e) => `| ${when(e.time)}${e.until === undefined ? "" : `–${when(e.until)}`} | ${e.text} |`);
  return [`| Time (${zone}) | Event |`, "|------------|-------|", ...rows].join("\n");
}
