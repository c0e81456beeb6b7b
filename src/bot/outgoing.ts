// Everything firewatch sends to Slack passes here first: secrets in log text are replaced before a message is cut,
// escaped or posted (the local report and the store keep them verbatim; Slack is outside the host).
import { createRedactor, redactFields, redactStrings } from "../redact/index.js";
import type { StoredIncident } from "../store/index.js";

/** The keys of a Slack message (blocks, a reply, an upload) whose strings are shown to people. */
const SHOWN = new Set(["text", "content", "initial_comment", "title", "alt_text"]);

/**
 * The incident as Slack may see it: every string redacted whole (evidence lines, fields, titles, probe output), so a
 * later cut cannot split a secret or keep the part of a private key before its END line. One redactor per incident:
 * the same secret is the same placeholder in every line.
 */
export function slackSafeIncident(s: StoredIncident): StoredIncident {
  const r = createRedactor({ ips: false });
  return redactStrings(s, (t) => r.redact(t));
}

/** A message, reply or upload with its shown text redacted: the last check before anything is sent to Slack. */
export function slackSafe<T>(message: T): T {
  const r = createRedactor({ ips: false });
  return redactFields(message, SHOWN, (t) => r.redact(t));
}
