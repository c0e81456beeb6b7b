// Chooses and opens a store from a --store value: "file:DIR", "redis://...", or the default data directory.
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { FirewatchError } from "../errors.js";
import { FileStore, type FileStoreOptions } from "./file-store.js";
import { RedisStore, type RedisStoreOptions } from "./redis-store.js";
import type { Store, StoreDeps } from "./store.js";

export type StoreSpec = { readonly kind: "file"; readonly dir: string } | { readonly kind: "redis"; readonly url: string };

/** The default data directory: $FIREWATCH_DATA_DIR, else $XDG_STATE_HOME/firewatch, else ~/.local/state/firewatch. */
export function defaultDataDir(env: NodeJS.ProcessEnv): string {
  if (env.FIREWATCH_DATA_DIR) return resolve(env.FIREWATCH_DATA_DIR);
  if (env.XDG_STATE_HOME) return join(env.XDG_STATE_HOME, "firewatch");
  return join(env.HOME ?? homedir(), ".local", "state", "firewatch");
}

/** Reads a --store value; undefined means the file store in the default data directory. */
export function parseStoreSpec(text: string | undefined, env: NodeJS.ProcessEnv): StoreSpec {
  if (text === undefined || text === "") return { kind: "file", dir: defaultDataDir(env) };
  if (/^rediss?:\/\//.test(text)) return { kind: "redis", url: text };
  if (text.startsWith("file:") && text.length > "file:".length) return { kind: "file", dir: resolve(text.slice("file:".length)) };
  throw new FirewatchError("usage", `--store "${text}" is neither file:DIR nor redis://HOST:PORT`, {
    hint: "e.g. --store file:/var/lib/firewatch or --store redis://127.0.0.1:6379",
  });
}

/** Opens the store a spec names (file options apply to the file store, Redis options to Redis). */
export async function openStore(spec: StoreSpec, deps: StoreDeps, opts: FileStoreOptions & RedisStoreOptions = {}): Promise<Store> {
  return spec.kind === "file" ? FileStore.open(spec.dir, deps, opts) : RedisStore.connect(spec.url, deps, opts);
}
