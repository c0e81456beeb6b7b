// The real-world corpus manifest (fixtures/real/manifest.yaml): which excerpt shows what, from where, under what terms.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { FirewatchError } from "../errors.js";

/**
 * Work another change brings, which an excerpt's recognition waits for. The score names these excerpts when they
 * miss, so a reader can tell a rule's fault from a missing capability.
 */
export const NEEDS = {
  "untimed-windows": "records without a time never satisfy a time window (a threshold over lines that carry no time stays observed)",
  "nested-error-fields": "rules also match the error fields of structured records (err.message, error, exc_info...)",
  "timestamp-formats": "times are read from this format, so the window of a threshold can be shown",
} as const;
export type Need = keyof typeof NEEDS;

const RuleId = z.string().regex(/^[a-z][a-z0-9_]*$/, "a rule id (snake_case)");

const Expectation = z
  .object({
    rule: RuleId,
    state: z.enum(["firing", "observed"]).describe("firing: the rule's condition holds; observed: seen, below its threshold or window"),
    fields: z.record(z.string(), z.string()).default({}).describe("Fields the finding must carry, exactly as the report shows them"),
  })
  .strict();
export type Expectation = z.infer<typeof Expectation>;

const Excerpt = z
  .object({
    file: z.string().regex(/^[\w.-]+\/[\w.-]+$/, "folder/name of the excerpt, relative to the manifest"),
    source: z.url().describe("Where the lines were posted"),
    licence: z.string().min(1).describe("On what terms the lines are quoted; the repository's licence where known"),
    language: z.string().min(1).describe("Program, version, language or logger that wrote the lines"),
    note: z.string().optional().describe("What was trimmed, and anything else a reader needs"),
    anonymised: z.string().optional().describe("What was changed to anonymise the lines, if anything"),
    needs: z.array(z.enum(Object.keys(NEEDS) as [Need, ...Need[]])).default([]),
    expect: z.array(Expectation).describe("Every finding analyze must conclude; an empty list: none may fire"),
  })
  .strict();
export type Excerpt = z.infer<typeof Excerpt>;

const Manifest = z
  .object({
    excluded: z
      .record(RuleId, z.string().min(1))
      .default({})
      .describe("Library rules the corpus does not cover, each with the reason (a rule no other program's log can show)"),
    excerpts: z.array(Excerpt).min(1),
  })
  .strict();
export type CorpusManifest = z.infer<typeof Manifest>;

/** Reads and validates DIR/manifest.yaml; a problem names the excerpt and field. */
export async function loadCorpusManifest(dir: string): Promise<CorpusManifest> {
  const path = join(dir, "manifest.yaml");
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (cause) {
    throw new FirewatchError("input_missing", `cannot read the corpus manifest ${path}`, { cause, hint: "--corpus takes the folder that holds manifest.yaml" });
  }
  const { parse } = await import("yaml");
  const parsed = Manifest.safeParse(parse(text));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new FirewatchError("input_invalid", `${path} ${issue?.path.join(".") ?? ""}: ${issue?.message ?? "invalid"}`);
  }
  return parsed.data;
}
