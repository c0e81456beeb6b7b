// The built-in library's precompiled form: its validated rules as JSON, written at build time and read at start-up
// instead of parsing the YAML and validating it again, only while the hash it was written with still matches.
import { createHash } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { basename } from "node:path";
import type { Rule } from "./schema.js";

interface LibraryCache {
  readonly hash: string;
  readonly rules: Rule[];
}

/** sha256 over each file's name, length and bytes, in the order given: any edit, rename, addition or removal changes it. */
export async function filesHash(files: readonly string[]): Promise<string> {
  const h = createHash("sha256");
  for (const file of files) {
    const bytes = await readFile(file);
    h.update(`${basename(file)}\0${bytes.length}\0`);
    h.update(bytes);
  }
  return h.digest("hex");
}

/**
 * The rules of a cache file written with this hash; undefined when the file is missing, unreadable, not the shape
 * writeLibraryCache writes, or written from other sources (stale). The file is the build's own output, guarded by
 * the hash, so it is not validated again: that validation is the cost it exists to skip.
 */
export async function readLibraryCache(file: string, hash: string): Promise<Rule[] | undefined> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(file, "utf8"));
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const cache = value as Partial<LibraryCache>;
  return cache.hash === hash && Array.isArray(cache.rules) ? cache.rules : undefined;
}

/** Writes the validated rules with the hash of the files they came from. */
export async function writeLibraryCache(file: string, hash: string, rules: readonly Rule[]): Promise<void> {
  await writeFile(file, `${JSON.stringify({ hash, rules })}\n`);
}
