// Turns one zod issue about a rule into the sentence a rule author needs ("expected one of …, got "urgent"").
import type { z } from "zod";

function show(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a mapping";
  return String(v);
}

export function issueProblem(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case "invalid_value":
      return `expected one of ${issue.values.map(String).join("|")}, got ${show(issue.input)}`;
    case "unrecognized_keys":
      return issue.keys.length === 1 ? "unknown key" : `unknown keys ${issue.keys.join(", ")}`;
    case "invalid_union": {
      if (issue.input === undefined) return "missing";
      const u = issue as z.core.$ZodIssueInvalidUnion & { options?: unknown[]; discriminator?: string };
      if (u.options && u.discriminator) {
        const input = typeof issue.input === "object" && issue.input !== null ? (issue.input as Record<string, unknown>)[u.discriminator] : undefined;
        return `expected one of ${u.options.map(String).join("|")}, got ${show(input)}`;
      }
      return issue.message;
    }
    case "invalid_key": {
      // A record key that fails its own schema (a structured field name): say why, not just "Invalid key".
      const why = issue.issues[0]?.message;
      return why === undefined ? issue.message : `invalid key: ${why}`;
    }
    case "invalid_type":
      return issue.input === undefined ? `missing (expected ${issue.expected})` : `expected ${issue.expected}, got ${show(issue.input)}`;
    default:
      return issue.message.replace(/^Invalid input: /, "");
  }
}
