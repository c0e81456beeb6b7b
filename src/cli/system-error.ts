// Tells a refusal of the operating system about a path the user chose (EACCES, EROFS...) from a bug in firewatch.

/** Errno codes that describe the user's files and permissions, never firewatch's own logic. */
const ENVIRONMENT = new Set(["EACCES", "EPERM", "EROFS", "ENOSPC", "EDQUOT", "ENOTDIR", "EISDIR", "EEXIST", "ENOENT", "ELOOP", "ENAMETOOLONG"]);

/**
 * One line for a Node file-system error on a path ("cannot open /x/y: EACCES"), or undefined when `e` is not one:
 * the CLI prints it as a usage/input error (exit 2), not as an internal error.
 */
export function systemErrorLine(e: unknown): string | undefined {
  if (!(e instanceof Error) || !("code" in e) || !("syscall" in e) || !("path" in e)) return undefined;
  const { code, syscall, path } = e;
  if (typeof code !== "string" || typeof syscall !== "string" || typeof path !== "string" || !ENVIRONMENT.has(code)) return undefined;
  return `cannot ${syscall} ${path}: ${code}`;
}
