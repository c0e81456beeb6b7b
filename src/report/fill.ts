// Fills rule knowledge templates ({name} placeholders) for the report, and decides what to do when a value is missing.
//
// Written here rather than on top of incidents' fillTemplate (which leaves unknown names as they are) because
// the report has two extra duties: every value is escaped for its context before it is inserted, and a
// placeholder without a value must never reach the output (the line is dropped, or says "unknown").
import { formatIso } from "../time.js";
import { PLACEHOLDER, type Finding } from "../correlate/index.js";
import { formatInterval, formatSpan, type TimeFormat } from "./clock-format.js";

export type TemplateValues = Readonly<Record<string, string>>;
/** Turns a raw value into what is inserted (escaped, maybe bold). */
export type RenderValue = (value: string, name: string) => string;

/** Own values only: a template naming {constructor} or {toString} must not find Object's methods. */
function lookup(values: TemplateValues, name: string): string | undefined {
  return Object.hasOwn(values, name) ? values[name] : undefined;
}

/** The {names} used in a template, in order of appearance. */
export function placeholderNames(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1] ?? "");
}

/** True when text still contains something that looks like a {placeholder}. */
export function hasPlaceholder(text: string): boolean {
  return placeholderNames(text).length > 0;
}

/**
 * Rule authors write for the usual case; two phrases read wrong on the unusual one, and are rewritten before
 * filling: "between {firstSeen} and {lastSeen}" is "at {firstSeen}" when both read the same, "{count} times" is
 * "once" for one.
 */
function phrased(template: string, values: TemplateValues): string {
  let t = template;
  const first = lookup(values, "firstSeen");
  if (first !== undefined && first === lookup(values, "lastSeen")) t = t.replaceAll("between {firstSeen} and {lastSeen}", "at {firstSeen}");
  if (lookup(values, "count") === "1") t = t.replaceAll("{count} times", "once");
  return t;
}

/** Fills every placeholder; undefined when one of them has no value, so the caller can drop the line. */
export function fillStrict(template: string, values: TemplateValues, render: RenderValue): string | undefined {
  let missing = false;
  const out = phrased(template, values).replace(PLACEHOLDER, (whole, name: string) => {
    const v = lookup(values, name);
    if (v === undefined) {
      missing = true;
      return whole;
    }
    return render(v, name);
  });
  return missing ? undefined : out;
}

/** Fills every placeholder; one without a value reads "unknown" (for titles, which cannot be dropped). */
export function fillOrUnknown(template: string, values: TemplateValues, render: RenderValue): string {
  return fillWith(template, values, render, () => "unknown");
}

/** Fills every placeholder; one without a value is replaced by `missing(name)`. */
export function fillWith(template: string, values: TemplateValues, render: RenderValue, missing: (name: string) => string): string {
  return phrased(template, values).replace(PLACEHOLDER, (_whole, name: string) => {
    const v = lookup(values, name);
    return v === undefined ? missing(name) : render(v, name);
  });
}

/**
 * The values a finding offers to templates: its captured and derived fields, then rule, host, service, count,
 * firstSeen/lastSeen (formatted in the report's zone), interval ("~10 min") and span ("9 days") when known.
 * Empty strings count as missing (the correlator uses "" for an absent group value).
 */
export function findingValues(finding: Finding, fmt: TimeFormat): Record<string, string> {
  // No prototype: a captured field may be called __proto__.
  const values: Record<string, string> = Object.create(null);
  for (const [k, v] of Object.entries(finding.fields)) if (v !== "") values[k] = v;
  const put = (k: string, v: string | undefined) => {
    if (v !== undefined && v !== "") values[k] = v;
  };
  put("rule", finding.rule);
  put("host", finding.host);
  put("service", finding.service);
  put("count", String(finding.count));
  put("firstSeen", finding.firstSeen === undefined ? undefined : fmt.stamp(finding.firstSeen));
  put("lastSeen", finding.lastSeen === undefined ? undefined : fmt.stamp(finding.lastSeen));
  if (finding.cadence) {
    put("interval", formatInterval(finding.cadence));
    put("span", formatSpan(finding.cadence));
  }
  return values;
}

/** Values for command templates: like findingValues, but times as ISO 8601 UTC, which commands accept as one word. */
export function commandValues(finding: Finding, fmt: TimeFormat): Record<string, string> {
  const values = findingValues(finding, fmt);
  if (finding.firstSeen !== undefined) values["firstSeen"] = formatIso(finding.firstSeen);
  if (finding.lastSeen !== undefined) values["lastSeen"] = formatIso(finding.lastSeen);
  return values;
}
