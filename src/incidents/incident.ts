// Incident: findings of the same host/service close in time, grouped, with a stable fingerprint.
import type { Finding } from "../correlate/finding.js";
import type { Severity } from "../rules/schema.js";

/** open: something fires; observed: only below-threshold findings; acknowledged/resolved: set by people or quiet time. */
export type IncidentStatus = "open" | "observed" | "acknowledged" | "resolved";

export interface Incident {
  /** Short id people type: "fw-" + 8 hex of the fingerprint. */
  readonly id: string;
  readonly fingerprint: string;
  readonly title: string;
  readonly severity: Severity;
  readonly status: IncidentStatus;
  readonly host: string | undefined;
  readonly service: string | undefined;
  readonly firstSeen: number | undefined;
  readonly lastSeen: number | undefined;
  /** Most severe first, then by first seen. */
  readonly findings: readonly Finding[];
}
