// firewatch's own secret shapes: the ones gitleaks' rule set cannot see in a log line (PEM cut at the end of the text,
// command-line passwords, key=value assignments), with the key kept so a reader still knows what was there.
import { shannonEntropy } from "./entropy.js";

export type RedactionKind = "SECRET" | "EMAIL" | "IP";
/** Makes the placeholder for one value (the same value, the same placeholder). */
export type Placeholder = (kind: RedactionKind, value: string) => string;
type Replace = (ph: Placeholder, match: string, groups: readonly (string | undefined)[]) => string;

export interface Pattern {
  readonly name: string;
  readonly re: RegExp;
  readonly replace: Replace;
}

const whole = (kind: RedactionKind): Replace => (ph, m) => ph(kind, m);
/** Keeps group 1 (the key, "Bearer ", "scheme://user:") and replaces group 2, keeping whatever group 3 holds. */
const keepPrefix: Replace = (ph, _m, g) => `${g[0] ?? ""}${ph("SECRET", g[1] ?? "")}${g[2] ?? ""}`;

/** A value at least this long after a key-like name is a secret when it looks random (see OPAQUE_BITS). */
const OPAQUE_MIN_CHARS = 16;
/**
 * Bits per character above which such a value is random rather than a word, a path or an id: random hex measures
 * about 3.7 over 24 characters, random base64 4.2 and more; "blk_-1608999687919862906" (Loghub HDFS) 3.2.
 */
const OPAQUE_BITS = 3.5;

/**
 * Random-looking: letters and digits, above OPAQUE_BITS. A hex number shorter than 32 digits is an id (Zookeeper's
 * "sessionid 0x14ed93111f20005" in Loghub), not a key: hex keys are 32 digits and more.
 */
function looksOpaque(v: string): boolean {
  if (!/\d/.test(v) || !/[A-Za-z]/.test(v)) return false;
  if (/^(?:0x)?[0-9a-f]+$/i.test(v) && v.replace(/^0x/i, "").length < 32) return false;
  return shannonEntropy(v) >= OPAQUE_BITS;
}

// A name that says its value is a secret. Kept in one place: the assignment rules and the entropy rule share it.
const SECRET_NAME = String.raw`(?:passw(?:or)?d|passwd|pwd|secret|credentials?|private[_-]?key|account[_-]?key|shared[_-]?access[_-]?key|client[_-]?secret)`;
const TOKEN_NAME = String.raw`(?:token|api[_-]?key|apikey|access[_-]?key|auth[_-]?key|session[_-]?(?:key|token))`;
// The value of an assignment: up to a delimiter; a dotted name (com.apple.xpc) or a structure (Token{a64f992) is not one.
const VALUE = String.raw`(?!<SECRET_)(?![A-Za-z_]+\.[A-Za-z_])([^\s"',;&{}()[\]<]{4,})(?=[\s"',;&})\]<]|$)`;

// Order matters: the most specific shapes first, so a JWT inside "Authorization: Bearer ..." is one placeholder.
export const OWN_PATTERNS: readonly Pattern[] = [
  // From BEGIN to END, or to the end of the text when the END line is missing (a record cut short).
  { name: "private key block", re: /-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----(?:[\s\S]*?-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|[\s\S]*)/g, replace: whole("SECRET") },
  // Signed or not ("alg":"none" leaves the third part empty).
  { name: "jwt", re: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*|\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, replace: whole("SECRET") },
  { name: "aws access key id", re: /\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b/g, replace: whole("SECRET") },
  { name: "slack token", re: /\b(?:xox[abprse]|xapp)-[A-Za-z0-9-]{10,}/g, replace: whole("SECRET") },
  { name: "slack webhook", re: /https:\/\/hooks\.slack\.com\/(?:services|workflows|triggers)\/[A-Za-z0-9/]+/g, replace: whole("SECRET") },
  { name: "github token", re: /\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})/g, replace: whole("SECRET") },
  {
    name: "api key prefix",
    re: /\b(?:sk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}|(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}|AIza[0-9A-Za-z_-]{35}|glpat-[A-Za-z0-9_-]{20,}|npm_[A-Za-z0-9]{36}|hv[sbr]\.[A-Za-z0-9_-]{20,}|do[opr]_v1_[a-f0-9]{64}|SG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}|SK[0-9a-fA-F]{32})\b/g,
    replace: whole("SECRET"),
  },
  { name: "bearer", re: /(\b(?:Bearer|Basic|Token)\s+)([A-Za-z0-9._~+/=-]{8,})()/g, replace: keepPrefix },
  { name: "password in url", re: /(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)(?!<SECRET_\d+>@)([^\s@/]+)(@)/gi, replace: keepPrefix },
  // The whole value of a cookie header: session ids, CSRF and auth cookies alike.
  { name: "cookie header", re: /(\b(?:Set-)?Cookie:[ \t]*)(?!<SECRET_)([^\s][^\r\n]*)()/gi, replace: keepPrefix },
  // --password X, --password=X, --token X, -p'X' on mysql, curl -u user:pw.
  { name: "password option", re: /(\s--?(?:password|passwd|pass|token|secret|api-key|auth-token|access-token)(?:=|[ \t]+)["']?)(?!<SECRET_)([^\s"']{3,})()/gi, replace: keepPrefix },
  { name: "mysql -p", re: /(\bmysql(?:dump|admin|import|check|sh)?\b[^\n]*?[ \t]-p["']?)(?!<SECRET_)([^\s"']+)()/g, replace: keepPrefix },
  { name: "curl -u", re: /(\bcurl\b[^\n]*?[ \t](?:-u|--user)(?:=|[ \t]+)["']?[^\s:"']+:)(?!<SECRET_)([^\s"']+)()/g, replace: keepPrefix },
  // password=..., "client_secret": "...", AccountKey=...: the key stays so the model knows what was there.
  { name: "password assignment", re: new RegExp(String.raw`(\b[A-Za-z0-9_-]*${SECRET_NAME}["']?\s*[=:]\s*["']?)${VALUE}()`, "gim"), replace: keepPrefix },
  // token=..., api_key=..., X-Api-Key: ...: as above, and the value has a digit ("Token: Token { kind: ... }" is prose).
  { name: "token assignment", re: new RegExp(String.raw`(\b[A-Za-z0-9_-]*${TOKEN_NAME}["']?\s*[=:]\s*["']?)(?!<SECRET_)(?![A-Za-z_]+\.[A-Za-z_])(?=[^\s"',;&{}()[\]<]*\d)([^\s"',;&{}()[\]<]{4,})(?=[\s"',;&})\]<]|$)()`, "gim"), replace: keepPrefix },
  // A long opaque value after any key/token/secret-like name ("signing_key value", "auth: ..."): secret when random.
  {
    name: "opaque value after a secret-like name",
    re: new RegExp(String.raw`(\b[A-Za-z0-9_-]*(?:key|token|secret|passw(?:or)?d|pwd|auth|credential|signature|cookie|sess(?:ion)?(?:[_-]?id)?)s?["']?(?:\s*[=:]\s*|\s+)["']?)(?!<SECRET_)(?![A-Za-z_]+\.[A-Za-z_])([A-Za-z0-9+/_.~=-]{${OPAQUE_MIN_CHARS},})()`, "gi"),
    replace: (ph, m, g) => (looksOpaque(g[1] ?? "") ? keepPrefix(ph, m, g) : m),
  },
  // A bare 40-character AWS secret access key: mixed case and digits, so a 40-hex commit hash never matches.
  { name: "aws secret key", re: /(?<![A-Za-z0-9/+=])(?=[A-Za-z0-9/+]*[A-Z])(?=[A-Za-z0-9/+]*[a-z])(?=[A-Za-z0-9/+]*[0-9])[A-Za-z0-9][A-Za-z0-9/+]{39}(?![A-Za-z0-9/+=])/g, replace: whole("SECRET") },
];

export const EMAIL_PATTERN: Pattern = { name: "email", re: /\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b/g, replace: whole("EMAIL") };

const IPV4 = /(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\d.])/g;
// Needs a hex letter or "::" so that clock times ("16:42:07") and ":::9003" are left alone.
const IPV6 = /(?<![\w:])(?=[0-9a-fA-F:]*(?:[a-fA-F]|::[0-9a-fA-F]))(?:[0-9a-fA-F]{1,4}:){1,7}:?(?:[0-9a-fA-F]{1,4})(?::[0-9a-fA-F]{1,4})*(?![\w:])/g;
export const IP_PATTERNS: readonly Pattern[] = [
  { name: "ipv4", re: IPV4, replace: whole("IP") },
  { name: "ipv6", re: IPV6, replace: (ph, m) => (m.split(":").filter((p) => p !== "").length >= 2 ? ph("IP", m) : m) },
];
