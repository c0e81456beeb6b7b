// Test helpers: build Signals and Rules the way the matcher and the rule loader would.
import type { LogRecord } from "../../../src/parsers/record.js";
import { RuleSchema, type Rule } from "../../../src/rules/schema.js";
import type { Signal, SignalRole } from "../../../src/rules/signal.js";

export const MIN = 60_000;
export const T0 = Date.UTC(2025, 11, 26, 21, 42, 0);

let line = 0;

export interface SignalSpec {
  rule: string;
  role?: SignalRole;
  time?: number | undefined;
  /** Defaults to "mithrandir"; pass undefined for a line that names no host. */
  host?: string | undefined;
  service?: string;
  pid?: number;
  text?: string;
  fields?: Record<string, string>;
  recordFields?: Record<string, string>;
}

export function sig(spec: SignalSpec): Signal {
  line += 1;
  const text = spec.text ?? `${spec.rule} ${spec.role ?? "match"} line ${line}`;
  const record: LogRecord = {
    text,
    message: text,
    time: spec.time,
    host: "host" in spec ? spec.host : "mithrandir",
    service: spec.service ?? "transcription-palantir",
    pid: spec.pid,
    level: undefined,
    fields: spec.recordFields ?? {},
    format: spec.time === undefined ? "plain" : "syslog",
    ref: { file: "test.log", line, endLine: line },
    truncatedBytes: 0,
  };
  return { ruleId: spec.rule, role: spec.role ?? "match", record, fields: spec.fields ?? {} };
}

export function rule(raw: Record<string, unknown>): Rule {
  return RuleSchema.parse({ match: "x", ...raw });
}
