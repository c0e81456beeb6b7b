// The rule file format: what a YAML rule may say, validated by zod. The schema is the documentation (.describe).
import { z } from "zod";
import { Duration } from "../time.js";
import { RULE_ID } from "./rule-id.js";

const Id = z
  .string()
  .regex(RULE_ID, "expected a snake_case id: lower-case letters, digits and _, starting with a letter")
  .describe("Stable id, used in fingerprints, silences, CLI arguments and by other tools");

const Regex = z.string().min(1, "expected a non-empty regular expression (JavaScript syntax)");

/** Which part of a record a pattern is matched against. */
const MatchField = z
  .string()
  .regex(/^(text|message|service|host|fields\.[A-Za-z0-9_.-]+)$/, 'expected "text", "message", "service", "host" or "fields.NAME"')
  .default("text")
  .describe('What the regexes are matched against: "text" (the whole line; for JSON logs the message), "message", or "fields.NAME"');

/** A structured field's name as a record carries it: journald's MESSAGE_ID, N_RESTARTS, UNIT, or a parser's `unit`. */
const StructuredName = z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/, "expected a structured field name such as MESSAGE_ID or N_RESTARTS");

/**
 * One alternative over a record's structured fields: every listed field must be present and match its regex; the
 * named groups of all of them become fields. It reads no text, so no literal of the text can rule it out.
 */
export const StructuredAlternative = z
  .record(StructuredName, Regex)
  .refine((m) => Object.keys(m).length > 0, "expected at least one FIELD: regex")
  .describe(
    "FIELD: regex, all of which must hold (e.g. MESSAGE_ID: '^5eb03494b6584870a536b337290809b3$', N_RESTARTS: '^(?<counter>\\d+)$'). " +
      "Named groups become fields, as a text regex's do",
  );
export type StructuredAlternative = z.infer<typeof StructuredAlternative>;

/** A pattern set: any of its regexes matching (and none of `not`) makes a signal. A bare string or list is shorthand for `any`. */
const MatchObject = z
  .object({
    any: z.array(Regex).default([]).describe("Regexes (JavaScript syntax); any one matching is a match. Named groups become fields"),
    structured: z
      .array(StructuredAlternative)
      .optional()
      .describe(
        "Alternatives over the record's structured fields (journald's MESSAGE_ID, N_RESTARTS, UNIT_RESULT...), tried after `any` " +
          "when no regex of `any` matched: a record matching both forms is one match (one signal), its fields from the text. " +
          "So a message worded differently (another systemd version, another language) is still recognised by its catalog id. " +
          "The literal prefilter never skips them; `not` still vetoes them (against `field`); `scan`, which parses no " +
          "format, counts `any` only",
      ),
    not: z.array(Regex).default([]).describe("Regexes that veto a match (a healthy line that looks alike)"),
    field: MatchField,
  })
  .strict()
  .refine((m) => m.any.length + (m.structured?.length ?? 0) > 0, { message: "expected at least one regex in `any` or one alternative in `structured`", path: ["any"] });
export const MatchSpec = z.preprocess(
  (v) => (typeof v === "string" ? { any: [v] } : Array.isArray(v) ? { any: v } : v),
  MatchObject,
);
export type MatchSpec = z.infer<typeof MatchSpec>;

const Severity = z.enum(["critical", "high", "medium", "low", "info"]).describe("How bad it is when it fires");
export type Severity = z.infer<typeof Severity>;

/** How a captured field is summarised over all of a finding's signals. */
const Aggregate = z.enum(["first", "last", "max", "min", "values", "count_distinct"]);
export type Aggregate = z.infer<typeof Aggregate>;

/**
 * A field's summary, and optionally where to find it when the matching pattern does not capture it: the id a count is
 * about ("Job 7f3a failed: MAC check failed" and "Decryption failed for job 7f3a: ..." are one job).
 */
const FieldSpec = z.union([
  Aggregate,
  z
    .object({
      summary: Aggregate.default("last"),
      from: z
        .enum(["pid", "host", "service"])
        .optional()
        .describe("Take the field from the matched record's pid, host or service (a failed start is one process: count_distinct of pid)"),
      capture: z
        .array(Regex)
        .default([])
        .describe(
          "Regexes tried, in order, on a matched line (its text, then its error texts) when the pattern that matched did not capture " +
            "this field; the named group of the field's name gives the value. E.g. job: { summary: count_distinct, capture: ['[Jj]ob (?<job>[\\w-]+)'] } " +
            "counts jobs, not lines",
        ),
    })
    .strict()
    .refine((f) => f.capture.length > 0 || f.from !== undefined, "expected `capture` regexes or `from`"),
]);
export type FieldSpec = z.infer<typeof FieldSpec>;

/** The title template for a finding of this rule in this state: `observed.title` while it only observes, else `title`. */
export function ruleTitle(rule: Pick<Rule, "id" | "title" | "observed">, state: "firing" | "observed"): string {
  return (state === "observed" ? rule.observed?.title : undefined) ?? rule.title ?? rule.id;
}

/** The severity a finding of this rule in this state gives its incident: `observed.severity` while it only observes. */
export function ruleSeverity(rule: Pick<Rule, "severity" | "observed">, state: "firing" | "observed"): Severity {
  return (state === "observed" ? rule.observed?.severity : undefined) ?? rule.severity;
}

/** The summary of each of a rule's fields (the shorthand `job: count_distinct` or the object's `summary`). */
export function fieldSummaries(fields: Readonly<Record<string, FieldSpec>>): Record<string, Aggregate> {
  const out: Record<string, Aggregate> = Object.create(null);
  for (const [name, spec] of Object.entries(fields)) out[name] = typeof spec === "string" ? spec : spec.summary;
  return out;
}

const Action = z
  .object({
    title: z.string().describe("What the step does, e.g. 'Kill the process holding the port'"),
    commands: z.array(z.string()).min(1).describe("Exact commands; {field} placeholders are filled from the finding"),
  })
  .strict();

const Doc = z.union([z.string(), z.object({ title: z.string(), ref: z.string() }).strict()]);

export const Knowledge = z
  .object({
    summary: z.string().optional().describe("One or two sentences for the Executive Summary; {field} placeholders allowed"),
    problem: z.array(z.string()).default([]).describe("Bullets for Problem; {field} placeholders allowed"),
    root_causes: z.array(z.string()).default([]).describe("Bullets for Root Cause"),
    impact: z.array(z.string()).default([]).describe("Bullets for Impact Assessment"),
    immediate_actions: z.array(Action).default([]).describe("Immediate Actions Required, with exact commands"),
    hypothesis: z.string().optional().describe("Root Cause Analysis: the leading hypothesis"),
    possible_causes: z.array(z.string()).default([]).describe("Root Cause Analysis: possible causes, most likely first"),
    prevention: z.array(z.string()).default([]).describe("Prevention Measures (rendered as checkboxes)"),
    docs: z.array(Doc).default([]).describe("Related Documentation"),
    next_steps: z.array(z.string()).default([]).describe("Next Steps"),
  })
  .strict();
export type Knowledge = z.infer<typeof Knowledge>;

/** Derived fields: the first `when` that holds sets `set` (values may use {field} placeholders, and {count}). */
const Derive = z
  .object({
    when: z
      .object({
        field: z.string().describe("A captured field (its summarised value) to test"),
        matches: Regex.describe("Regex the field's value must match for this entry to apply"),
      })
      .strict()
      .optional()
      .describe("Condition on a captured field; omitted means always"),
    set: z.record(z.string(), z.string()).describe("Fields to add (or replace), each a template with {field} placeholders"),
  })
  .strict();

/** A table in the report: one row per distinct value of `key` with the number of signals, optionally a status from another rule. */
const Table = z
  .object({
    title: z.string().describe('Heading of the table in the report ("Affected Files")'),
    key: z.string().describe("Captured field whose distinct values are the rows"),
    key_label: z.string().describe("Header of the key column"),
    count_label: z.string().default("Count").describe("Header of the column counting each row's signals"),
    max_rows: z.number().int().positive().default(50).describe("Rows shown, most signals first; the rest are counted as omitted"),
    status: z
      .object({
        label: z.string().default("Status").describe("Header of the status column"),
        rule: Id.describe("A rule whose signals mark a row (e.g. job_completed)"),
        key: z.string().describe("The field of that rule's signals to compare with this table's key"),
        present: z.string().describe('Shown when that rule saw the row\'s key ("✅ Already completed")'),
        absent: z.string().describe("Shown when it did not"),
      })
      .strict()
      .optional(),
  })
  .strict();

const Example = z
  .object({
    line: z.string().describe("A log line, as the log has it"),
    matches: z.boolean().default(true).describe("false: the rule must not match it (a healthy line that looks alike)"),
    fields: z.record(z.string(), z.string()).optional().describe("Fields the match must capture (a subset)"),
    structured: z
      .record(StructuredName, z.string())
      .optional()
      .describe("Structured fields the example record carries besides its text `line` (e.g. a journal entry's MESSAGE_ID, N_RESTARTS, UNIT)"),
  })
  .strict();

/** Title and severity while a rule's condition does not hold: the evidence is a line or two, not a loop. */
const Observed = z
  .object({
    title: z.string().optional().describe("Title while the condition does not hold (below the threshold, B not seen): one line is not a loop"),
    severity: Severity.optional().describe("The incident's severity when this rule's finding is only observed"),
  })
  .strict();

const Base = z.object({
  id: Id,
  title: z.string().optional().describe("Incident title; {field} placeholders allowed. Defaults to the id"),
  severity: Severity.default("medium"),
  observed: Observed.optional().describe("What the title and severity say while the rule's condition does not hold (observed findings)"),
  description: z.string().optional().describe("One sentence for people reading the rule (not shown in reports)"),
  match: MatchSpec.describe("The signal: a regex, a list of regexes (any), or {any, not, field}"),
  group_by: z
    .array(z.string())
    .default(["host", "service"])
    .describe("Fields that split instances: host, service, pid or captured field names"),
  clears: MatchSpec.optional().describe("A line that shows recovery for the same group (e.g. 'Successfully rotated'); what came before it no longer fires"),
  fields: z
    .record(z.string(), FieldSpec)
    .default({})
    .describe("How a captured field is summarised over a finding's signals (default: last value): a summary, or { summary, capture } to find the field in the line; see Field summaries above"),
  derive: z.array(Derive).default([]).describe("Fields computed from captured ones: the first entry whose `when` holds (or that has none) sets `set`"),
  table: Table.optional().describe("A table under the finding in the report: one row per distinct `key` value with its signal count, and a status from another rule"),
  role: z
    .enum(["signal", "context"])
    .default("signal")
    .describe("context: never a finding of its own; its signals feed other rules' tables (e.g. completed jobs)"),
  resolve_after: Duration.optional().describe("Quiet time after which a live incident auto-resolves"),
  probes: z.array(z.string()).default([]).describe("Read-only diagnosis run when the incident opens (port_owner, unit_status...: docs/probes.md)"),
  actions: z.array(z.string()).default([]).describe("Remediations the guard may offer for it (kill_port_owner, restart_unit...: docs/actions.md)"),
  same_cause: z
    .array(z.string())
    .default([])
    .describe(
      "Captured fields that name one cause across services: findings on one host whose field has the same value (the same port held) join one incident, whichever unit, container or log they came from",
    ),
  cause_service: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/)
    .optional()
    .describe(
      "The service these findings are about, whichever service logged them (clients failing to reach PostgreSQL are about postgres): they join that service's incident on the same host",
    ),
  knowledge: Knowledge.default(Knowledge.parse({})),
  examples: z.array(Example).default([]).describe("Lines the rule must (or must not) match; rules lint and the tests check them"),
});

const Single = Base.extend({ kind: z.literal("single") }).strict();
const Threshold = Base.extend({
  kind: z.literal("threshold"),
  threshold: z.object({ count: z.number().int().min(2), within: Duration }).strict().describe("Fires at `count` signals within `within`; signals without a time are counted but never satisfy the window"),
}).strict();
const Sequence = Base.extend({
  kind: z.literal("sequence"),
  then: MatchSpec.describe("B: fires when B follows A (match) within `within`, same group (both need a time)"),
  within: Duration,
}).strict();
const Absence = Base.extend({
  kind: z.literal("absence"),
  expect: MatchSpec.describe("B: fires when A (match) is not followed by B within `within`, or before `until` arrives"),
  until: MatchSpec.optional().describe("C: if C comes first (same group) and no B came, it fires then"),
  within: Duration,
}).strict();
const Recurrence = Base.extend({
  kind: z.literal("recurrence"),
  recurrence: z
    .object({
      min_count: z.number().int().min(2).default(3),
      tolerance: z.number().min(0).max(1).default(0.5).describe("Allowed relative deviation of intervals from the median"),
      min_interval: Duration.default(0),
    })
    .strict()
    .describe("Fires when the same signal repeats at a steady interval"),
}).strict();

export const RuleSchema = z.preprocess(
  (v) => (v && typeof v === "object" && !Array.isArray(v) && !("kind" in v) ? { ...v, kind: "single" } : v),
  z.discriminatedUnion("kind", [Single, Threshold, Sequence, Absence, Recurrence]),
);
export type Rule = z.infer<typeof RuleSchema>;
export type RuleKind = Rule["kind"];

/** A rule file holds one rule (a mapping) or several (`rules: [...]`). */
export const RuleFileSchema = z.union([z.object({ rules: z.array(z.unknown()) }).strict(), z.record(z.string(), z.unknown())]);
