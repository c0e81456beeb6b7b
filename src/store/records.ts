// What the store keeps (incidents with their lifecycle, silences, audit entries), as zod schemas: stored bytes are input.
import { z } from "zod";
import type { Finding } from "../correlate/index.js";
import type { Incident } from "../incidents/index.js";

/** Version of the stored layout; Redis keys and the state file carry it, another version is refused, never misread. */
export const STORE_VERSION = 1;

// JSON has no `undefined`: encodeJson writes null, and `opt` turns null back into undefined with the key present,
// which is what the contract types (`firstSeen: number | undefined`) require under exactOptionalPropertyTypes.
const opt = <T extends z.ZodType>(t: T) => t.nullish().transform((v) => v ?? undefined);

const Severity = z.enum(["critical", "high", "medium", "low", "info"]);
const Ms = z.number().finite();

const EvidenceSchema = z.object({
  ref: z.object({ file: z.string(), line: z.number().int(), endLine: z.number().int() }),
  time: opt(Ms),
  text: z.string(),
});

const FindingSchema = z.object({
  rule: z.string(),
  severity: Severity,
  state: z.enum(["firing", "observed"]),
  count: z.number().int().nonnegative(),
  firstSeen: opt(Ms),
  lastSeen: opt(Ms),
  host: opt(z.string()),
  service: opt(z.string()),
  groupKey: z.string(),
  fields: z.record(z.string(), z.string()),
  evidence: z.array(EvidenceSchema),
  cadence: opt(z.object({ medianMs: Ms, minMs: Ms, maxMs: Ms, steady: z.boolean(), spanMs: Ms })),
  table: opt(
    z.object({
      title: z.string(),
      columns: z.array(z.string()),
      rows: z.array(z.array(z.string())),
      omitted: z.number().int().nonnegative(),
    }),
  ),
  recoveredAt: opt(Ms),
});

export const IncidentStatusSchema = z.enum(["open", "observed", "acknowledged", "resolved"]);

const IncidentSchema = z.object({
  id: z.string(),
  fingerprint: z.string().min(1),
  title: z.string(),
  severity: Severity,
  status: IncidentStatusSchema,
  host: opt(z.string()),
  service: opt(z.string()),
  firstSeen: opt(Ms),
  lastSeen: opt(Ms),
  findings: z.array(FindingSchema),
});

/** One change in an incident's life, newest last. `by` is a person ("slack:U123", "cli:alice") or "firewatch". */
export const HistoryEntrySchema = z.object({
  at: Ms,
  event: z.enum(["created", "acknowledged", "resolved", "auto_resolved", "reopened", "flapping", "silenced", "merged"]),
  by: z.string(),
  note: opt(z.string()),
});
export type HistoryEntry = z.infer<typeof HistoryEntrySchema>;

/** Where the incident's Slack message lives, so later updates edit it in place. */
export const SlackRefSchema = z.object({ channel: z.string().min(1), ts: z.string().min(1) });
export type SlackRef = z.infer<typeof SlackRefSchema>;

/**
 * Events of one finding counted before the correlator started over (`carried`, since `since`), and where the current
 * window began; `run`: the correlator run (CommitBatch.run) whose counts add to `carried` (absent: time-based carry).
 */
const CarrySchema = z.object({
  carried: z.number().int().nonnegative(),
  since: opt(Ms),
  windowStart: opt(Ms),
  run: opt(z.string()),
  /**
   * Run-aware carry: the latest count of each run committing this finding (on top of `carried`), so runs committing
   * it at the same time (two watchers, two sources of one finding) add up instead of re-basing each other. Records
   * written before it have `run` only: that run's count is the stored count less `carried`.
   */
  runs: opt(z.record(z.string(), z.number().int().nonnegative())),
});
export type Carry = z.infer<typeof CarrySchema>;

/** One probe result of an incident (what the probe engineer's runIncidentProbes returns), shown in reports and Slack. */
export interface StoredProbe {
  readonly probe: string;
  readonly params: Readonly<Record<string, string | number | boolean>>;
  readonly host: string;
  /** Epoch ms. */
  readonly at: number;
  /** False: the probe failed; `summary` says why. */
  readonly ok: boolean;
  /** One line for humans ("PID 1573680 (node) holds 9003, PPID 1, outside the unit"). */
  readonly summary: string;
  /** The probe's structured result (JSON-safe). */
  readonly data?: unknown;
}

export const StoredProbeSchema = z.object({
  probe: z.string().min(1),
  params: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
  host: z.string(),
  at: Ms,
  ok: z.boolean(),
  summary: z.string(),
  data: z.unknown().optional(),
});

export const StoredIncidentSchema = z.object({
  v: z.literal(STORE_VERSION),
  /** The merged snapshot; its `status` always equals the stored status below. */
  incident: IncidentSchema,
  status: IncidentStatusSchema,
  /** Store clock times (not log times): when it was stored first, changed last, and last saw new activity. */
  createdAt: Ms,
  updatedAt: Ms,
  lastActivityAt: Ms,
  acknowledged: opt(z.object({ by: z.string(), at: Ms })),
  /** `mergedInto`: resolved because it was found to be part of that incident (short id), see applyMerge. */
  resolved: opt(z.object({ by: z.string(), at: Ms, auto: z.boolean(), mergedInto: opt(z.string()) })),
  /** Reopen times inside the flapping window, oldest first (bounded by it). */
  reopenTimes: z.array(Ms),
  reopenCount: z.number().int().nonnegative(),
  flapping: z.boolean(),
  /** The silence that matched at the last change, if any. */
  silencedBy: opt(z.string()),
  slack: opt(SlackRefSchema),
  history: z.array(HistoryEntrySchema),
  /** Per finding groupKey: events counted in earlier correlator windows (before a restart), see mergeSnapshots. */
  carry: z.record(z.string(), CarrySchema).default({}),
  /** The probes run for it, replaced as a whole by setProbes (records stored before probes existed read as []). */
  probes: z.array(StoredProbeSchema).default([]),
});
/** The incident itself is typed as the contract's (readonly) Incident; the schema's output is assignable to it. */
export type StoredIncident = Omit<z.infer<typeof StoredIncidentSchema>, "incident"> & { readonly incident: Incident };

/** A silence matches an incident when every field it sets matches (rule: any finding of that rule). */
export const SilenceMatchSchema = z
  .object({
    rule: opt(z.string().min(1)),
    host: opt(z.string().min(1)),
    service: opt(z.string().min(1)),
    fingerprint: opt(z.string().min(1)),
  })
  .refine((m) => m.rule !== undefined || m.host !== undefined || m.service !== undefined || m.fingerprint !== undefined, {
    message: "a silence needs at least one of rule, host, service, fingerprint",
  });
export type SilenceMatch = z.infer<typeof SilenceMatchSchema>;
/** What a caller writes: only the fields it matches on. */
export type SilenceMatchInput = z.input<typeof SilenceMatchSchema>;

export const SilenceSchema = z.object({
  v: z.literal(STORE_VERSION),
  id: z.string().min(1),
  match: SilenceMatchSchema,
  createdBy: z.string(),
  createdAt: Ms,
  expiresAt: Ms,
  reason: opt(z.string()),
});
export type Silence = z.infer<typeof SilenceSchema>;

const AuditValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);

/** One line of the append-only audit log: who did what to which target, and the details that matter. */
export const AuditEntrySchema = z.object({
  v: z.literal(STORE_VERSION),
  id: z.string().min(1),
  at: Ms,
  actor: z.string(),
  action: z.string().min(1),
  target: opt(z.string()),
  details: z.record(z.string(), AuditValue),
});
export type AuditEntry = z.infer<typeof AuditEntrySchema>;
export type AuditInput = Omit<AuditEntry, "v" | "id" | "at"> & { at?: number };

/** Serialises a stored value; undefined becomes null so that it survives the trip (see `opt`). */
export function encodeJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (v === undefined ? null : v));
}

// Compile-time guards: the stored shapes must stay assignable to the contract types they carry.
type Assignable<A extends B, B> = A;
export type _FindingFits = Assignable<z.infer<typeof FindingSchema>, Finding>;
export type _IncidentFits = Assignable<z.infer<typeof IncidentSchema>, Incident>;
export type _StoredFits = Assignable<z.infer<typeof StoredIncidentSchema>, StoredIncident>;
export type _ProbeFits = Assignable<z.infer<typeof StoredProbeSchema>, StoredProbe>;
