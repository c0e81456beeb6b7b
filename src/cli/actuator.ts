// `firewatch actuator`: the privileged executor. Listens on guard.actuator.socket until SIGTERM (docs/operations.md).
import type { Command } from "commander";
import { createActuatorHandler, createGuardKit, createPeerLookup, dockerHostOf, listenActuator, ownPortsOf, type GuardConfig } from "../actions/index.js";
import { loadConfig, storeSpecOf } from "../config/index.js";
import { FirewatchError } from "../errors.js";
import { lazyHosts, LocalHost, type Host } from "../hosts/index.js";
import { openStore, parseStoreSpec } from "../store/index.js";
import { systemClock } from "../time.js";
import { createLogger } from "./logger.js";

/** The numeric id of a group or user name (getent: files, LDAP, whatever NSS says), or a FirewatchError saying so. */
async function idOf(host: Host, db: "group" | "passwd", name: string): Promise<number> {
  const r = await host.exec(["getent", db, name], { timeoutMs: 5_000 });
  const id = r.code === 0 ? r.stdout.split(":")[2] : undefined;
  if (id === undefined || !/^\d+$/.test(id)) throw new FirewatchError("config_invalid", `guard.actuator: no ${db === "group" ? "group" : "user"} named ${JSON.stringify(name)} on this machine`, { hint: "create it (deploy/systemd/firewatch.sysusers.conf) or name another in guard.actuator" });
  return Number(id);
}

async function runActuator(o: { config?: string; store?: string }, debug: boolean): Promise<void> {
  const log = createLogger({ debug });
  if (!debug) log.level = "info";
  const config = await loadConfig({ file: o.config ?? (process.env["FIREWATCH_CONFIG"] || undefined), env: process.env });
  const a = config.guard.actuator;
  if (a === undefined) throw new FirewatchError("config_invalid", "guard.actuator is not set in firewatch.yaml: there is no socket to listen on", { hint: "add `guard: { actuator: { socket: /run/firewatch/actuator.sock } }` (docs/operations.md)" });
  const local = new LocalHost();
  const gid = await idOf(local, "group", a.group);
  const store = await openStore(o.store !== undefined ? parseStoreSpec(o.store, process.env) : storeSpecOf(config, process.env), { clock: systemClock }, { namespace: "firewatch" });
  const hosts = lazyHosts(config.hosts, { clock: systemClock });
  // Only the hosts it serves, and only as local hosts: the actuator's rights are this machine's, never another's.
  const served = a.hosts.filter((h) => config.hosts[h]?.kind === "local");
  if (served.length === 0) throw new FirewatchError("config_invalid", `guard.actuator.hosts (${a.hosts.join(", ")}) names no host of kind local`, { hint: "the actuator acts on the machine it runs on: list that host's name (\"local\")" });
  // Its own guard, without the actuator section: it runs grants itself, with its own probes and its own rights.
  const guardConfig: GuardConfig = { ...config.guard, actuator: undefined };
  const kit = await createGuardKit({
    config: guardConfig, store, clock: systemClock, host: (n) => (served.includes(n) ? hosts.host(n) : undefined),
    dockerHost: dockerHostOf(config), ownPorts: ownPortsOf(config), selfUser: a.user,
  });
  const actuator = createActuatorHandler({ guard: kit.guard, executor: kit.executor, tokens: kit.tokens, store, clock: systemClock, config: guardConfig, host: local, hosts: served });
  const server = await listenActuator({ socket: a.socket, gid, peerOf: createPeerLookup(local), onError: (e) => log.warn({ err: e }, "An actuator connection failed.") }, actuator);
  log.info({ socket: a.socket, group: a.group, hosts: served }, "The actuator is listening.");
  await new Promise<void>((resolve) => {
    process.once("SIGTERM", resolve);
    process.once("SIGINT", resolve);
  });
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await Promise.allSettled([hosts.close(), local.close()]);
  await store.close();
  log.info({ socket: a.socket }, "The actuator stopped.");
}

export function registerActuator(program: Command): void {
  program
    .command("actuator")
    .summary("Run actions and privileged port questions for an unprivileged firewatch, on a unix socket")
    .option("--config <file>", "firewatch.yaml to read (default $FIREWATCH_CONFIG)")
    .option("--store <spec>", "sqlite:FILE or redis://HOST:PORT, over the config's store.url (the daemon's store: grants live there)")
    .addHelpText(
      "after",
      `
Runs as root (or with CAP_KILL and the rights its actions need) beside an unprivileged \`firewatch watch\`.
It runs a grant only when the guard issued it (sealed, unexpired, single use), its own allow-lists still
allow it and its own probe shows the precondition still holds; it answers only the port-owner questions
(ss -ltnp, lsof) besides; it audits every request. On a host firewatch reaches over SSH, the daemon
reaches this socket through its SSH link (guard.actuator.remote in the daemon's firewatch.yaml); the
SSH user must be in the socket's group. See docs/operations.md.

Examples:
  firewatch actuator --config /etc/firewatch/firewatch.yaml
  systemctl enable --now firewatch-actuator

Exit codes: 0 stopped by SIGTERM/SIGINT, 2 bad config (no guard.actuator, unknown group)`,
    )
    .action(async (o: { config?: string; store?: string }, cmd: Command) => {
      await runActuator(o, cmd.optsWithGlobals<{ debug?: boolean }>().debug === true);
    });
}
