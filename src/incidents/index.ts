// Public surface of the incidents floor: findings → grouped incidents with stable fingerprints.
export type { Incident, IncidentStatus } from "./incident.js";
/** Groups findings of the same host, close in time, into incidents (deterministic order). */
export { compareFindingsBySeverity, DEFAULT_INCIDENT_GAP_MS, groupIntoIncidents } from "./group.js";
export type { GroupOptions } from "./group.js";
/** sha256 fingerprint that ignores counts and times; "fw-" + 8 hex short id. */
export { fingerprintIncident, incidentId } from "./fingerprint.js";
export type { FingerprintParts } from "./fingerprint.js";
/** Fills {field} placeholders; unknown names stay visible as they are. */
export { fillTemplate } from "./template.js";
/** Severity order (critical worst). */
export { maxSeverity, severityRank } from "./severity.js";
/** One failing thing: a finding's subject, identity groups (same host, same subject or declared cause), how it reads. */
export { describeIdentity, groupByIdentity, subjectOf } from "./identity.js";
export type { CauseDecl, Subject } from "./identity.js";
/** What a remediation covers (its unit, container, port or queue) and which firing findings it leaves. */
export { coveredBy, DEFAULT_FINDING_QUIET_MS, stillFiring } from "./fix.js";
export type { FixTarget, StillFiringOptions } from "./fix.js";
