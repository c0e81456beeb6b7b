// Signal: a record that matched one pattern of one rule, with the fields its named groups captured.
import type { LogRecord } from "../parsers/record.js";

/** Which of a rule's pattern sets matched: the main match, a sequence's `then`, an absence's `expect`/`until`, or `clears`. */
export type SignalRole = "match" | "then" | "expect" | "until" | "clears";

export interface Signal {
  readonly ruleId: string;
  readonly role: SignalRole;
  readonly record: LogRecord;
  /** Named capture groups (undefined groups omitted). */
  readonly fields: Readonly<Record<string, string>>;
}
