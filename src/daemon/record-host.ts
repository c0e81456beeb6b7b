// Live records belong to their source's configured host: the host a line names is kept for display, never followed.
//
// Issue 14: a docker source's records carried no host and a local log file's lines carried the machine's own name
// ("vm"), so one machine made incidents under two names, and probes asked a host no config knew. A record's host
// is where its source reads; probes and actions go there. A name in the line that is neither that host's name nor
// one of its aliases (hosts.NAME.aliases; a local host also answers to the machine's hostname) is kept as the
// `logged_host` field, which the report and `incidents show` flag. `analyze` on files keeps the text's host.
import { LOGGED_HOST_FIELD } from "../correlate/index.js";
import type { LogRecord } from "../parsers/index.js";

export interface HostNames {
  /** The names host `name` logs under besides its own (config aliases; the machine's hostname for a local host). */
  aliases(name: string): readonly string[];
}

/** Returns the function that stamps a record with its source's host (one allocation only when the host differs). */
export function createRecordHost(names: HostNames): (record: LogRecord, host: string) => LogRecord {
  const known = new Map<string, ReadonlySet<string>>();
  const namesOf = (host: string) => {
    let set = known.get(host);
    if (set === undefined) known.set(host, (set = new Set([host, ...names.aliases(host)].map((n) => n.toLowerCase()))));
    return set;
  };
  // The verdict per (source host, name said), so the per-line cost is a map lookup and one object, not a lowercase.
  const verdicts = new Map<string, Map<string, boolean>>();
  const isAlias = (host: string, said: string) => {
    let byName = verdicts.get(host);
    if (byName === undefined) verdicts.set(host, (byName = new Map()));
    let v = byName.get(said);
    if (v === undefined) {
      // Bounded: a source whose lines name endless hosts re-decides instead of growing the cache.
      if (byName.size >= 1024) byName.clear();
      byName.set(said, (v = namesOf(host).has(said.toLowerCase())));
    }
    return v;
  };
  return (record, host) => {
    if (record.host === host) return record;
    const said = record.host;
    if (said === undefined || said === "" || isAlias(host, said)) return { ...record, host };
    return { ...record, host, fields: { ...record.fields, [LOGGED_HOST_FIELD]: said } };
  };
}

/**
 * Aliases from the hosts section of firewatch.yaml: its `aliases`, and for a local host the machine's hostname in
 * full and short form (a local log file's lines carry it).
 */
export function hostAliases(hosts: Readonly<Record<string, { readonly kind: string; readonly aliases?: readonly string[] | undefined }>>, machine: string): HostNames {
  const own = [machine, machine.split(".")[0] ?? machine].filter((n) => n !== "");
  return {
    aliases(name) {
      const h = Object.hasOwn(hosts, name) ? hosts[name] : undefined;
      // A host name no entry defines is the machine itself (the daemon opens it as a local host).
      const local = h === undefined || h.kind === "local";
      return [...(h?.aliases ?? []), ...(local ? own : [])];
    },
  };
}
