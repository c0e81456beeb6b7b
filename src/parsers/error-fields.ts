// Which structured fields hold an error's text (err.message, err.stack, error, exception, exc_info...): rules match them.

/**
 * Names that make a field (or an object and everything under it) an error: pino/bunyan `err`, zap/logrus `error`,
 * Python `exc_info`/`exc_text`, logback's `stack_trace`, ECS `error.*`, `exception`, a `cause` chain... Matched as
 * written here, Capitalized, UPPER or camelCase (`stackTrace`, `errorMessage`). docs/rules.md lists them ("Error fields").
 */
export const ERROR_KEYS: ReadonlySet<string> = new Set([
  "err", "error", "errors", "exception", "exc_info", "exc_text", "stack", "stack_trace", "stacktrace", "cause",
  "reason", "error_message", "errormessage", "inner_error", "innererror", "original", "originalerror", "failure",
  "@x", // Serilog's compact JSON (CLEF): the exception
]);

/** Inside an error object, the leaves that carry its text (not its type name, time or id). Same spellings. */
export const ERROR_TEXT_LEAVES: ReadonlySet<string> = new Set([
  "message", "msg", "stack", "stack_trace", "stacktrace", "reason", "detail", "details", "description", "code", "errno", "syscall",
]);

/** Error texts kept per record; the rest of a pathological line's error fields are not searched. */
export const MAX_ERROR_TEXTS = 8;

/** A name as written, Capitalized, UPPER and camelCase ("stack_trace" → "Stack_trace", "STACK_TRACE", "stackTrace"). */
function spellings(names: ReadonlySet<string>): ReadonlySet<string> {
  const out = new Set<string>();
  for (const n of names) {
    const camel = n.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
    for (const v of [n, camel]) out.add(v).add(v.charAt(0).toUpperCase() + v.slice(1)).add(v.toUpperCase());
  }
  // Run-together names read better camel-cased: "errormessage" is written errorMessage.
  for (const v of ["errorMessage", "innerError", "originalError", "InnerError", "OriginalError", "ErrorMessage"]) out.add(v);
  return out;
}

// Exact lookups: this runs for every key of every JSON line, so no lower-casing per key.
const ERROR_KEY_SPELLINGS = spellings(ERROR_KEYS);
const ERROR_LEAF_SPELLINGS = spellings(ERROR_TEXT_LEAVES);

/** Whether a key (one path segment) names an error. */
export function isErrorKey(key: string): boolean {
  return ERROR_KEY_SPELLINGS.has(key);
}

/**
 * Whether a leaf under path segments `inError` (an ancestor is an error key) and `key` is an error's text: the error
 * key itself holding a string ("error": "listen tcp :8080: bind: address already in use"), or a text leaf inside one
 * ("err": {"message": ..., "stack": ...}, "meta": {"error": {"cause": {"message": ...}}}).
 */
export function isErrorText(inError: boolean, key: string): boolean {
  if (ERROR_KEY_SPELLINGS.has(key)) return true;
  return inError && ERROR_LEAF_SPELLINGS.has(key);
}

/** The error texts among flat "a.b.c" keys (logfmt, and anything flattened elsewhere), in key order. */
export function errorTextsOfFlat(fields: Readonly<Record<string, string>>): string[] | undefined {
  let out: string[] | undefined;
  for (const [key, value] of Object.entries(fields)) {
    if (value === "") continue;
    const parts = key.split(".");
    const leaf = parts.pop() ?? "";
    if (!isErrorText(parts.some(isErrorKey), leaf)) continue;
    (out ??= []).push(value);
    if (out.length >= MAX_ERROR_TEXTS) break;
  }
  return out;
}
