// FirewatchError and its stable codes: every failure a user can cause has a code and a message that says what to do.

export type ErrorCode =
  | "usage" // bad flags or arguments
  | "input_missing" // a path that does not exist or cannot be read
  | "input_empty" // a directory with no log files in it
  | "input_invalid" // bytes that cannot be read as logs at all (e.g. a broken .gz)
  | "rule_invalid" // a rule file that does not validate
  | "rule_unsafe" // a regex that could backtrack catastrophically
  | "rule_unknown" // a rule id that no loaded rule has
  | "config_invalid"
  | "store_corrupt" // a state file or stored value that does not parse (kept, never overwritten)
  | "store_locked" // another live process holds the file store
  | "store_version" // data written by another layout version
  | "store_unavailable" // Redis unreachable for longer than the store waits
  | "not_found" // no incident, silence or job with that id
  | "host_key" // a host's SSH key is unknown or changed: refused, never trusted silently
  | "host_auth" // the SSH login was refused
  | "host_unreachable" // a host cannot be reached, or its link dropped past the retries
  | "host_command" // a command is missing or not permitted on the host
  | "internal";

export class FirewatchError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; hint?: string }) {
    super(options?.hint ? `${message}\n  hint: ${options.hint}` : message, { cause: options?.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = options?.hint;
  }
}

/** A rule file problem, located: `rules/x.yaml:12 match.any[1]: invalid regex (...)`. */
export class RuleFileError extends FirewatchError {
  readonly file: string;
  readonly line: number;
  readonly path: string;
  constructor(file: string, line: number, path: string, problem: string, options?: { hint?: string; code?: ErrorCode }) {
    super(options?.code ?? "rule_invalid", `${file}:${line} ${path || "(rule)"}: ${problem}`, options?.hint ? { hint: options.hint } : undefined);
    this.file = file;
    this.line = line;
    this.path = path;
  }
}

export function isFirewatchError(e: unknown): e is FirewatchError {
  return e instanceof FirewatchError;
}

/** Every problem one pass found (all the errors of a rules directory or a config), so one run shows them all. */
export class FirewatchErrors extends FirewatchError {
  readonly problems: readonly FirewatchError[];
  constructor(problems: readonly FirewatchError[]) {
    const code = problems.every((p) => p.code === problems[0]?.code) ? (problems[0]?.code ?? "internal") : "usage";
    super(code, `${problems.length} problems:\n${problems.map((p) => `  ${p.message.replaceAll("\n", "\n  ")}`).join("\n")}`);
    this.problems = problems;
  }
}

/** Throws what `problems` holds: nothing, the one problem as it is, or all of them at once. */
export function throwProblems(problems: readonly FirewatchError[]): void {
  const [first] = problems;
  if (first === undefined) return;
  if (problems.length === 1) throw first;
  throw new FirewatchErrors(problems.flatMap((p) => (p instanceof FirewatchErrors ? p.problems : [p])));
}

/** Runs `fn`, adding a FirewatchError it throws to `problems` instead; other errors pass through. */
export async function collectProblem<T>(problems: FirewatchError[], fn: () => Promise<T> | T): Promise<T | undefined> {
  try {
    return await fn();
  } catch (e) {
    if (!(e instanceof FirewatchError)) throw e;
    problems.push(...(e instanceof FirewatchErrors ? e.problems : [e]));
    return undefined;
  }
}
