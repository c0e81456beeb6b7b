// Secrets out of text that leaves the host: gitleaks' maintained rule set as data plus firewatch's own shapes.
/** createRedactor({ ips }): replaces secrets (and e-mails, and IPs when asked) with stable placeholders; reveal() maps e-mails and IPs back. */
export { createRedactor, redactFields, redactStrings, type Redactor } from "./redactor.js";
/** redactStrings(value, redact) / redactFields(value, keys, redact): a copy with its strings (or those under `keys`) redacted. */
/** RedactionKind: what a placeholder stands for (SECRET, EMAIL, IP). */
export type { RedactionKind } from "./patterns.js";
/** loadSecretRules(): the vendored gitleaks rules, compiled; find(text) returns the spans of the secrets in it. */
export { loadSecretRules, type SecretRules, type SecretSpan } from "./secret-rules.js";
/** shannonEntropy(s): bits per character, how a random token differs from a word. */
export { shannonEntropy } from "./entropy.js";
