// Reads a file store's directory when it opens: the state, the audit log, leftovers of interrupted writes.
import { readdir, rename, truncate, unlink } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { tempPrefixFor } from "./atomic-write.js";
import { StoreError } from "./errors.js";
import { readOwnFile } from "./safe-fs.js";
import { AuditEntrySchema, SilenceSchema, STORE_VERSION, StoredIncidentSchema, type AuditEntry } from "./records.js";
import type { StoreDeps } from "./store.js";

export const STATE_FILE = "state.json";
export const AUDIT_FILE = "audit.jsonl";
export const LOCK_FILE = "lock";

const StateSchema = z.object({
  v: z.literal(STORE_VERSION),
  incidents: z.array(StoredIncidentSchema),
  silences: z.array(SilenceSchema),
  cursors: z.record(z.string(), z.string()),
  // Added after the first layout: files written before them have none (same layout version, they default to empty).
  claims: z.record(z.string(), z.object({ owner: z.string(), expiresAt: z.number() })).default({}),
  /** Records by "NS:KEY" (a namespace has no ":"), the value as JSON text. */
  records: z.record(z.string(), z.object({ json: z.string(), expiresAt: z.number(), incident: z.string().nullish().transform((v) => v ?? undefined) })).default({}),
});
export type FileState = z.infer<typeof StateSchema>;

export interface FileStoreOptions {
  /**
   * A state or audit file that does not parse: "refuse" (default) throws and leaves it untouched; "move-aside" renames
   * it to NAME.corrupt-TIME (never overwritten) and starts empty.
   */
  readonly onCorrupt?: "refuse" | "move-aside";
  /** No lock, no writes: for `list`/`show` beside a running daemon (what it reads may be a moment old). */
  readonly readOnly?: boolean;
  /** How long a resolved incident is kept before a write prunes it (default 30 days), like the Redis TTL. */
  readonly retentionMs?: number;
}

async function readIfExists(path: string): Promise<string | undefined> {
  return readOwnFile(path);
}

async function corrupt(path: string, problem: string, deps: StoreDeps, opts: FileStoreOptions, cause?: unknown): Promise<void> {
  if (opts.onCorrupt !== "move-aside" || opts.readOnly) {
    throw new StoreError("corrupt", `the store file ${path} is corrupt (${problem}); it was left untouched`, {
      cause,
      hint: "keep it for inspection; `--on-corrupt move-aside` renames it to NAME.corrupt-TIME and starts an empty store",
    });
  }
  const aside = `${path}.corrupt-${new Date(deps.clock.now()).toISOString().replace(/[:.]/g, "-")}`;
  await rename(path, aside);
  deps.log?.error({ errorType: "store_corrupt", file: path, movedTo: aside }, "Moved a corrupt store file aside and started empty.");
}

export async function loadState(dir: string, deps: StoreDeps, opts: FileStoreOptions): Promise<z.infer<typeof StateSchema> | undefined> {
  const path = join(dir, STATE_FILE);
  const text = await readIfExists(path);
  if (text === undefined) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    await corrupt(path, "not JSON", deps, opts, e);
    return undefined;
  }
  const v = z.object({ v: z.number() }).safeParse(raw);
  if (v.success && v.data.v !== STORE_VERSION) {
    throw new StoreError("version", `the store file ${path} has layout version ${v.data.v}; this firewatch reads version ${STORE_VERSION}`, {
      hint: "use the firewatch version that wrote it, or point --store at another directory",
    });
  }
  const parsed = StateSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  await corrupt(path, issue ? `${issue.path.join(".")}: ${issue.message}` : "invalid", deps, opts, parsed.error);
  return undefined;
}

export async function loadAudit(dir: string, deps: StoreDeps, opts: FileStoreOptions, readOnly: boolean): Promise<AuditEntry[]> {
  const path = join(dir, AUDIT_FILE);
  const text = await readIfExists(path);
  if (!text) return [];
  const lines = text.split("\n");
  // A last line without its newline is an append cut short by a crash: it never counted (its fsync never returned).
  const torn = lines.pop() ?? "";
  if (torn !== "") {
    deps.log?.warn({ errorType: "torn_append", file: path, bytes: torn.length }, "Dropped an audit line cut short by a crash.");
    if (!readOnly) await truncate(path, Buffer.byteLength(text) - Buffer.byteLength(torn));
  }
  const entries: AuditEntry[] = [];
  for (const [i, line] of lines.entries()) {
    let parsed: ReturnType<typeof AuditEntrySchema.safeParse> | undefined;
    try {
      parsed = AuditEntrySchema.safeParse(JSON.parse(line));
    } catch {
      parsed = undefined;
    }
    if (!parsed?.success) {
      await corrupt(path, `line ${i + 1} is not an audit entry`, deps, opts);
      return [];
    }
    entries.push(parsed.data);
  }
  return entries;
}

export async function removeLeftoverTemps(dir: string): Promise<void> {
  const prefixes = [STATE_FILE, LOCK_FILE].map((f) => tempPrefixFor(join(dir, f)).slice(dir.length + 1));
  for (const name of await readdir(dir)) {
    if (prefixes.some((p) => name.startsWith(p))) await unlink(join(dir, name)).catch(() => undefined);
  }
}
