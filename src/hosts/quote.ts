// Turns argv into one command line for a POSIX shell (what sshd runs), every argument a literal.

/**
 * One argument, single-quoted: inside '...' a POSIX shell treats every byte literally except "'" itself,
 * which closes the quote; so each "'" becomes '\'' (close, escaped quote, reopen). `$(id)`, backticks,
 * `;`, newlines and globs stay literal. NUL cannot be carried by any command line: the caller refuses it.
 */
export function quoteArg(arg: string): string {
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

/** argv → "'a' 'b c' 'it'\\''s'": the single string an SSH exec request carries. */
export function quoteArgv(argv: readonly string[]): string {
  return argv.map(quoteArg).join(" ");
}
