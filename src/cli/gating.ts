// CI gating for `analyze`: which incidents to show (--min-severity) and which make the exit code 1 (--fail-on).
import { z } from "zod";
import { FirewatchError } from "../errors.js";
import type { Incident } from "../incidents/index.js";
import type { Severity } from "../rules/index.js";

const ORDER: readonly Severity[] = ["info", "low", "medium", "high", "critical"];
const SeverityFlag = z.enum(["info", "low", "medium", "high", "critical"]);
const FailOnFlag = z.enum(["info", "low", "medium", "high", "critical", "never"]);

const rank = (s: Severity) => ORDER.indexOf(s);

function parse<T extends string>(schema: z.ZodType<T>, flag: string, text: string | undefined): T | undefined {
  if (text === undefined) return undefined;
  const r = schema.safeParse(text);
  if (!r.success) throw new FirewatchError("usage", `${flag} ${text}: expected one of ${FailOnFlag.options.filter((o) => flag === "--fail-on" || o !== "never").join(", ")}`);
  return r.data;
}

export interface Gate {
  /** The incidents to print and write (all of them without --min-severity). */
  readonly shown: (incidents: readonly Incident[]) => Incident[];
  /** Whether the run fails (exit 1): an open incident at or above --fail-on (default: any open incident shown). */
  readonly fails: (shown: readonly Incident[]) => boolean;
}

/** Reads --min-severity and --fail-on; both optional, both one of critical, high, medium, low, info (--fail-on also never). */
export function createGate(flags: { minSeverity?: string | undefined; failOn?: string | undefined }): Gate {
  const min = parse(SeverityFlag, "--min-severity", flags.minSeverity);
  const failOn = parse(FailOnFlag, "--fail-on", flags.failOn);
  return {
    shown: (incidents) => (min === undefined ? [...incidents] : incidents.filter((i) => rank(i.severity) >= rank(min))),
    fails: (shown) => failOn !== "never" && shown.some((i) => i.status === "open" && (failOn === undefined || rank(i.severity) >= rank(failOn))),
  };
}
