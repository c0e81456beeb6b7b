// Which findings of an incident a remediation covers, and which still fire after it (issue 14: one fix, one member).
import type { Finding } from "../correlate/index.js";
import { subjectOf } from "./identity.js";

/** What a fix touched, from an action's params: the port freed, the unit or container restarted, the queue cleaned. */
export interface FixTarget {
  readonly port?: string | undefined;
  readonly unit?: string | undefined;
  readonly container?: string | undefined;
  readonly queue?: string | undefined;
}

const UNIT_SUFFIX = /\.service$/;

/**
 * A finding is covered by a fix when the fix names its failing thing (the unit or container it is about) or the
 * cause it reports (the port it could not bind, the queue whose jobs failed). Freeing port 9003 for container
 * loop-main covers its EADDRINUSE lines and its restart loop; restarting oom-two covers nothing of oom-one.
 */
export function coveredBy(f: Finding, fix: FixTarget): boolean {
  const subject = subjectOf(f)?.name;
  const unit = fix.unit?.replace(UNIT_SUFFIX, "");
  if (subject !== undefined && (subject === unit || subject === fix.container)) return true;
  if (fix.port !== undefined && f.fields.port === fix.port) return true;
  return fix.queue !== undefined && f.fields.queue === fix.queue;
}

export interface StillFiringOptions {
  /** Now, epoch ms (a finding whose last line is older than its quiet time no longer counts as firing). */
  readonly now: number;
  /** How long a finding of this rule must be quiet to count as over (its rule's resolve_after); default 15 min. */
  readonly quietMs?: (rule: string) => number | undefined;
}

/** Default quiet time of a finding whose rule sets no resolve_after. */
export const DEFAULT_FINDING_QUIET_MS = 15 * 60_000;

/**
 * The firing findings no fix covers and that are not quiet: while any is left, the incident is not over. An incident
 * resolves when every firing finding is fixed or quiet (docs/incidents.md).
 */
export function stillFiring(findings: readonly Finding[], fixes: readonly FixTarget[], opts: StillFiringOptions): Finding[] {
  return findings.filter((f) => {
    if (f.state !== "firing" || fixes.some((x) => coveredBy(f, x))) return false;
    const quiet = opts.quietMs?.(f.rule) ?? DEFAULT_FINDING_QUIET_MS;
    return f.lastSeen === undefined || opts.now - f.lastSeen < quiet;
  });
}
