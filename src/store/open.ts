// Chooses and opens a store from a --store value: "sqlite:FILE", "file:DIR", "redis://...", or the default database.
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { FirewatchError } from "../errors.js";
import { FileStore, type FileStoreOptions } from "./file-store.js";
import { RedisStore, type RedisStoreOptions } from "./redis-store.js";
import { SQLITE_FILE, SqliteStore, type SqliteStoreOptions } from "./sqlite-store.js";
import type { Store, StoreDeps } from "./store.js";

export type StoreSpec =
  | { readonly kind: "sqlite"; readonly path: string }
  | { readonly kind: "file"; readonly dir: string }
  | { readonly kind: "redis"; readonly url: string };

/** The default data directory: $FIREWATCH_DATA_DIR, else $XDG_STATE_HOME/firewatch, else ~/.local/state/firewatch. */
export function defaultDataDir(env: NodeJS.ProcessEnv): string {
  if (env.FIREWATCH_DATA_DIR) return resolve(env.FIREWATCH_DATA_DIR);
  if (env.XDG_STATE_HOME) return join(env.XDG_STATE_HOME, "firewatch");
  return join(env.HOME ?? homedir(), ".local", "state", "firewatch");
}

/** Reads a --store value; undefined means the embedded database (firewatch.db) in the default data directory. */
export function parseStoreSpec(text: string | undefined, env: NodeJS.ProcessEnv): StoreSpec {
  if (text === undefined || text === "") return { kind: "sqlite", path: join(defaultDataDir(env), SQLITE_FILE) };
  if (/^rediss?:\/\//.test(text)) return { kind: "redis", url: text };
  if (text.startsWith("sqlite:") && text.length > "sqlite:".length) return { kind: "sqlite", path: resolve(text.slice("sqlite:".length)) };
  if (text.startsWith("file:") && text.length > "file:".length) return { kind: "file", dir: resolve(text.slice("file:".length)) };
  throw new FirewatchError("usage", `--store "${text}" is none of sqlite:FILE, file:DIR, redis://HOST:PORT`, {
    hint: "e.g. --store sqlite:/var/lib/firewatch/firewatch.db or --store redis://127.0.0.1:6379",
  });
}

/** Options of every store; each applies to the stores that have it (writerLease: the embedded database). */
export type OpenOptions = FileStoreOptions & RedisStoreOptions & SqliteStoreOptions;

/** Opens the store a spec names. */
export async function openStore(spec: StoreSpec, deps: StoreDeps, opts: OpenOptions = {}): Promise<Store> {
  if (spec.kind === "sqlite") return SqliteStore.open(spec.path, deps, opts);
  return spec.kind === "file" ? FileStore.open(spec.dir, deps, opts) : RedisStore.connect(spec.url, deps, opts);
}
