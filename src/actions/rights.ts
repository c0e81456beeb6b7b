// What firewatch may do on a host with the rights it has there: read it with harmless commands, then say per enabled
// action whether it can run, how, or what to grant (`firewatch doctor`, and the buttons the bot offers).
import type { Host } from "../hosts/index.js";
import type { ActuatorClient, ActuatorLookup } from "./actuator-client.js";
import { ACTION_IDS, type ActionId } from "./definitions.js";
import { matchesAny, type GuardConfig } from "./policy.js";

/** What was found on one host; every field is what a command answered, undefined when it could not be asked. */
export interface HostRights {
  readonly host: string;
  readonly user: string | undefined;
  readonly uid: number | undefined;
  /** CAP_KILL in the effective set (or root): may signal other users' processes. */
  readonly canSignal: boolean;
  /** Listening sockets seen, and how many of them ss showed without their process (another user's). */
  readonly listeners: { readonly total: number; readonly hidden: number } | undefined;
  /** `docker version` answered (the daemon the config names, or the default one). */
  readonly docker: boolean;
  /** What `sudo -n -l` lists for firewatch's user (undefined: no sudo, or it asks for a password). */
  readonly sudo: string | undefined;
  /** The polkit rules file firewatch writes, when present. */
  readonly polkit: string | undefined;
  /** Why the host could not be asked at all (SSH unreachable, key refused): then every other field is unknown. */
  readonly unreachable?: string;
  /** The actuator, when it serves this host: reachable and as which uid, or why not. */
  readonly actuator: { readonly ok: true; readonly uid: number; readonly actions: readonly ActionId[] } | { readonly ok: false; readonly why: string } | undefined;
}

export interface ActionReadiness {
  readonly action: ActionId;
  readonly ok: boolean;
  /** How it runs ("through the actuator", "as root", "sudo rules"), or why it cannot. */
  readonly how: string;
  /** What to grant when it cannot (a command or a docs pointer). */
  readonly grant?: string;
}

export const POLKIT_RULES_FILE = "/etc/polkit-1/rules.d/50-firewatch.rules";
const CAP_KILL = 5n;

const run = async (host: Host, argv: readonly string[]) => host.exec(argv, { timeoutMs: 10_000, maxOutputBytes: 1024 * 1024 }).catch(() => undefined);
const firstLine = (e: unknown) => (e instanceof Error ? e.message.split("\n")[0] ?? "" : String(e));

/** CapEff of /proc/self/status (hex) has CAP_KILL. */
export function hasCapKill(status: string): boolean {
  const hex = /^CapEff:\s*([0-9a-f]+)$/m.exec(status)?.[1];
  return hex !== undefined && ((BigInt(`0x${hex}`) >> CAP_KILL) & 1n) === 1n;
}

/** `ss -ltnpH` lines: how many listeners, how many without a users:(...) column. */
export function countListeners(ss: string): { total: number; hidden: number } {
  const lines = ss.split("\n").filter((l) => /^\s*LISTEN\b/.test(l));
  return { total: lines.length, hidden: lines.filter((l) => !l.includes("users:((")).length };
}

/** Reads the rights on `host` with read-only commands (id, /proc/self/status, ss, docker version, sudo -n -l, cat). */
export async function readHostRights(host: Host, opts: { actuator?: ActuatorClient | undefined; dockerHost?: string | undefined }): Promise<HostRights> {
  // One question first: a host that cannot be reached says why once, instead of six silent failures.
  const reach = await host.exec(["true"], { timeoutMs: 15_000 }).then(() => undefined, (e: unknown) => firstLine(e));
  if (reach !== undefined) return { host: host.name, user: undefined, uid: undefined, canSignal: false, listeners: undefined, docker: false, sudo: undefined, polkit: undefined, actuator: undefined, unreachable: reach };
  const [id, status, ss, docker, sudo, polkit] = await Promise.all([
    // One `id`: "uid=999(fw) gid=..." names the user and its uid together (without a passwd entry, "uid=999").
    run(host, ["id"]),
    run(host, ["cat", "/proc/self/status"]),
    run(host, ["ss", "-ltnpH"]),
    run(host, opts.dockerHost === undefined ? ["docker", "version", "--format", "{{.Server.Version}}"] : ["docker", "-H", opts.dockerHost, "version", "--format", "{{.Server.Version}}"]),
    run(host, ["sudo", "-n", "-l"]),
    run(host, ["cat", POLKIT_RULES_FILE]),
  ]);
  const who = id?.code === 0 ? /^uid=(\d+)(?:\(([^)\s]+)\))?/.exec(id.stdout.trim()) : null;
  const uid = who?.[1] === undefined ? undefined : Number(who[1]);
  let actuator: HostRights["actuator"];
  if (opts.actuator) {
    try {
      const h = await opts.actuator.hello();
      actuator = h.hosts.includes(host.name) ? { ok: true, uid: h.uid, actions: h.actions } : { ok: false, why: `it serves ${h.hosts.join(", ")}, not ${host.name}` };
    } catch (e) {
      actuator = { ok: false, why: firstLine(e) };
    }
  }
  return {
    host: host.name,
    user: who?.[2],
    uid,
    canSignal: uid === 0 || (status?.code === 0 && hasCapKill(status.stdout)),
    listeners: ss?.code === 0 ? countListeners(ss.stdout) : undefined,
    docker: docker?.code === 0,
    sudo: sudo?.code === 0 ? sudo.stdout : undefined,
    polkit: polkit?.code === 0 ? polkit.stdout : undefined,
    actuator,
  };
}

/** Whether `sudo -n -l`'s listing allows PROG ... restart TARGET ("/usr/bin/docker -H unix\:///x restart api"). */
export function hasRestartRule(sudo: string | undefined, prog: "systemctl" | "docker", target: string): boolean {
  return sudo !== undefined && sudo.split(/,|\n/).some((l) => {
    const parts = l.replace(/\\(.)/g, "$1").replace(/^.*NOPASSWD:\s*/, "").trim().split(/\s+/);
    return (parts[0] ?? "").endsWith(`/${prog}`) && parts.at(-2) === "restart" && parts.at(-1) === target;
  });
}

/**
 * Per action enabled for `hostName`: can it run with these rights, how, or what to grant. Targets that are patterns
 * cannot be checked against sudo rules and count as not granted.
 */
export function actionReadiness(config: GuardConfig, hostName: string, r: HostRights): ActionReadiness[] {
  const out: ActionReadiness[] = [];
  const served = config.actuator !== undefined && (config.actuator.hosts.includes(hostName) || Object.hasOwn(config.actuator.remote, hostName));
  const viaActuator = r.actuator?.ok === true && r.actuator.uid === 0;
  const sudoHost = matchesAny(config.sudo, hostName);
  const user = r.user ?? "firewatch";
  for (const action of ACTION_IDS) {
    const p = config.actions[action];
    if (!p || !matchesAny(p.hosts, hostName)) continue;
    const no = (how: string, grant: string): ActionReadiness => ({ action, ok: false, how, grant });
    if (action === "clean_failed_jobs") {
      out.push({ action, ok: true, how: "talks to the queue's Redis; needs no rights on the host" });
      continue;
    }
    if (served) {
      if (viaActuator && r.actuator?.ok === true && r.actuator.actions.includes(action)) out.push({ action, ok: true, how: "through the actuator (root), which re-checks and audits" });
      else if (viaActuator) out.push(no("the actuator's own config does not enable it", `enable ${action} in the firewatch.yaml the actuator reads`));
      else out.push(no(`the actuator is not usable: ${r.actuator?.ok === false ? r.actuator.why : "it does not run as root"}`, "systemctl enable --now firewatch-actuator; add firewatch's user to the socket's group (docs/operations.md)"));
      continue;
    }
    if (r.uid === 0 && (action !== "restart_container" || r.docker)) {
      out.push({ action, ok: true, how: `as root on ${hostName}` });
      continue;
    }
    if (action === "kill_port_owner") {
      const hidden = r.listeners?.hidden ?? 0;
      if (r.canSignal && hidden === 0) out.push({ action, ok: true, how: `${user} may signal other users' processes (CAP_KILL) and sees every listener's process` });
      else out.push(no(`${user} ${r.canSignal ? "" : "may not signal other users' processes"}${!r.canSignal && hidden > 0 ? " and " : ""}${hidden > 0 ? `sees ${hidden} of ${r.listeners?.total ?? "?"} listeners without their process` : ""}`.replace("  ", " "), "run `firewatch actuator` on this host and set guard.actuator (docs/operations.md); kill is never granted through sudo"));
      continue;
    }
    const named = p.targets.filter((t) => !t.includes("*") && !t.includes("?"));
    if (action === "restart_container") {
      if (r.uid === 0) out.push(no("no Docker daemon answers here", "check the docker source's socketPath, or that dockerd runs"));
      else if (r.docker && !sudoHost) out.push({ action, ok: true, how: `${user} reaches the Docker daemon (the docker group is root-equivalent)` });
      else if (sudoHost && named.length > 0 && named.every((c) => hasRestartRule(r.sudo, "docker", c))) out.push({ action, ok: true, how: "sudo rules list every named container" });
      else out.push(no(`${user} cannot restart containers here (no Docker access${sudoHost ? ", no sudo rule for every named container" : ""})`, `firewatch doctor --sudoers --user ${user} --host ${hostName}, and list ${hostName} in guard.sudo`));
      continue;
    }
    // restart_unit
    const polkitOk = named.length > 0 && r.polkit !== undefined && named.every((u) => r.polkit?.includes(JSON.stringify(/\.[a-z]+$/.test(u) ? u : `${u}.service`)) === true);
    if (sudoHost && named.length > 0 && named.every((u) => hasRestartRule(r.sudo, "systemctl", u))) out.push({ action, ok: true, how: "sudo rules list every named unit" });
    else if (!sudoHost && polkitOk && named.length === p.targets.length) out.push({ action, ok: true, how: `polkit rules (${POLKIT_RULES_FILE}) list every named unit` });
    else out.push(no(`${user} may not restart system units here${named.length < p.targets.length ? " (pattern targets cannot be granted: name the units)" : ""}`, `firewatch doctor --sudoers --user ${user} --host ${hostName} (and list ${hostName} in guard.sudo), or --polkit`));
  }
  return out;
}

/** How long a host's rights are trusted before they are read again (a rule installed by hand shows within this). */
export const RIGHTS_TTL_MS = 5 * 60_000;

/**
 * Per host, the readiness of its enabled actions, read on first need and again after RIGHTS_TTL_MS; a host that
 * cannot be read gives no answer (undefined), and the caller keeps offering as before.
 */
export function createReadinessCache(deps: {
  readonly config: GuardConfig;
  host(name: string): Host | undefined;
  readonly clock: { now(): number };
  /** The actuator serving a host (actuatorLookup), undefined where none does. */
  readonly actuator?: ActuatorLookup | undefined;
  readonly dockerHost?: string | ((host: string) => string | undefined) | undefined;
}): (host: string) => Promise<readonly ActionReadiness[] | undefined> {
  const cache = new Map<string, { at: number; answer: Promise<readonly ActionReadiness[] | undefined> }>();
  return (name) => {
    const hit = cache.get(name);
    if (hit && deps.clock.now() - hit.at < RIGHTS_TTL_MS) return hit.answer;
    const host = deps.host(name);
    if (!host) return Promise.resolve(undefined);
    const docker = typeof deps.dockerHost === "function" ? deps.dockerHost(name) : deps.dockerHost;
    const answer = readHostRights(host, { actuator: deps.actuator?.(name), dockerHost: docker })
      .then((r) => actionReadiness(deps.config, name, r))
      .catch(() => undefined);
    cache.set(name, { at: deps.clock.now(), answer });
    return answer;
  };
}
