// Probe results as report evidence: which read-only command ran where, when, what it concluded, and an excerpt of its data.
import type { Finding } from "../correlate/index.js";
import { findingHost, latestProbes } from "../probes/index.js";
import type { StoredProbe } from "../store/index.js";
import type { Rule } from "../rules/index.js";
import type { TimeFormat } from "./clock-format.js";
import { codeBlock, escapeInline } from "./escape.js";

/** Lines of a probe's data shown in the excerpt, and characters per line: evidence, not a dump. */
export const EXCERPT_LINES = 14;
export const EXCERPT_LINE_CHARS = 200;

/** "port=9003, unit=palantir" in a stable order; "no params" for a probe that takes none. */
function paramsText(params: StoredProbe["params"]): string {
  const keys = Object.keys(params).sort();
  return keys.length === 0 ? "no params" : keys.map((k) => `${k}=${String(params[k])}`).join(", ");
}

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/**
 * The data as "key: value" lines (seed 000's "PID: 1573680 / PPID: 1 (orphaned/detached process)" block): scalars as
 * they are, lists and objects as compact JSON, undefined and empty lists left out, each line cut, at most EXCERPT_LINES.
 */
export function dataExcerpt(data: unknown): string[] {
  if (data === undefined || data === null) return [];
  if (typeof data !== "object") return [cut(String(data), EXCERPT_LINE_CHARS)];
  const lines: string[] = [];
  for (const [k, v] of Object.entries(data)) {
    if (v === undefined || v === null || (Array.isArray(v) && v.length === 0)) continue;
    const text = typeof v === "object" ? JSON.stringify(v) : String(v);
    // A value from a log or a command may hold line breaks: one line per key, always.
    lines.push(cut(`${k}: ${text.replace(/\r?\n/g, "\\n")}`, EXCERPT_LINE_CHARS));
  }
  if (lines.length > EXCERPT_LINES) return [...lines.slice(0, EXCERPT_LINES), `… ${lines.length - EXCERPT_LINES} more`];
  return lines;
}

/** One bullet: ✅/❌, the probe, host, params, time, and its summary line (all escaped: they hold log-derived values). */
function bullet(p: StoredProbe, fmt: TimeFormat, earlier: boolean): string {
  const mark = p.ok ? "✅" : "❌";
  // An earlier answer stays (the evidence an action rested on), marked as such beside its time.
  return `- ${mark} \`${p.probe}\` on ${escapeInline(p.host)} (${escapeInline(paramsText(p.params))}) at ${fmt.stamp(p.at)}${earlier ? " (earlier answer)" : ""}: ${escapeInline(p.summary)}`;
}

/** The block for some probes: the bullets, then one code block with each successful probe's data excerpt. */
export function renderProbeBlock(title: string, probes: readonly StoredProbe[], fmt: TimeFormat): string | undefined {
  if (probes.length === 0) return undefined;
  const newest = new Set(latestProbes(probes));
  const parts = [`**${title}:**\n${probes.map((p) => bullet(p, fmt, !newest.has(p))).join("\n")}`];
  const excerpts = probes.filter((p) => p.ok).flatMap((p) => {
    const lines = dataExcerpt(p.data);
    return lines.length === 0 ? [] : [`# ${p.probe} on ${p.host} (${paramsText(p.params)})${newest.has(p) ? "" : ` at ${fmt.stamp(p.at)}, earlier answer`}`, ...lines];
  });
  // codeBlock picks a fence longer than any backtick run inside: command output cannot close it.
  if (excerpts.length > 0) parts.push(codeBlock(excerpts.join("\n")));
  return parts.join("\n\n");
}

/**
 * Splits an incident's probe results among its findings: a probe belongs to the first finding whose rule names it, on
 * the same host, whose fields (or service) hold every param value. What fits no finding is returned apart.
 */
export function assignProbes(findings: readonly Finding[], rules: ReadonlyMap<string, Rule>, probes: readonly StoredProbe[], incidentHost: string | undefined): { byFinding: Map<Finding, StoredProbe[]>; rest: StoredProbe[] } {
  const byFinding = new Map<Finding, StoredProbe[]>();
  const rest: StoredProbe[] = [];
  for (const p of probes) {
    const owner = findings.find((f) => {
      if (!(rules.get(f.rule)?.probes.includes(p.probe) ?? false) || findingHost(f, incidentHost) !== p.host) return false;
      const known = new Set([...Object.values(f.fields), ...(f.service === undefined ? [] : [f.service])]);
      return Object.values(p.params).every((v) => known.has(String(v)));
    });
    if (owner === undefined) rest.push(p);
    else byFinding.set(owner, [...(byFinding.get(owner) ?? []), p]);
  }
  return { byFinding, rest };
}
