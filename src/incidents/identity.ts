// What an incident is about: one failing thing (a unit, a container, a service) on one host, or one declared cause.
import type { Finding } from "../correlate/index.js";

/** What a finding is about: the unit it names, else the container, else the service its lines came from. */
export interface Subject {
  readonly kind: "unit" | "container" | "service";
  readonly name: string;
}

const UNIT_SUFFIX = /\.service$/;

/**
 * The failing thing a finding is about. A unit or container the finding names wins over the service that logged it:
 * systemd logs "x.service: Scheduled restart job" as itself, and a docker event names the container it is about.
 * Undefined when the lines name none (a host-wide signal: disk full, a kernel line without a process).
 */
export function subjectOf(f: Pick<Finding, "fields" | "service">): Subject | undefined {
  const unit = nonEmpty(f.fields.unit);
  if (unit !== undefined) return { kind: "unit", name: unit.replace(UNIT_SUFFIX, "") };
  const container = nonEmpty(f.fields.container);
  if (container !== undefined) return { kind: "container", name: container };
  const service = nonEmpty(f.service);
  return service === undefined ? undefined : { kind: "service", name: service.replace(UNIT_SUFFIX, "") };
}

/** The service name firewatch's own source-health records carry (src/daemon/source-health.ts). */
const WATCHER = "firewatch";

const nonEmpty = (v: string | undefined) => (v === undefined || v === "" ? undefined : v);

/** What a rule declares about its findings' identity (its `same_cause` fields and `cause_service`). */
export interface CauseDecl {
  readonly same_cause: readonly string[];
  readonly cause_service?: string | undefined;
}

/** A compose replica's container ("file_watcher_1", "web-2") belongs to its service ("file_watcher", "web"). */
const REPLICA = /[_-]\d+$/;

/** The keys that tie a finding to others on its host: its subject, the service its rule says it is about, and each declared cause value. */
function identityKeys(f: Finding, decl: CauseDecl | undefined): string[] {
  const subject = subjectOf(f);
  // Units, containers and services share one namespace: a container's lines carry its name as their service.
  const keys = [`s:${subject?.name ?? ""}`];
  if (subject?.kind === "container" && REPLICA.test(subject.name)) keys.push(`s:${subject.name.replace(REPLICA, "")}`);
  if (decl?.cause_service !== undefined) keys.push(`s:${decl.cause_service}`);
  for (const name of decl?.same_cause ?? []) {
    const v = nonEmpty(Object.hasOwn(f.fields, name) ? f.fields[name] : undefined);
    if (v !== undefined) keys.push(`c:${name}=${v}`);
  }
  return keys;
}

/**
 * Splits findings into identity groups: same host, and linked by a shared subject or a shared declared cause
 * (their rules' `same_cause` and `cause_service`, by rule id). Groups come in the order of their first finding; findings keep theirs.
 */
export function groupByIdentity(findings: readonly Finding[], causes: ReadonlyMap<string, CauseDecl>): Finding[][] {
  const parent = findings.map((_, i) => i);
  const find = (i: number): number => {
    let r = i;
    while (parent[r] !== r) r = parent[r] ?? r;
    // Path compression: later lookups of this chain are one step.
    for (let j = i; j !== r; ) {
      const next = parent[j] ?? r;
      parent[j] = r;
      j = next;
    }
    return r;
  };
  const owner = new Map<string, number>();
  findings.forEach((f, i) => {
    const host = JSON.stringify(f.host ?? "");
    for (const key of identityKeys(f, causes.get(f.rule))) {
      const k = `${host}\u0000${key}`;
      const j = owner.get(k);
      if (j === undefined) owner.set(k, i);
      else parent[find(i)] = find(j);
    }
  });
  // A group of findings that name nothing (a panic line without its container, in a file) is told about its host
  // only: when the host has exactly one failing thing, it is that thing's; otherwise it stays an incident of its own.
  const byHost = new Map<string, { named: Set<number>; unnamed: Set<number> }>();
  findings.forEach((f, i) => {
    const host = f.host ?? "";
    let h = byHost.get(host);
    if (h === undefined) byHost.set(host, (h = { named: new Set(), unnamed: new Set() }));
    const subject = subjectOf(f);
    // firewatch's own records (a source down) are about the watcher, not the host: lines naming nothing are not theirs.
    if (subject === undefined) h.unnamed.add(find(i));
    else if (!(subject.kind === "service" && subject.name === WATCHER)) h.named.add(find(i));
  });
  for (const { named, unnamed } of byHost.values()) {
    const [only] = named;
    if (named.size !== 1 || only === undefined) continue;
    for (const r of unnamed) if (!named.has(r)) parent[r] = only;
  }
  const groups = new Map<number, Finding[]>();
  findings.forEach((f, i) => {
    const r = find(i);
    const g = groups.get(r);
    if (g === undefined) groups.set(r, [f]);
    else g.push(f);
  });
  return [...groups.values()];
}

/**
 * How an incident's identity reads ("container loop-main on local, one cause: port 9003"): its host, the failing
 * things its findings are about, and the declared causes that tie several of them together.
 */
export function describeIdentity(findings: readonly Finding[], host: string | undefined, causes: ReadonlyMap<string, CauseDecl> = new Map()): string {
  const subjects = new Map<string, Subject>();
  const linked = new Set<string>();
  for (const f of findings) {
    const s = subjectOf(f);
    if (s !== undefined && !subjects.has(s.name)) subjects.set(s.name, s);
    const decl = causes.get(f.rule);
    if (decl?.cause_service !== undefined) linked.add(`service ${decl.cause_service}`);
    for (const name of decl?.same_cause ?? []) {
      const v = nonEmpty(Object.hasOwn(f.fields, name) ? f.fields[name] : undefined);
      if (v !== undefined) linked.add(`${name} ${v}`);
    }
  }
  const what = subjects.size === 0 ? "the host itself (its lines name no unit, container or service)" : [...subjects.values()].map((s) => `${s.kind} ${s.name}`).join(", ");
  const on = `on host ${host === undefined || host === "" ? "unknown" : host}`;
  return linked.size === 0 ? `${what} ${on}` : `${what} ${on}, one cause: ${[...linked].join(", ")}`;
}
