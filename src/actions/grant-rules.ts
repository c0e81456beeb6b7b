// The rights a host must grant firewatch's user for the enabled restarts, as sudoers and polkit text: exactly the
// configured targets, by name, nothing more.
import { FirewatchError } from "../errors.js";
import { ContainerRef, UnitName } from "./params.js";
import { matchesAny, type GuardConfig } from "./policy.js";

/** What the rules are written for: one host, the user firewatch runs (or logs in) as there. */
export interface GrantTarget {
  readonly host: string;
  readonly user: string;
  /** `docker -H` firewatch passes on that host (dockerHostOf), so the rule matches the argv it really runs. */
  readonly dockerHost?: string | undefined;
  /** Where the programs are on that host (sudoers matches full paths). */
  readonly systemctl?: string;
  readonly docker?: string;
}

export interface GrantRules {
  readonly text: string;
  /** The targets written into the rules, per action. */
  readonly granted: { readonly restart_unit: readonly string[]; readonly restart_container: readonly string[] };
  /** Configured targets left out, each with the reason (a glob, an invalid name). */
  readonly skipped: readonly string[];
}

const USER = /^[a-z_][a-z0-9_-]{0,31}$/;
const isPattern = (t: string) => t.includes("*") || t.includes("?");

/** The exact targets of an action for the host: globs cannot be written safely (a sudoers `*` matches spaces too). */
function namedTargets(config: GuardConfig, action: "restart_unit" | "restart_container", host: string, skipped: string[]): string[] {
  const p = config.actions[action];
  if (!p || !matchesAny(p.hosts, host)) return [];
  const out: string[] = [];
  const valid = action === "restart_unit" ? UnitName : ContainerRef;
  for (const t of p.targets) {
    if (isPattern(t)) skipped.push(`${action} target ${JSON.stringify(t)}: a pattern; name each ${action === "restart_unit" ? "unit" : "container"} in guard.actions.${action}.targets to grant it`);
    else if (!valid.safeParse(t).success) skipped.push(`${action} target ${JSON.stringify(t)}: not a valid ${action === "restart_unit" ? "unit" : "container"} name`);
    else out.push(t);
  }
  return [...new Set(out)];
}

function checkUser(user: string): void {
  if (!USER.test(user)) throw new FirewatchError("usage", `${JSON.stringify(user)} is not a user name (lowercase letters, digits, _ and -)`);
}

/** sudoers escapes ",", ":", "=", "\" and spaces in a command's arguments with a backslash. */
const sudoArg = (s: string) => s.replace(/[\\,:= ]/g, (c) => `\\${c}`);

/** A unit as systemd names it: systemctl adds ".service" to a bare name, and polkit sees the full name. */
const fullUnit = (u: string) => (/\.(?:service|socket|timer|target|mount|path|scope|slice)$/.test(u) ? u : `${u}.service`);

/**
 * A sudoers fragment (for /etc/sudoers.d/firewatch) letting `user` run, without a password, exactly the argv firewatch
 * sends for the enabled restarts on `host`: `systemctl restart UNIT` per named unit, `docker [-H URL] restart NAME` per
 * named container. kill_port_owner is never granted here: it runs only through the actuator's own checks.
 */
export function sudoersRules(config: GuardConfig, t: GrantTarget, source: string): GrantRules {
  checkUser(t.user);
  const skipped: string[] = [];
  const units = namedTargets(config, "restart_unit", t.host, skipped);
  const containers = namedTargets(config, "restart_container", t.host, skipped);
  const systemctl = t.systemctl ?? "/usr/bin/systemctl";
  const docker = t.docker ?? "/usr/bin/docker";
  const dockerArgs = t.dockerHost === undefined ? [] : ["-H", t.dockerHost];
  // Both spellings of a unit firewatch may send (as configured) are the same unit: only the configured one is written.
  const commands = [
    ...units.map((u) => [systemctl, "restart", u]),
    ...containers.map((c) => [docker, ...dockerArgs, "restart", c]),
  ].map((argv) => argv.map((a, i) => (i === 0 ? a : sudoArg(a))).join(" "));
  const lines = [
    `# firewatch: sudo rights for ${t.user} on ${t.host}, generated from ${source}.`,
    "# Exactly the restart targets named in guard.actions; kill_port_owner goes through `firewatch actuator` only.",
    "# Install: visudo -c -f THIS_FILE && install -m 0440 THIS_FILE /etc/sudoers.d/firewatch",
    ...skipped.map((s) => `# not granted: ${s}`),
  ];
  if (commands.length === 0) lines.push("# Nothing to grant: no restart_unit or restart_container target is named for this host.");
  else {
    lines.push(`Cmnd_Alias FIREWATCH_RESTARTS = ${commands.join(", \\\n    ")}`);
    lines.push(`${t.user} ALL=(root) NOPASSWD: FIREWATCH_RESTARTS`);
  }
  return { text: `${lines.join("\n")}\n`, granted: { restart_unit: units, restart_container: containers }, skipped };
}

/**
 * A polkit rules file (for /etc/polkit-1/rules.d/50-firewatch.rules) letting `user` restart exactly the named units
 * through systemd's manage-units action, so `systemctl restart UNIT` works without sudo. Containers are not polkit's.
 */
export function polkitRules(config: GuardConfig, t: GrantTarget, source: string): GrantRules {
  checkUser(t.user);
  const skipped: string[] = [];
  const units = namedTargets(config, "restart_unit", t.host, skipped).map(fullUnit);
  const head = [
    `// firewatch: systemd restarts for ${t.user} on ${t.host}, generated from ${source}.`,
    "// Exactly the units named in guard.actions.restart_unit.targets, and only the verb restart.",
    ...skipped.map((s) => `// not granted: ${s}`),
  ];
  const body = units.length === 0
    ? ["// Nothing to grant: no restart_unit target is named for this host."]
    : [
      "polkit.addRule(function (action, subject) {",
      `  var units = ${JSON.stringify(units)};`,
      `  if (action.id === "org.freedesktop.systemd1.manage-units" && subject.user === ${JSON.stringify(t.user)} &&`,
      '      action.lookup("verb") === "restart" && units.indexOf(action.lookup("unit")) >= 0) {',
      "    return polkit.Result.YES;",
      "  }",
      "  return polkit.Result.NOT_HANDLED;",
      "});",
    ];
  return { text: `${[...head, ...body].join("\n")}\n`, granted: { restart_unit: units, restart_container: [] }, skipped };
}
