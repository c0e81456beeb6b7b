// Public surface of the correlator floor: signals → findings.
export type { Cadence, Evidence, Finding, FindingState, FindingTable } from "./finding.js";
/** The field naming a host a live line gave that is not its source's configured host (flagged, never followed). */
export { LOGGED_HOST_FIELD } from "./finding.js";
/** Builds a correlator: push signals, take a findings snapshot at any time, read its bounded-memory stats. */
export { createCorrelator, DEFAULT_EVIDENCE_PER_END, DEFAULT_MAX_GROUPS_PER_RULE } from "./correlator.js";
export type { Correlator, CorrelatorOptions, CorrelatorStats } from "./correlator.js";
/** Fills {field} placeholders; unknown names stay visible as they are. */
export { fillTemplate, PLACEHOLDER } from "./template.js";
/** The stable key of a rule's group: rule id + JSON-quoted group values. */
export { makeGroupKey } from "./group-key.js";
