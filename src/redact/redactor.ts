// Replaces secrets (and e-mail addresses, and IPs when asked) with stable placeholders in text that leaves the host:
// model prompts, Slack posts and replies, uploaded reports. The map from placeholder to value stays on this host.
//
// Same value → same placeholder within one redactor (one report), so a reader can still say "the same token appears
// in both lines". Secrets are never mapped back; e-mail addresses and IPs are (see reveal()), because the local report
// already shows them verbatim in its evidence. Redact a whole record before cutting it: a secret cut in two is no
// longer recognised, and a private key whose END line falls after the cut is recognised only up to the end of text.
import { EMAIL_PATTERN, IP_PATTERNS, OWN_PATTERNS, type Pattern, type RedactionKind } from "./patterns.js";
import { loadSecretRules, type SecretRules } from "./secret-rules.js";

export interface Redactor {
  /** The text with every secret (and e-mail, and IP when configured) replaced by <KIND_n>. */
  redact(text: string): string;
  /** The model's text for display: <EMAIL_n>/<IP_n> back to their values; <SECRET_n> stays a placeholder. */
  reveal(text: string): string;
  /** How many distinct values of each kind were replaced (counts only: the values never leave this object). */
  counts(): Readonly<Record<RedactionKind, number>>;
}

const PLACEHOLDER = /<(SECRET|EMAIL|IP)_(\d+)>/g;

// The vendored rule set, compiled on first use and shared: it is constant data (about 220 regexes), and matchAll
// works on a copy of each regex, so sharing it carries no state from one caller to the next.
let sharedRules: SecretRules | undefined;
const secretRules = (): SecretRules => (sharedRules ??= loadSecretRules());

function applyPattern(text: string, p: Pattern, ph: (kind: RedactionKind, value: string) => string): string {
  return text.replace(p.re, (m: string, ...rest: unknown[]) => {
    const groups = rest.filter((g): g is string | undefined => g === undefined || typeof g === "string").slice(0, 3);
    return p.replace(ph, m, typeof rest[0] === "number" ? [] : groups);
  });
}

/** Replaces the spans gitleaks' rules found (overlapping ones merged), from the end so offsets stay valid. */
function replaceSpans(text: string, rules: SecretRules, ph: (kind: RedactionKind, value: string) => string): string {
  const spans = rules.find(text).sort((a, b) => a.start - b.start || b.end - a.end);
  const merged: { start: number; end: number }[] = [];
  for (const s of spans) {
    const last = merged[merged.length - 1];
    if (last && s.start < last.end) last.end = Math.max(last.end, s.end);
    else merged.push({ start: s.start, end: s.end });
  }
  let out = text;
  for (const s of merged.reverse()) out = `${out.slice(0, s.start)}${ph("SECRET", out.slice(s.start, s.end))}${out.slice(s.end)}`;
  return out;
}

/** A redactor for one report (or one Slack message); `ips` also replaces IPv4/IPv6 addresses. */
export function createRedactor(opts: { ips: boolean }): Redactor {
  const byValue = new Map<string, string>();
  const byPlaceholder = new Map<string, string>();
  const counts: Record<RedactionKind, number> = { SECRET: 0, EMAIL: 0, IP: 0 };
  const ph = (kind: RedactionKind, value: string): string => {
    const key = `${kind}\u0000${value}`;
    let p = byValue.get(key);
    if (p === undefined) {
      counts[kind] += 1;
      p = `<${kind}_${counts[kind]}>`;
      byValue.set(key, p);
      byPlaceholder.set(p, value);
    }
    return p;
  };
  const rules = secretRules();
  const after = opts.ips ? [EMAIL_PATTERN, ...IP_PATTERNS] : [EMAIL_PATTERN];
  return {
    redact(text) {
      let out = text;
      for (const p of OWN_PATTERNS) out = applyPattern(out, p, ph);
      out = replaceSpans(out, rules, ph);
      for (const p of after) out = applyPattern(out, p, ph);
      return out;
    },
    reveal(text) {
      return text.replace(PLACEHOLDER, (m: string, kind: string) => (kind === "SECRET" ? m : (byPlaceholder.get(m) ?? m)));
    },
    counts: () => ({ ...counts }),
  };
}

/** A copy of `value` with every string in it, at any depth, passed through `redact` (object keys are kept). */
export function redactStrings<T>(value: T, redact: (s: string) => string): T {
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") return redact(v);
    if (Array.isArray(v)) return v.map(walk);
    if (typeof v === "object" && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  // walk keeps the shape: objects stay objects with the same keys, arrays arrays, strings strings.
  return walk(value) as T;
}

/**
 * A copy of `value` with every string under one of `keys` (at any depth) passed through `redact`; everything else is
 * kept as it is. For Slack messages: `text` fields of blocks and the content of an uploaded file.
 */
export function redactFields<T>(value: T, keys: ReadonlySet<string>, redact: (s: string) => string): T {
  const walk = (v: unknown, key: string | undefined): unknown => {
    if (typeof v === "string") return key !== undefined && keys.has(key) ? redact(v) : v;
    if (Array.isArray(v)) return v.map((x) => walk(x, key));
    if (typeof v === "object" && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, k)]));
    return v;
  };
  // walk keeps the shape: every object, array and non-redacted value is rebuilt as it was, strings stay strings.
  return walk(value, undefined) as T;
}
