// The JSON output contract (`--format json`), as a zod schema: consumers can validate against it, and the tests do.
//
// Stability: the keys below keep their names and meanings within schemaVersion 1. New keys may be added
// (consumers must ignore keys they do not know; the schema does, as zod objects strip unknown keys), and
// the optional ones (cadence, table, recoveredAt...) may be null. Removing or renaming a key is version 2.
import { z } from "zod";

/** ISO 8601 in UTC ("2025-12-26T22:57:01Z", milliseconds only when non-zero), or null when the logs carry no time. */
const Time = z.iso.datetime({ offset: false }).nullable().describe("ISO 8601 UTC, null when unknown");

const Severity = z.enum(["critical", "high", "medium", "low", "info"]);

export const EvidenceJsonSchema = z.object({
  file: z.string().describe('The file the line came from ("-" for stdin)'),
  line: z.number().int().positive().describe("1-based line number of the first physical line"),
  endLine: z.number().int().positive().describe("Last physical line (multi-line events)"),
  time: Time,
  text: z.string().describe("The line(s), verbatim"),
});

export const CadenceJsonSchema = z.object({
  medianMs: z.number().nonnegative(),
  minMs: z.number().nonnegative(),
  maxMs: z.number().nonnegative(),
  spanMs: z.number().nonnegative(),
  steady: z.boolean(),
  text: z.string().describe('For people: "every ~10 min for 9 days"'),
});

export const TableJsonSchema = z.object({
  title: z.string(),
  columns: z.array(z.string()),
  rows: z.array(z.array(z.string())),
  omitted: z.number().int().nonnegative().describe("Rows left out by the rule's max_rows"),
});

export const FindingJsonSchema = z.object({
  rule: z.string().describe("Rule id"),
  state: z.enum(["firing", "observed"]),
  count: z.number().int().nonnegative().describe("Number of matching log events"),
  firstSeen: Time,
  lastSeen: Time,
  fields: z.record(z.string(), z.string()).describe("Captured and derived fields, summarised per the rule"),
  evidence: z.array(EvidenceJsonSchema).describe("The first and last lines, verbatim, bounded"),
  // Extras (schemaVersion 1 keeps them, consumers may ignore them):
  severity: Severity,
  host: z.string().nullable(),
  service: z.string().nullable(),
  groupKey: z.string(),
  cadence: CadenceJsonSchema.nullable(),
  table: TableJsonSchema.nullable(),
  recoveredAt: Time,
});

export const ProbeJsonSchema = z.object({
  probe: z.string().describe('Probe name ("port_owner")'),
  host: z.string().describe("Host it ran on"),
  params: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).describe("Its validated parameters"),
  at: Time.describe("When it ran (ISO 8601 UTC)"),
  ok: z.boolean().describe("false: it failed or did not run; summary says why"),
  summary: z.string().describe("One line for people"),
  data: z.unknown().describe("The probe's structured result (or the failure reason); null when none"),
});

/** What the incident store adds to an incident (`incidents list|show --format json`): lifecycle, not findings. */
export const StoreJsonSchema = z.object({
  createdAt: Time.describe("When the store first saw it (store clock, not log time)"),
  updatedAt: Time.describe("Its last change in the store"),
  lastActivityAt: Time.describe("Its last new log activity, as the store saw it"),
  acknowledged: z.object({ by: z.string(), at: Time }).nullable(),
  resolved: z.object({ by: z.string(), at: Time, auto: z.boolean(), mergedInto: z.string().nullable() }).nullable(),
  reopenCount: z.number().int().nonnegative(),
  flapping: z.boolean().describe("Reopened often: auto-resolve is held"),
  silencedBy: z.string().nullable().describe("The silence (sil-...) that matched at its last change"),
  slack: z.object({ channel: z.string(), ts: z.string() }).nullable().describe("Its Slack message, when posted"),
  history: z.array(z.object({ at: Time, event: z.string(), by: z.string(), note: z.string().nullable() })).describe("Created, acknowledged, resolved, reopened..., oldest first"),
});

export const IncidentJsonSchema = z.object({
  id: z.string().describe('Short id people type: "fw-" + 8 hex'),
  fingerprint: z.string(),
  title: z.string(),
  severity: Severity,
  status: z.enum(["open", "observed", "acknowledged", "resolved"]),
  host: z.string().nullable(),
  service: z.string().nullable(),
  firstSeen: Time,
  lastSeen: Time,
  findings: z.array(FindingJsonSchema),
  /** Present when the caller has the incident's stored probe results (`report ID`, watch); absent from `analyze`. */
  probes: z.array(ProbeJsonSchema).optional().describe("Read-only probe results for this incident, in the order they ran"),
  /** Present for stored incidents (`incidents list|show`); absent from `analyze`. */
  store: StoreJsonSchema.optional().describe("The incident store's lifecycle record of it"),
});

export const ReportJsonSchema = z.object({
  schemaVersion: z.literal(1),
  incidents: z.array(IncidentJsonSchema),
});

export type ReportJson = z.infer<typeof ReportJsonSchema>;
export type IncidentJson = z.infer<typeof IncidentJsonSchema>;
export type FindingJson = z.infer<typeof FindingJsonSchema>;
export type ProbeJson = z.infer<typeof ProbeJsonSchema>;
export type StoreJson = z.infer<typeof StoreJsonSchema>;
