// Incident fingerprints: a stable identity that survives the incident growing (more lines, later times).
import { createHash } from "node:crypto";

export interface FingerprintParts {
  readonly host: string | undefined;
  readonly service: string | undefined;
  /** The anchor finding's rule id and group key (group.ts: the most severe, then earliest finding). */
  readonly rule: string;
  readonly groupKey: string;
}

/**
 * sha256 hex of host, service, anchor rule and anchor group key. Counts and times are deliberately left
 * out, so the restart counter going 476 → 485 keeps the same incident. Parts are joined with NUL, which
 * no log value contains after decoding, so ("a b", "c") and ("a", "b c") differ.
 */
export function fingerprintIncident(parts: FingerprintParts): string {
  const text = [parts.host ?? "", parts.service ?? "", parts.rule, parts.groupKey].join("\u0000");
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/** The short id people type: "fw-" + the first 8 hex characters of the fingerprint. */
export function incidentId(fingerprint: string): string {
  return `fw-${fingerprint.slice(0, 8)}`;
}
