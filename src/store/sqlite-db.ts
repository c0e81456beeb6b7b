// Opens the embedded store's SQLite database: private files, WAL, the schema and its layout version, busy waits.
import { rename } from "node:fs/promises";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { createRequire } from "node:module";
import type Database from "better-sqlite3";
import type { z } from "zod";
import { StoreError } from "./errors.js";
import { checkPrivate, privateFile } from "./private-path.js";
import { STORE_VERSION } from "./records.js";
import type { StoreDeps } from "./store.js";

// The native module is loaded by the first database opened, not with the store floor: `--help`, `analyze` and the
// other stores never load it.
const require = createRequire(import.meta.url);
let sqliteModule: typeof Database | undefined;
const betterSqlite = (): typeof Database => (sqliteModule ??= require("better-sqlite3") as typeof Database);

export type Db = Database.Database;
export type Statement = Database.Statement;

// Every table is STRICT (types checked by SQLite); JSON columns hold what records.ts validates on the way out.
// `changes` is the change feed: AUTOINCREMENT, so a seq is never reused after trimming and readers can tell a gap.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS incidents (
  fingerprint TEXT PRIMARY KEY, id TEXT NOT NULL, status TEXT NOT NULL,
  last_activity REAL NOT NULL, resolved_at REAL, json TEXT NOT NULL) STRICT;
CREATE INDEX IF NOT EXISTS incidents_id ON incidents (id);
CREATE TABLE IF NOT EXISTS silences (id TEXT PRIMARY KEY, expires_at REAL NOT NULL, json TEXT NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS cursors (source TEXT PRIMARY KEY, cursor TEXT NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS claims (key TEXT PRIMARY KEY, owner TEXT NOT NULL, expires_at REAL NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS records (
  ns TEXT NOT NULL, key TEXT NOT NULL, json TEXT NOT NULL, expires_at REAL NOT NULL, incident TEXT,
  PRIMARY KEY (ns, key)) STRICT;
CREATE INDEX IF NOT EXISTS records_incident ON records (incident) WHERE incident IS NOT NULL;
CREATE TABLE IF NOT EXISTS audit (seq INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, action TEXT NOT NULL, target TEXT, json TEXT NOT NULL) STRICT;
CREATE INDEX IF NOT EXISTS audit_action_at ON audit (action, at);
CREATE INDEX IF NOT EXISTS audit_target ON audit (target);
CREATE TABLE IF NOT EXISTS changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, incident TEXT NOT NULL, kind TEXT NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS lease (name TEXT PRIMARY KEY, pid INTEGER NOT NULL, host TEXT NOT NULL, since TEXT NOT NULL, token TEXT NOT NULL) STRICT;
`;

/** How long an operation waits for another process's write transaction before it fails "unavailable". */
export const BUSY_WAIT_MS = 10_000;

function sqliteCode(e: unknown): string | undefined {
  return e instanceof Error && "code" in e && typeof e.code === "string" && e.code.startsWith("SQLITE_") ? e.code : undefined;
}

const isBusy = (e: unknown) => /^SQLITE_(BUSY|LOCKED)/.test(sqliteCode(e) ?? "");

/**
 * Runs `fn` (synchronous SQLite work), again after a short async wait while another process holds the write lock:
 * the event loop never blocks on a busy database for more than SQLite's few-ms busy timeout.
 */
export async function retryBusy<T>(path: string, what: string, fn: () => T): Promise<T> {
  const deadline = performance.now() + BUSY_WAIT_MS;
  for (let wait = 2; ; wait = Math.min(wait * 2, 50)) {
    try {
      return fn();
    } catch (e) {
      if (!isBusy(e)) throw asStoreError(path, e);
      if (performance.now() >= deadline) {
        throw new StoreError("unavailable", `the store ${path} stayed busy for ${BUSY_WAIT_MS / 1000} s; the ${what} did not happen`, {
          cause: e,
          hint: "another process holds a write transaction open; nothing was written",
        });
      }
    }
    await sleep(wait);
  }
}

/** A SQLite error as a StoreError: a file that is not a database (or damaged) is "corrupt", named; others pass. */
export function asStoreError(path: string, e: unknown): unknown {
  const code = sqliteCode(e);
  if (code === "SQLITE_NOTADB" || code?.startsWith("SQLITE_CORRUPT")) {
    return new StoreError("corrupt", `the store file ${path} is not a readable SQLite database (${code}); it was left untouched`, {
      cause: e,
      hint: "keep it for inspection; `--on-corrupt move-aside` renames it to NAME.corrupt-TIME and starts an empty store",
    });
  }
  return e;
}

/** Parses a JSON column read back: not JSON or not the shape is "corrupt", naming the file and the row. */
export function decodeRow<S extends z.ZodType>(path: string, raw: string, schema: S, where: string): z.output<S> {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (e) {
    throw new StoreError("corrupt", `the store ${path} holds a ${where} that is not JSON`, { cause: e });
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new StoreError("corrupt", `the store ${path} holds an invalid ${where} (${issue ? `${issue.path.join(".")}: ${issue.message}` : "invalid"})`);
  }
  return parsed.data;
}

export interface OpenedDb {
  readonly db: Db;
  /** True when this open created the database file. */
  readonly created: boolean;
}

function connect(path: string): Db {
  const db = new (betterSqlite())(path, { fileMustExist: true });
  try {
    // FULL: every commit fsyncs the WAL, so an acknowledged change survives power loss, like the file store's.
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = FULL");
    db.pragma("busy_timeout = 5");
    db.exec(SCHEMA);
    const row = db.prepare("SELECT value FROM meta WHERE key = 'layout'").get() as { value: string } | undefined;
    if (row === undefined) db.prepare("INSERT INTO meta (key, value) VALUES ('layout', ?)").run(String(STORE_VERSION));
    else if (row.value !== String(STORE_VERSION)) {
      throw new StoreError("version", `the store ${path} has layout version ${row.value}; this firewatch reads version ${STORE_VERSION}`, {
        hint: "use the firewatch version that wrote it, or point --store at another file",
      });
    }
    return db;
  } catch (e) {
    db.close();
    throw e;
  }
}

/**
 * Opens (creating it, mode 0600) the database at `path` in a private directory (checked by the caller). Its WAL and
 * shared-memory files are checked too: SQLite gives them the database file's mode. A file that is not a database is
 * refused, or with `onCorrupt: "move-aside"` renamed to NAME.corrupt-TIME (with its -wal and -shm) and started anew.
 */
export async function openDb(path: string, deps: StoreDeps, onCorrupt: "refuse" | "move-aside"): Promise<OpenedDb> {
  const created = await privateFile(path);
  for (const side of ["-wal", "-shm"]) await checkPrivate(`${path}${side}`, "file");
  let db: Db;
  try {
    db = await retryBusy(path, "opening", () => connect(path));
  } catch (e) {
    const err = asStoreError(path, e);
    if (!(err instanceof StoreError) || err.reason !== "corrupt" || onCorrupt !== "move-aside") throw err;
    const aside = `${path}.corrupt-${new Date(deps.clock.now()).toISOString().replace(/[:.]/g, "-")}`;
    await rename(path, aside);
    for (const side of ["-wal", "-shm"]) await rename(`${path}${side}`, `${aside}${side}`).catch(() => undefined);
    deps.log?.error({ errorType: "store_corrupt", file: path, movedTo: aside }, "Moved a corrupt store database aside and started empty.");
    await privateFile(path);
    return { db: await retryBusy(path, "opening", () => connect(path)), created: true };
  }
  return { db, created };
}
