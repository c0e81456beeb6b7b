// The stale-file probe on any Host (local or SSH): `test -e` and `find -name`, argv only, read-only, bounded.
import type { Host } from "../hosts/index.js";
import type { FileProbe } from "./stale.js";

/** Per probe call: a slow NFS mount or a huge tree gives up instead of stalling the command. */
const PROBE_TIMEOUT_MS = 20_000;
const MAX_FIND_BYTES = 1024 * 1024;

/** find -name takes a glob: a file called "a*b.m4a" must match itself only. */
export function escapeFindGlob(name: string): string {
  return name.replace(/[\\*?[\]]/g, (c) => `\\${c}`);
}

/**
 * Paths come from failure reasons, i.e. from logs: only absolute paths without NUL or newline are probed (a path
 * starting with "-" can never reach `test` or `find` as an option); anything else is "not found".
 */
function probeable(path: string): boolean {
  return path.startsWith("/") && !/[\0\n]/.test(path);
}

/** A FileProbe that asks `host`. A failing host (unreachable, find missing) is an error, never a silent "absent". */
export function hostFileProbe(host: Host): FileProbe {
  const found = new Map<string, Map<string, Promise<string[]>>>();
  const find = async (dir: string, name: string): Promise<string[]> => {
    const r = await host.exec(["find", dir, "-name", escapeFindGlob(name), "-type", "f", "-print"], { timeoutMs: PROBE_TIMEOUT_MS, maxOutputBytes: MAX_FIND_BYTES });
    // find exits 1 when some directory was unreadable; what it printed is still right.
    if (r.timedOut) throw new Error(`${host.name}: find under ${dir} timed out after ${PROBE_TIMEOUT_MS / 1000} s`);
    return r.stdout.split("\n").filter((p) => p.length > 0);
  };
  return {
    exists: async (path) => {
      if (!probeable(path)) return false;
      const r = await host.exec(["test", "-e", path], { timeoutMs: PROBE_TIMEOUT_MS });
      if (r.code === 0) return true;
      if (r.code === 1) return false;
      throw new Error(`${host.name}: test -e ${JSON.stringify(path)} ended with ${r.code ?? r.signal ?? "?"}${r.timedOut ? " (timed out)" : ""}`);
    },
    findByName: async (dir, name) => {
      if (!probeable(dir) || name.includes("/") || !probeable(`/${name}`)) return [];
      let byName = found.get(dir);
      if (!byName) { byName = new Map(); found.set(dir, byName); }
      let p = byName.get(name);
      if (!p) {
        const names = byName;
        p = find(dir, name).catch((e: unknown) => {
          names.delete(name); // a failed look-up is not remembered, so the next call asks again
          throw e;
        });
        byName.set(name, p);
      }
      return p;
    },
  };
}
