// Finding: what the correlator concludes about one rule and one group (host, service, port...) over time.
import type { SourceRef } from "../parsers/record.js";
import type { Severity } from "../rules/schema.js";

/**
 * A live record's structured field (and then its finding's field) naming the host its line gave when that is not the
 * source's configured host or an alias of it (src/daemon/record-host.ts): shown and flagged, never followed.
 */
export const LOGGED_HOST_FIELD = "logged_host";

/** firing: the rule's condition holds (threshold reached, sequence seen...); observed: seen, below it. */
export type FindingState = "firing" | "observed";

export interface Evidence {
  readonly ref: SourceRef;
  readonly time: number | undefined;
  /** The line(s), verbatim (after decoding and the line cap). */
  readonly text: string;
}

export interface Cadence {
  /** Median interval between signals, ms. */
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  /** True when the intervals stay within the rule's tolerance of the median. */
  readonly steady: boolean;
  /** lastSeen - firstSeen, ms. */
  readonly spanMs: number;
}

export interface FindingTable {
  readonly title: string;
  readonly columns: readonly string[];
  readonly rows: readonly (readonly string[])[];
  /** Rows left out by max_rows. */
  readonly omitted: number;
}

export interface Finding {
  readonly rule: string;
  readonly severity: Severity;
  readonly state: FindingState;
  /** Number of main-match signals (log events) in this group; for an absence rule, the number of A's left unanswered (misses). */
  readonly count: number;
  readonly firstSeen: number | undefined;
  readonly lastSeen: number | undefined;
  readonly host: string | undefined;
  readonly service: string | undefined;
  /** Rule id + group values; stable across runs. */
  readonly groupKey: string;
  /** Captured and derived fields, summarised per the rule (default: last value). */
  readonly fields: Readonly<Record<string, string>>;
  /** The first and last lines, verbatim, bounded. */
  readonly evidence: readonly Evidence[];
  readonly cadence: Cadence | undefined;
  readonly table: FindingTable | undefined;
  /** Set when a `clears` line came after the last signal. */
  readonly recoveredAt: number | undefined;
}
