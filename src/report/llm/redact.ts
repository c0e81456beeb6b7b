// Replaces secrets and personal data in text bound for a model with stable placeholders; the map stays on this host.
//
// Same value → same placeholder within one redactor (one report), so the model can still say "the same token
// appears in both lines". Secrets are never mapped back into the report; e-mail addresses and IPs are (see
// reveal()), because the local report already shows them verbatim in its evidence.

export type RedactionKind = "SECRET" | "EMAIL" | "IP";

export interface Redactor {
  /** The text with every secret (and e-mail, and IP when configured) replaced by <KIND_n>. */
  redact(text: string): string;
  /** The model's text for display: <EMAIL_n>/<IP_n> back to their values; <SECRET_n> stays a placeholder. */
  reveal(text: string): string;
  /** How many distinct values of each kind were replaced (counts only: the values never leave this object). */
  counts(): Readonly<Record<RedactionKind, number>>;
}

type Replace = (ph: (kind: RedactionKind, value: string) => string, match: string, groups: readonly (string | undefined)[]) => string;

interface Pattern {
  readonly name: string;
  readonly re: RegExp;
  readonly replace: Replace;
}

const whole = (kind: RedactionKind): Replace => (ph, m) => ph(kind, m);
/** Keeps group 1 (the key, "Bearer ", "scheme://user:") and replaces group 2, keeping whatever group 3 holds. */
const keepPrefix: Replace = (ph, _m, g) => `${g[0] ?? ""}${ph("SECRET", g[1] ?? "")}${g[2] ?? ""}`;

// Order matters: the most specific shapes first, so a JWT inside "Authorization: Bearer ..." is one placeholder.
const PATTERNS: readonly Pattern[] = [
  { name: "private key block", re: /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z0-9 ]*PRIVATE KEY-----/g, replace: whole("SECRET") },
  { name: "jwt", re: /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, replace: whole("SECRET") },
  { name: "aws access key id", re: /\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b/g, replace: whole("SECRET") },
  { name: "slack token", re: /\bxox[abprse]-[A-Za-z0-9-]{10,}/g, replace: whole("SECRET") },
  { name: "slack webhook", re: /https:\/\/hooks\.slack\.com\/services\/[A-Za-z0-9/]+/g, replace: whole("SECRET") },
  { name: "github token", re: /\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})/g, replace: whole("SECRET") },
  { name: "api key prefix", re: /\b(?:sk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}|(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}|AIza[0-9A-Za-z_-]{35}|glpat-[A-Za-z0-9_-]{20,}|npm_[A-Za-z0-9]{36})/g, replace: whole("SECRET") },
  { name: "bearer", re: /(\b(?:Bearer|Basic|Token)\s+)([A-Za-z0-9._~+/=-]{8,})()/g, replace: keepPrefix },
  { name: "password in url", re: /(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)(?!<SECRET_\d+>@)([^\s@/]+)(@)/gi, replace: keepPrefix },
  {
    name: "password assignment",
    // password=..., "client_secret": "...": the key stays so the model knows what was there. The value must end at a
    // delimiter, and a dotted name (com.apple.xpc, android.os.BinderProxy@…) or a structure (Token{a64f992) is not
    // one: measured on Loghub, those were the false positives.
    re: /(\b[A-Za-z0-9_-]*(?:password|passwd|pwd|secret|credentials?)["']?\s*[=:]\s*["']?)(?!<SECRET_)(?![A-Za-z_]+\.[A-Za-z_])([^\s"',;&{}()[\]<]{4,})(?=[\s"',;&})\]<]|$)()/gim,
    replace: keepPrefix,
  },
  {
    name: "token assignment",
    // token=..., api_key=..., X-Api-Key: ...: as above, and the value has a digit ("Token: Token { kind: ... }" is prose).
    re: /(\b[A-Za-z0-9_-]*(?:token|api[_-]?key|apikey|access[_-]?key|auth[_-]?key)["']?\s*[=:]\s*["']?)(?!<SECRET_)(?![A-Za-z_]+\.[A-Za-z_])(?=[^\s"',;&{}()[\]<]*\d)([^\s"',;&{}()[\]<]{4,})(?=[\s"',;&})\]<]|$)()/gim,
    replace: keepPrefix,
  },
  // A bare 40-character AWS secret access key: mixed case and digits, so a 40-hex commit hash never matches.
  { name: "aws secret key", re: /(?<![A-Za-z0-9/+=])(?=[A-Za-z0-9/+]*[A-Z])(?=[A-Za-z0-9/+]*[a-z])(?=[A-Za-z0-9/+]*[0-9])[A-Za-z0-9][A-Za-z0-9/+]{39}(?![A-Za-z0-9/+=])/g, replace: whole("SECRET") },
  { name: "email", re: /\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b/g, replace: whole("EMAIL") },
];

const IPV4 = /(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\d.])/g;
// Needs a hex letter or "::" so that clock times ("16:42:07") and ":::9003" are left alone.
const IPV6 = /(?<![\w:])(?=[0-9a-fA-F:]*(?:[a-fA-F]|::[0-9a-fA-F]))(?:[0-9a-fA-F]{1,4}:){1,7}:?(?:[0-9a-fA-F]{1,4})(?::[0-9a-fA-F]{1,4})*(?![\w:])/g;
const IP_PATTERNS: readonly Pattern[] = [
  { name: "ipv4", re: IPV4, replace: whole("IP") },
  { name: "ipv6", re: IPV6, replace: (ph, m) => (m.split(":").filter((p) => p !== "").length >= 2 ? ph("IP", m) : m) },
];

const PLACEHOLDER = /<(SECRET|EMAIL|IP)_(\d+)>/g;

/** A redactor for one report; `ips` also replaces IPv4/IPv6 addresses. */
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
  const patterns = opts.ips ? [...PATTERNS, ...IP_PATTERNS] : PATTERNS;
  return {
    redact(text) {
      let out = text;
      for (const p of patterns) {
        out = out.replace(p.re, (m: string, ...rest: unknown[]) => {
          const groups = rest.filter((g): g is string | undefined => g === undefined || typeof g === "string").slice(0, 3);
          return p.replace(ph, m, typeof rest[0] === "number" ? [] : groups);
        });
      }
      return out;
    },
    reveal(text) {
      return text.replace(PLACEHOLDER, (m: string, kind: string) => (kind === "SECRET" ? m : (byPlaceholder.get(m) ?? m)));
    },
    counts: () => ({ ...counts }),
  };
}
