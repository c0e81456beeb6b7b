// Which structured fields hold an error's text (err.message, err.stack, error, exception, exc_info...): rules match them.

/**
 * Names that make a field (or an object and everything under it) an error: pino/bunyan `err`, zap/logrus `error`,
 * Python `exc_info`/`exc_text`, logback's `stack_trace`, ECS `error.*`, `exception`, a `cause` chain... Compared in
 * lower case. docs/rules.md lists them ("Error fields").
 */
export const ERROR_KEYS: ReadonlySet<string> = new Set([
  "err", "error", "errors", "exception", "exc_info", "exc_text", "stack", "stack_trace", "stacktrace", "cause",
  "reason", "error_message", "errormessage", "inner_error", "innererror", "original", "originalerror", "failure",
]);

/** Inside an error object, the leaves that carry its text (not its type name, time or id). */
export const ERROR_TEXT_LEAVES: ReadonlySet<string> = new Set([
  "message", "msg", "stack", "stack_trace", "stacktrace", "reason", "detail", "details", "description", "code", "errno", "syscall",
]);

/** Error texts kept per record; the rest of a pathological line's error fields are not searched. */
export const MAX_ERROR_TEXTS = 8;

/** Whether a key (one path segment, any case) names an error. */
export function isErrorKey(key: string): boolean {
  return key.length <= 24 && ERROR_KEYS.has(key.toLowerCase());
}

/**
 * Whether a leaf under path segments `inError` (an ancestor is an error key) and `key` is an error's text: the error
 * key itself holding a string ("error": "listen tcp :8080: bind: address already in use"), or a text leaf inside one
 * ("err": {"message": ..., "stack": ...}, "meta": {"error": {"cause": {"message": ...}}}).
 */
export function isErrorText(inError: boolean, key: string): boolean {
  if (isErrorKey(key)) return true;
  return inError && key.length <= 24 && ERROR_TEXT_LEAVES.has(key.toLowerCase());
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
